#!/usr/bin/env node
// A shim: all behaviour lives in src/cli; this only sets the exit code. The shipped command
// is bundled (scripts/bundle-cli.mjs), so --debug turns on source maps before the rest loads:
// its stack traces then name the TypeScript sources.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
// A big input is linted by a second process with a bigger young generation (src/cli/restart.ts).
const { restart, restartFor, restartNote } = await import('../src/cli/restart.js');
const big = restartFor(process.argv.slice(2), process.env, process.execArgv);
if (big !== undefined) restart(big);
else await run();

async function run(): Promise<void> {
  const debug = process.argv.includes('--debug');
  const note = debug ? restartNote(process.env) : undefined;
  if (note) process.stderr.write(note);
  const { main } = await import('../src/cli/main.js');
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`graphlint: internal error: ${debug && e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  }
}

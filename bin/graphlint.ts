#!/usr/bin/env node
// A shim: all behaviour lives in src/cli; this only sets the exit code. The shipped command
// is bundled (scripts/bundle-cli.mjs), so --debug turns on source maps before the rest loads:
// its stack traces then name the TypeScript sources.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
const { main } = await import('../src/cli/main.js');

// A reader that stops early (`graphlint model.onnx | head`) closes the pipe: the rest of the
// report has nowhere to go, and that ends no run. The exit code stays the run's.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const debug = process.argv.includes('--debug');
    process.stderr.write(`graphlint: internal error: ${debug && e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  },
);

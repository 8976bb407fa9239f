// Bundles the command line for start-up speed: Node resolves and compiles a handful of files
// instead of ~200 of ours and ~290 of our dependencies'. Runs after tsc in `npm run build`
// and replaces tsc's dist/bin/graphlint.js with an ES module whose chunks (dist/bin/chunks/)
// load as the code asks for them, so what a command does not use is never read. Built from
// the TypeScript sources, so running it again gives the same result; `tsc` alone brings back
// the unbundled shim, which works too. dist/src (the library) is untouched.
import { build } from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bin');

const result = await build({
  absWorkingDir: root,
  entryPoints: ['bin/graphlint.ts'],
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.json',
  // Maps for --debug stack traces (bin/graphlint.ts turns them on); file and line suffice.
  sourcemap: 'linked',
  sourcesContent: false,
  // Bundled CommonJS dependencies call require() for Node's built-ins; an ES module has none.
  banner: { js: "import { createRequire as graphlintCreateRequire } from 'node:module'; const require = graphlintCreateRequire(import.meta.url);" },
  metafile: true,
  write: false,
  logLevel: 'warning',
});

rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.contents);
}
// Executable, as tsc leaves a file that starts with #!, so it also runs without `node`.
chmodSync(join(outdir, 'graphlint.js'), 0o755);
copyYargsLocales();

/**
 * yargs translates its messages (usage errors, help headings) with JSON files it finds at
 * '../../../locales' from the file that holds its code. Bundled, that file is one of our
 * chunks, so the translations are copied to where that path now leads; without them every
 * locale would get English.
 */
function copyYargsLocales() {
  const shim = Object.keys(result.metafile.inputs).find((p) => p.endsWith('node_modules/yargs/lib/platform-shims/esm.mjs'));
  if (!shim) throw new Error('bundle-cli: yargs is not in the bundle; check copyYargsLocales');
  const shimPath = resolve(root, shim);
  if (!readFileSync(shimPath, 'utf8').includes("resolve(__dirname, '../../../locales')")) {
    throw new Error(`bundle-cli: ${shim} no longer finds its locales at '../../../locales'; update copyYargsLocales`);
  }
  const chunk = Object.entries(result.metafile.outputs).find(([, o]) => shim in o.inputs)[0];
  const target = resolve(root, chunk, '../../../locales');
  rmSync(target, { recursive: true, force: true });
  cpSync(resolve(dirname(shimPath), '../../locales'), target, { recursive: true });
}

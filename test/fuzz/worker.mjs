// @ts-check
/**
 * The fuzz harness's case runner: a child process that runs the real pipeline on one case
 * at a time (read → shape inference → partitions → all rules → reports, and for some
 * cases convert and read back) and says how it ended. It imports the compiled code (the
 * directory given as argv[2]: dist/ for npm test), so it is plain JavaScript.
 *
 * It also watches the file system: every file opened or copied is resolved, and one that
 * lies in the "outside" directory (where the cases' links point) is reported as an escape.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = process.argv[2];
const outside = fs.realpathSync(process.argv[3]);

/** @type {string[]} */
let touched = [];

/**
 * Records `p` when it leads into the outside directory. `replace`: the final component is
 * replaced, not followed (rename, exclusive create), so only its directory is resolved.
 * @param {unknown} p @param {string} how @param {boolean} [replace]
 */
function note(p, how, replace = false) {
  if (typeof p !== 'string') return;
  if (replace) {
    note(dirname(p), how);
    return;
  }
  let probe = p;
  try {
    for (let i = 0; i < 64 && !fs.existsSync(probe); i++) probe = dirname(probe);
    const real = fs.realpathSync(probe);
    const rel = relative(outside, real);
    if (rel === '' || (!isAbsolute(rel) && !rel.startsWith('..'))) touched.push(`${how} ${p}`);
  } catch {
    /* a path that cannot be resolved cannot lead out */
  }
}

const realOpen = fs.openSync;
// @ts-ignore: wrapped to watch every open
fs.openSync = function (path, flags, mode) {
  const write = typeof flags === 'string' ? /[wa+]/.test(flags) : typeof flags === 'number' && (flags & 3) !== 0;
  const exclusive = typeof flags === 'string' ? flags.includes('x') : typeof flags === 'number' && (flags & fs.constants.O_EXCL) !== 0;
  note(path, write ? 'write' : 'read', exclusive);
  return realOpen.call(fs, path, flags, mode);
};
const realCopy = fs.copyFileSync;
// @ts-ignore
fs.copyFileSync = function (src, dest, mode) {
  note(src, 'read');
  note(dest, 'write');
  return realCopy.call(fs, src, dest, mode);
};
const realRename = fs.renameSync;
// @ts-ignore
fs.renameSync = function (from, to) {
  note(to, 'write', true);
  return realRename.call(fs, from, to);
};
syncBuiltinESMExports();

const load = (/** @type {string} */ p) => import(pathToFileURL(join(dist, p)).href);
const { lintFile, lintModel } = await load('src/engine/lint-file.js');
const { RULES } = await load('rules/index.js');
const { readModel, writeModel } = await load('src/formats/index.js');
const { ModelError, WriteError } = await load('src/errors.js');
const { formatJson } = await load('src/report/json.js');
const { formatText } = await load('src/report/text.js');
const { formatSarif } = await load('src/report/sarif.js');
const { formatHtml } = await load('src/report/html.js');
const { describeError } = await load('src/engine/analyze-file.js');
const { main } = await load('src/cli/main.js');
const { extname } = await import('node:path');

/** Where `--fix --out` writes, by input format (compiled models become packages). @type {Record<string, string>} */
const FIX_EXT = { '.onnx': '.onnx', '.mlmodel': '.mlmodel', '.mlpackage': '.mlpackage', '.mlmodelc': '.mlpackage', '.mil': '.mlpackage' };
const stackLine = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

const gc = /** @type {undefined | (() => void)} */ (/** @type {any} */ (globalThis).gc);

function memory() {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, arrayBuffers: m.arrayBuffers, external: m.external, maxRss: process.resourceUsage().maxRSS * 1024 };
}

/**
 * Closes the files a model keeps open for its writer (ByteSources, weight files), so a
 * long run does not run out of descriptors.
 * @param {any} x
 * @param {Set<unknown>} seen
 */
function closeAll(x, seen = new Set(), depth = 0) {
  if (!x || typeof x !== 'object' || seen.has(x) || depth > 6) return;
  seen.add(x);
  const name = x.constructor?.name;
  if ((name === 'ByteSource' || name === 'WeightFiles' || name === 'BlobFile' || name === 'Emitter') && typeof x.close === 'function') {
    try { x.close(); } catch { /* closed */ }
    return;
  }
  if (Array.isArray(x)) {
    for (const y of x.slice(0, 64)) closeAll(y, seen, depth + 1);
    return;
  }
  for (const k of ['origin', 'spec', 'package', 'compiled', 'source', 'weights', 'coremldataSource', 'submodels']) {
    if (k in x) closeAll(x[k], seen, depth + 1);
  }
}

/** @param {unknown} e */
const userError = (e) => e instanceof ModelError || e instanceof WriteError;
const badWords = /undefined|NaN|\[object |TypeError|ReferenceError|Cannot read prop|is not a function|is not iterable|Maximum call stack/;

/** @param {any} c */
async function runCase(c) {
  touched = [];
  let before = memory();
  if (gc && (before.heap > 96 << 20 || before.arrayBuffers > 64 << 20)) {
    gc();
    before = memory();
  }
  const path = join(c.dir, c.entry);
  const t0 = performance.now();
  /** @type {any} */
  const r = { id: c.id, outcome: 'ok', message: '', stack: '', convert: '' };
  /** @type {any[]} */
  const models = [];
  /** Nodes the lint read (its model is given up, so counted from its result). */
  let lintedNodes = 0;
  /** @type {Buffer | undefined} */
  let hog;
  try {
    // The harness's own checks: each of these must be caught and classified.
    if (c.selfTest === 'hang') for (;;);
    if (c.selfTest === 'memory') hog = Buffer.alloc(600 << 20, 1);
    if (c.selfTest === 'crash') throw new TypeError('self-test crash');
    if (c.selfTest === 'escape') fs.closeSync(fs.openSync(join(outside, 'secret.bin'), 'r'));
    if (c.selfTest) return finish(r, before, t0, models, hog);
    // As the command does: the lint gives its model up (edited, its files closed).
    const linted = lintFile(path, { rules: RULES, target: c.target, partitions: true });
    const res = linted.result;
    lintedNodes = res.stats?.nodes ?? 0;
    const results = [res];
    formatText(results);
    formatJson(results, { toolVersion: '0', target: c.target });
    formatSarif(results, { toolVersion: '0', rules: RULES.map((/** @type {any} */ x) => x.meta), cwd: c.dir });
    if (c.html) formatHtml(results, { toolVersion: '0', target: c.target, plans: new Map() });
    if (res.fatal) {
      r.message = res.fatal.message;
      if (/internal error/.test(res.fatal.message)) {
        r.outcome = 'crash';
        r.stack = stackOf(path, c.target);
      } else {
        r.outcome = 'fatal';
        if (badWords.test(r.message) || r.message.includes('\n') || r.message.trim() === '') r.badMessage = true;
      }
    } else {
      r.outcome = res.diagnostics.some((/** @type {any} */ d) => d.severity === 'error') ? 'lint-error' : 'ok';
    }
    if (!res.fatal && c.fix) {
      // The real command line, as a user runs it: exit 0, 1 or 2, one line per problem, no stack.
      const out = c.fix === 'inplace' ? path : join(c.dir, `fixed${FIX_EXT[extname(path)] ?? '.onnx'}`);
      let stderr = '';
      const argv = c.fix === 'inplace' ? ['--fix', path] : ['--fix', '--out', out, path];
      const code = await main(argv, { stdout: () => undefined, stderr: (/** @type {string} */ t) => { stderr += t; } });
      r.fix = `exit ${code}${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`;
      if (![0, 1, 2].includes(code) || /internal error/.test(stderr) || stackLine.test(stderr)) {
        r.outcome = 'crash';
        r.message = `--fix: exit ${code}: ${stderr.trim()}`;
      }
    }
    if (!res.fatal && c.convert) {
      const out = join(c.dir, c.convert);
      try {
        // A model read anew, as `graphlint convert` reads it: the linted one was given up.
        const model = readModel(path);
        models.push(model);
        writeModel(model, out);
        r.convert = 'written';
        try {
          models.push(readModel(out));
          r.convert = 'written, read back';
        } catch (e) {
          if (!userError(e)) throw e;
          r.convert = `written, unreadable: ${describeError(e)}`;
          r.reread = true;
        }
      } catch (e) {
        if (!userError(e)) throw e;
        r.convert = `refused: ${/** @type {Error} */ (e).message}`;
        if (badWords.test(r.convert)) r.badMessage = true;
      }
    }
  } catch (e) {
    r.outcome = 'crash';
    r.message = e instanceof Error ? e.message : String(e);
    r.stack = e instanceof Error ? String(e.stack) : '';
  } finally {
    r.nodes = Math.max(lintedNodes, models.reduce((n, m) => n + nodeCount(m), 0));
    for (const m of models) closeAll(m);
  }
  return finish(r, before, t0, models, hog);
}

/** Timing, memory growth and file system findings of a case. @param {any} r @param {any} before @param {number} t0 @param {any[]} _models @param {Buffer | undefined} hog */
function finish(r, before, t0, _models, hog) {
  r.ms = performance.now() - t0;
  const after = memory();
  r.mem = {
    heap: after.heap - before.heap,
    arrayBuffers: after.arrayBuffers - before.arrayBuffers,
    external: after.external - before.external,
    maxRss: after.maxRss - before.maxRss,
    rss: after.rss,
  };
  r.touched = touched;
  if (hog) r.hogged = hog.length; // kept alive until measured
  return r;
}

/** Nodes of a model and its sub-models (what its memory may be proportional to). @param {any} m @returns {number} */
function nodeCount(m) {
  let n = 0;
  for (const g of m.allGraphs()) n += g.nodes.length;
  for (const sub of m.submodels) n += nodeCount(sub);
  return n;
}

/** The stack of an internal error, from the stages run one by one. @param {string} path @param {string} target */
function stackOf(path, target) {
  let model;
  try {
    model = readModel(path);
    lintModel(model, path, { rules: RULES, target, partitions: true });
    return '(did not happen again)';
  } catch (e) {
    return e instanceof Error ? String(e.stack) : String(e);
  } finally {
    if (model) closeAll(model);
  }
}

process.on('message', async (/** @type {any} */ c) => {
  const r = await runCase(c);
  process.send?.(r);
});
process.send?.({ ready: true });

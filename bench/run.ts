/**
 * graphlint's benchmark: `npm run bench` (or `node dist/bench/run.js` after a build).
 *
 * Builds its own inputs with graphlint's ModelBuilder and writer (weight models of about
 * 10 MB, 200 MB and 1 GB, the 200 MB one also with external data, and synthetic graphs of
 * 10k, 100k and 1M nodes), then measures, as whole processes on the same files:
 *
 *   lint      node dist/bin/graphlint.js MODEL            (every registered rule)
 *   convert   node dist/bin/graphlint.js convert MODEL OUT
 *   python    python3 -c "import onnx; onnx.load(MODEL)"  (the reference reader)
 *   cp        cp MODEL OUT                                 (the reference copy)
 *
 * Each figure is the median of --runs runs (commands interleaved, so that a change in the
 * machine's load hits them alike, each run after `sync`, in the order runOrder gives), with min
 * and max; peak memory is /usr/bin/time -v's maximum resident set size. Each input is read once
 * before its first run: the figures are for a warm cache, which is what repeated linting sees.
 *
 * Options: --runs N (default 5), --only CASE[,CASE] (names below), --work-dir DIR
 * (default $TMPDIR/graphlint-bench), --keep (keep inputs; a later run reuses them),
 * --json FILE, --markdown FILE, --python PATH (default /usr/bin/python3), --no-python,
 * --graphlint PATH (another build's dist/bin/graphlint.js, to compare before and after),
 * --timeout S (default 600: a command running longer is stopped, reported, and not repeated),
 * --without-partitions-too (also lint with `--rule partition-boundary=off`, which skips
 * partition planning: the difference is what planning costs), --before PATH (another build's
 * dist/bin/graphlint.js, run interleaved with this one: lint and convert before and after).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBlob, writeSyntheticGraph, writeWeightModel } from './generate.js';
import { runOnce, stats, timeProblem, TIME, type Sample } from './measure.js';
import { checks, COMMANDS, fmt, markdown, mb, type CaseKind, type CaseResult, type Command, type Figures } from './report.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The graphlint measured: this checkout's build, or another one's (--graphlint, for before/after). */
let GRAPHLINT = join(REPO, 'dist', 'bin', 'graphlint.js');
/** Bumped whenever the generated inputs change, so kept inputs are rebuilt. */
const INPUTS_VERSION = 1;
const BLOB_BYTES = 96 << 20;

interface Case {
  readonly name: string;
  readonly kind: CaseKind;
  /** Weight bytes wanted, or nodes wanted. */
  readonly size: number;
  readonly external?: boolean;
}

const CASES: readonly Case[] = [
  { name: 'weights-10mb', kind: 'weights', size: 10e6 },
  { name: 'weights-200mb', kind: 'weights', size: 200e6 },
  { name: 'weights-200mb-external', kind: 'weights', size: 200e6, external: true },
  { name: 'weights-1gb', kind: 'weights', size: 1e9 },
  { name: 'graph-10k', kind: 'graph', size: 10_000 },
  { name: 'graph-100k', kind: 'graph', size: 100_000 },
  { name: 'graph-1m', kind: 'graph', size: 1_000_000 },
];


interface Options {
  runs: number;
  only: Set<string> | undefined;
  workDir: string;
  keep: boolean;
  json: string | undefined;
  markdown: string | undefined;
  python: string | undefined;
  /** Seconds a command may take before it is stopped (and not run again for that case). */
  timeout: number;
  /** Also measure lint without partition planning (`--rule partition-boundary=off`), to see what planning costs. */
  withoutPartitions: boolean;
  /** Another build's bin/graphlint.js, measured interleaved with this one (before/after a change). */
  before: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { runs: 5, only: undefined, workDir: join(tmpdir(), 'graphlint-bench'), keep: false, json: undefined, markdown: undefined, python: '/usr/bin/python3', timeout: 600, withoutPartitions: false, before: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v!;
    };
    if (a === '--runs') o.runs = Math.max(1, Number.parseInt(value(), 10) || 0);
    else if (a === '--only') o.only = new Set(value().split(','));
    else if (a === '--work-dir') o.workDir = resolve(value());
    else if (a === '--keep') o.keep = true;
    else if (a === '--json') o.json = resolve(value());
    else if (a === '--markdown') o.markdown = resolve(value());
    else if (a === '--python') o.python = value();
    else if (a === '--no-python') o.python = undefined;
    else if (a === '--graphlint') GRAPHLINT = resolve(value());
    else if (a === '--timeout') o.timeout = Math.max(1, Number(value()) || 600);
    else if (a === '--without-partitions-too') o.withoutPartitions = true;
    else if (a === '--before') o.before = resolve(value());
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown option ${a}`);
  }
  for (const name of o.only ?? []) if (!CASES.some((c) => c.name === name)) usage(`unknown case ${name}; cases: ${CASES.map((c) => c.name).join(', ')}`);
  return o;
}

function usage(problem?: string): never {
  const text = `usage: node dist/bench/run.js [--runs N] [--only CASE,...] [--work-dir DIR] [--keep] [--json FILE] [--markdown FILE]
       [--python PATH | --no-python] [--graphlint PATH/TO/graphlint.js] [--timeout SECONDS] [--without-partitions-too]
       [--before PATH/TO/OTHER/graphlint.js]
cases: ${CASES.map((c) => c.name).join(', ')}\n`;
  process.stderr.write(problem ? `bench: ${problem}\n${text}` : text);
  process.exit(problem ? 2 : 0);
}

const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

/** Checks what the benchmark needs; exits with instructions when something is missing. */
function preflight(o: Options, cases: readonly Case[]): void {
  const problems: string[] = [];
  const time = timeProblem();
  if (time) problems.push(`${time}. Install GNU time: apt-get update && apt-get install -y time`);
  if (!existsSync(GRAPHLINT)) problems.push(`${GRAPHLINT} is missing: build first (npm run build)`);
  if (o.before && !existsSync(o.before)) problems.push(`--before ${o.before} is missing`);
  if (o.python) {
    const r = spawnSync(o.python, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });
    if (r.status !== 0) {
      problems.push(`${o.python} cannot import onnx (${(r.stderr || String(r.error ?? '')).trim().split('\n').pop()}). ` +
        'Install Debian\'s package: apt-get update && apt-get install -y python3-onnx (or pass --no-python)');
    }
  }
  mkdirSync(o.workDir, { recursive: true });
  const need = diskNeeded(cases);
  const fs = statfsSync(o.workDir);
  const free = fs.bavail * fs.bsize;
  if (free < need) problems.push(`${o.workDir} has ${gb(free)} free; the selected cases need about ${gb(need)} (use --work-dir or --only)`);
  if (problems.length > 0) {
    for (const p of problems) log(`bench: ${p}`);
    process.exit(2);
  }
}

/** Inputs, one convert output and one copy at a time, with room to spare. */
function diskNeeded(cases: readonly Case[]): number {
  let total = BLOB_BYTES;
  let biggest = 0;
  for (const c of cases) {
    const bytes = c.kind === 'weights' ? c.size : c.size * 120;
    total += bytes;
    biggest = Math.max(biggest, bytes);
  }
  return (total + 2 * biggest) * 1.2;
}

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(1)} GB`;

interface Input {
  readonly model: string;
  /** The model's external data file, if any. */
  readonly data?: string;
  readonly bytes: number;
  readonly weightBytes: number;
  readonly nodes: number;
}

/** Builds (or reuses, when kept from an earlier run with the same generator) one case's input. */
function prepare(c: Case, dir: string, blob: string): Input {
  const caseDir = join(dir, 'inputs', c.name);
  const model = join(caseDir, `${c.name}.onnx`);
  const data = c.external ? join(caseDir, 'weights.bin') : undefined;
  const manifest = join(caseDir, 'manifest.json');
  const key = JSON.stringify({ version: INPUTS_VERSION, case: c });
  if (existsSync(manifest) && existsSync(model)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { key: string; weightBytes: number; nodes: number };
    if (m.key === key) return { model, ...(data ? { data } : {}), bytes: filesBytes(model, data), weightBytes: m.weightBytes, nodes: m.nodes };
  }
  rmSync(caseDir, { recursive: true, force: true });
  mkdirSync(caseDir, { recursive: true });
  const t0 = Date.now();
  let nodes: number;
  let weightBytes = 0;
  if (c.kind === 'weights') {
    const r = writeWeightModel(model, { weightBytes: c.size, blob, blobBytes: BLOB_BYTES, ...(c.external ? { externalData: 'weights.bin' } : {}) });
    nodes = r.nodes;
    weightBytes = r.weightBytes;
  } else {
    nodes = writeSyntheticGraph(model, c.size).nodes;
  }
  writeFileSync(manifest, JSON.stringify({ key, weightBytes, nodes }));
  const bytes = filesBytes(model, data);
  log(`  built ${c.name}: ${mb(bytes)}, ${nodes} nodes (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return { model, ...(data ? { data } : {}), bytes, weightBytes, nodes };
}

function filesBytes(model: string, data: string | undefined): number {
  return statSync(model).size + (data ? statSync(data).size : 0);
}


/** The argv of one command on one input; `out` is a scratch directory emptied after each run. */
function argvOf(cmd: Command, input: Input, out: string, o: Options): string[] | undefined {
  const name = input.model.split('/').pop()!;
  const python = o.python;
  const [base, build] = cmd.endsWith('@before') ? [cmd.slice(0, -'@before'.length), o.before] : [cmd, GRAPHLINT];
  if (!build) return undefined;
  switch (base) {
    case 'lint': return [process.execPath, build, input.model];
    case 'lint-np': return o.withoutPartitions ? [process.execPath, build, '--rule', 'partition-boundary=off', input.model] : undefined;
    // Written to another directory, so that external data is copied along (as cp copies it).
    case 'convert': return [process.execPath, build, 'convert', input.model, join(out, name)];
    case 'python': return python ? [python, '-c', `import onnx; onnx.load(${JSON.stringify(input.model)})`] : undefined;
    case 'cp': return ['cp', input.model, ...(input.data ? [input.data] : []), `${out}/`];
    default: return undefined;
  }
}

/**
 * Reads a case's input files once, so that every command starts with them in the page cache.
 * Without it the first convert of the 1 GB model read its weights from disk (3 s against
 * 0.5 s), while cp, which runs after python has read the whole file, never did.
 */
function warmPageCache(input: Input): void {
  const chunk = Buffer.allocUnsafe(8 << 20);
  for (const path of [input.model, ...(input.data ? [input.data] : [])]) {
    const fd = openSync(path, 'r');
    try {
      while (readSync(fd, chunk, 0, chunk.length, null) > 0) { /* reading is the point */ }
    } finally {
      closeSync(fd);
    }
  }
}

function measureCase(c: Case, input: Input, o: Options): CaseResult {
  warmPageCache(input);
  const out = join(o.workDir, 'out');
  const samples = Object.fromEntries(COMMANDS.map((c) => [c, [] as Sample[]])) as Record<Command, Sample[]>;
  const failures: Partial<Record<Command, string>> = {};
  const stopped = new Set<Command>();
  for (let run = 0; run < o.runs; run++) {
    for (const cmd of runOrder(run)) {
      const argv = argvOf(cmd, input, out, o);
      if (!argv || stopped.has(cmd)) continue;
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      settleDisk();
      const s = runOnce(argv, { timeout: o.timeout });
      // lint exits 1 when it finds errors: that is a finished run.
      const ok = !s.timedOut && (cmd.startsWith('lint') ? s.code === 0 || s.code === 1 : s.code === 0);
      if (ok) samples[cmd].push(s);
      else if (s.timedOut) {
        failures[cmd] ??= `stopped after ${o.timeout} s (--timeout), at ${mb(s.rss)}`;
        stopped.add(cmd);
      } else {
        failures[cmd] ??= `exit ${s.code} after ${fmt(s.wall)} s at ${mb(s.rss)}: ${s.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`;
      }
      log(`  ${c.name} ${cmd} run ${run + 1}/${o.runs}: ${s.wall.toFixed(2)} s, ${mb(s.rss)}${ok ? '' : s.timedOut ? ' STOPPED (timeout)' : ` FAILED (exit ${s.code})`}`);
    }
  }
  rmSync(out, { recursive: true, force: true });
  const figures: Partial<Record<Command, Figures>> = {};
  for (const cmd of COMMANDS) {
    const list = samples[cmd];
    if (list.length === 0 && !failures[cmd]) continue;
    figures[cmd] = {
      wall: stats(list.map((s) => s.wall)),
      cpu: stats(list.map((s) => s.cpu)),
      rss: stats(list.map((s) => s.rss)),
      runs: list.length,
      failures: o.runs - list.length,
      ...(failures[cmd] ? { failure: failures[cmd] } : {}),
    };
  }
  return { name: c.name, kind: c.kind, external: c.external === true, bytes: input.bytes, weightBytes: input.weightBytes, nodes: input.nodes, figures };
}

/**
 * The commands of run `run`: those that only read, python's load, then those that write a copy
 * of the model (convert, cp), in turn first. This virtual machine hands memory nobody used for a
 * while back to its host, and the next write of a gigabyte pays to get it back: cp of the 1 GB
 * model after 20 idle seconds took 2.47 s, then 0.54 and 0.44 s (and after another pause
 * 0.55, 0.28, 0.27 s). Python's load frees 2 GB just before the writes, so each writes into
 * memory in the same state, whatever ran before.
 *
 * With --before, a command and its twin from the other build take turns in each place too:
 * when this build's lint always went first (right after the last run's python), five pairs on
 * graph-1m came out 12.8 s against 12.6 s, where the same two builds in alternating order
 * (ABBA, 3 rounds) took 11.5–13.1 s against 13.0–14.6 s.
 */
function runOrder(run: number): Command[] {
  const twinsSwapped = (list: Command[]): Command[] => list.map((c) => twinOf(c) ?? c);
  const writes: Command[] = Math.floor(run / 2) % 2 === 0 ? ['convert', 'convert@before', 'cp'] : ['convert@before', 'convert', 'cp'];
  if (run % 2 === 1) writes.reverse();
  const reads = COMMANDS.filter((c) => !writes.includes(c) && c !== 'python');
  return [...(run % 2 === 1 ? twinsSwapped(reads) : reads), 'python', ...writes];
}

/** The same command of the other build (lint ↔ lint@before). */
function twinOf(c: Command): Command | undefined {
  const twin = c.endsWith('@before') ? c.slice(0, -'@before'.length) : `${c}@before`;
  return (COMMANDS as readonly string[]).includes(twin) ? (twin as Command) : undefined;
}

/**
 * Writes what the page cache still holds for the disk (`sync`) before a timed run: a convert or
 * cp of the 1 GB model leaves a gigabyte of dirty pages, and the kernel's writeback of them made
 * the next run that writes wait (cp of the same file took 0.27 to 2.63 s in one series).
 */
function settleDisk(): void {
  spawnSync('sync', [], { stdio: 'ignore' });
}

/** Node's own footprint, and graphlint's start-up (module loading), measured the same way. */
function baselines(o: Options): Record<'node' | 'startup', Figures> {
  const measure = (argv: string[]): Figures => {
    const list: Sample[] = [];
    for (let i = 0; i < Math.max(o.runs, 5); i++) list.push(runOnce(argv));
    return { wall: stats(list.map((s) => s.wall)), cpu: stats(list.map((s) => s.cpu)), rss: stats(list.map((s) => s.rss)), runs: list.length, failures: 0 };
  };
  return { node: measure([process.execPath, '-e', '0']), startup: measure([process.execPath, GRAPHLINT, '--version']) };
}

function machine(): Record<string, unknown> {
  const cpuList = cpus();
  let os = release();
  try {
    const pretty = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty) os = `${pretty[1]}, Linux ${release()}`;
  } catch { /* not Linux */ }
  let onnx: string | undefined;
  let rules: number | undefined;
  try {
    onnx = execFileSync('/usr/bin/python3', ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' }).trim();
  } catch { /* reported by preflight when used */ }
  try {
    rules = execFileSync(process.execPath, [GRAPHLINT, 'rules'], { encoding: 'utf8' }).trim().split('\n').length - 1;
  } catch { /* leave unknown */ }
  return {
    cpu: `${cpuList.length} × ${cpuList[0]?.model ?? 'unknown'}`,
    memory: gb(totalmem()),
    freeMemoryAtStart: gb(freemem()),
    os,
    node: process.version,
    graphlint: GRAPHLINT,
    pythonOnnx: onnx,
    rulesRegistered: rules,
  };
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const cases = CASES.filter((c) => !o.only || o.only.has(c.name));
  preflight(o, cases);
  const started = new Date();
  const load = loadavg();
  log(`bench: work dir ${o.workDir}, ${o.runs} runs per command, ${cases.length} cases`);
  const blob = join(o.workDir, 'inputs', 'blob.bin');
  if (cases.some((c) => c.kind === 'weights') && !(existsSync(blob) && statSync(blob).size === BLOB_BYTES)) {
    mkdirSync(dirname(blob), { recursive: true });
    writeBlob(blob, BLOB_BYTES);
  }
  const results: CaseResult[] = [];
  try {
    log('bench: baselines (node -e 0, graphlint --version)');
    const base = baselines(o);
    for (const c of cases) {
      log(`bench: ${c.name}`);
      const input = prepare(c, o.workDir, blob);
      results.push(measureCase(c, input, o));
    }
    const finished = new Date();
    const report = {
      date: started.toISOString(),
      seconds: Math.round((finished.getTime() - started.getTime()) / 1000),
      machine: machine(),
      loadAverage: { start: load.map((l) => +l.toFixed(2)), end: loadavg().map((l) => +l.toFixed(2)) },
      runs: o.runs,
      time: TIME,
      ...(o.before ? { before: o.before } : {}),
      baselines: base,
      cases: results,
      checks: checks(results, base),
    };
    const md = markdown(report);
    process.stdout.write(`${md}\n`);
    if (o.json) writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
    if (o.markdown) writeFileSync(o.markdown, `${md}\n`);
  } finally {
    if (!o.keep) rmSync(o.workDir, { recursive: true, force: true });
  }
}

main();

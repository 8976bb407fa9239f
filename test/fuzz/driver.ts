import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaseGenerator, makeOutside, materialize, VICTIM, VICTIMS, writeVictims, type CaseSpec } from './cases.js';
import type { Format, Seed } from './seeds.js';

/**
 * Runs fuzz cases through the real pipeline in child processes (test/fuzz/worker.mjs),
 * one case at a time per child, with a time bound per case (a child that does not answer
 * is killed: a hang) and a memory watch (a case whose memory grows far beyond its input
 * is flagged). Failing cases are saved for reproduction with their seed and index.
 */

export interface FuzzOptions {
  readonly formats: readonly Format[];
  /** Cases per format. */
  readonly count: number;
  readonly seed: number;
  readonly seeds: readonly Seed[];
  /** Compiled code the worker runs (dist/, or the fuzz build). */
  readonly distRoot: string;
  readonly timeoutMs?: number;
  readonly workers?: number;
  /** Where failing cases are written (default: a directory under the system temp dir). */
  readonly saveDir?: string;
  /** Only these case indices (replay). */
  readonly only?: readonly number[];
  /** Restart a worker after this many cases (resets its memory high-water mark). */
  readonly recycleEvery?: number;
  readonly log?: (line: string) => void;
  /** Called with every case's outcome (replays print them). */
  readonly onCase?: (spec: CaseSpec, outcome: string) => void;
}

export type FailureKind = 'crash' | 'hang' | 'memory' | 'escape' | 'victim' | 'bad-message' | 'unreadable-output' | 'worker-died' | 'slow';

export interface Failure {
  readonly kind: FailureKind;
  readonly id: string;
  readonly seed: string;
  readonly notes: readonly string[];
  readonly message: string;
  readonly stack?: string;
  readonly saved: string;
}

export interface FormatStats {
  readonly format: Format;
  cases: number;
  ok: number;
  lintError: number;
  fatal: number;
  crashes: number;
  hangs: number;
  memory: number;
  escapes: number;
  badMessages: number;
  unreadable: number;
  converted: number;
  convertRefused: number;
  slow: number;
  totalMs: number;
  slowest: { id: string; ms: number; seed: string } | null;
  /** The largest memory growth of a case (MiB), to judge the memory limit against. */
  peakMemory: { id: string; mib: number } | null;
  failures: Failure[];
}

interface WorkerResult {
  id: string;
  outcome: 'ok' | 'lint-error' | 'fatal' | 'crash';
  message: string;
  stack: string;
  convert: string;
  fix?: string;
  badMessage?: boolean;
  reread?: boolean;
  ms: number;
  mem: { heap: number; arrayBuffers: number; external: number; maxRss: number; rss: number };
  touched: string[];
  /** IR nodes of the models the case read. */
  nodes?: number;
}

type Outcome = { kind: 'result'; result: WorkerResult } | { kind: 'hang' } | { kind: 'died'; detail: string };

export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const WORKER = join(REPO_ROOT, 'test', 'fuzz', 'worker.mjs');
/** A case slower than this deserves a look: 2 s, plus 0.2 s per MB of input. */
export function slowMs(size: number): number {
  return 2000 + size / 5000;
}

function findRepoRoot(from: string): string {
  for (let d = from; d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'test', 'fuzz', 'worker.mjs'))) return d;
  }
  throw new Error(`cannot find the graphlint checkout above ${from}`);
}

/** A child process running worker.mjs. */
class Runner {
  private child: ChildProcess | null = null;
  private pending: ((o: Outcome) => void) | null = null;
  private stderr = '';
  private served = 0;

  constructor(private readonly distRoot: string, private readonly outside: string, private readonly recycleEvery: number) {}

  private async start(): Promise<void> {
    this.stderr = '';
    this.served = 0;
    const child = fork(WORKER, [this.distRoot, this.outside], {
      execArgv: ['--expose-gc', '--max-old-space-size=2048'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.child = child;
    await new Promise<void>((ready, fail) => {
      const onExit = (code: number | null): void => fail(new Error(`fuzz worker did not start (exit ${code}): ${this.stderr}`));
      child.once('exit', onExit);
      child.once('message', () => {
        child.off('exit', onExit);
        ready();
      });
    });
    child.on('message', (m: unknown) => this.settle({ kind: 'result', result: m as WorkerResult }));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      this.settle({ kind: 'died', detail: `exit ${code ?? ''}${signal ? ` signal ${signal}` : ''}: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` });
    });
  }

  private settle(o: Outcome): void {
    const p = this.pending;
    this.pending = null;
    p?.(o);
  }

  async run(job: Record<string, unknown>, timeoutMs: number): Promise<Outcome> {
    if (this.child && this.served >= this.recycleEvery) this.stop();
    if (!this.child) await this.start();
    this.served++;
    const child = this.child!;
    return new Promise<Outcome>((done) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.stop();
        done({ kind: 'hang' });
      }, timeoutMs);
      this.pending = (o) => {
        clearTimeout(timer);
        done(o);
      };
      child.send(job);
    });
  }

  stop(): void {
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null) c.kill('SIGKILL');
  }
}

export function emptyStats(format: Format): FormatStats {
  return {
    format, cases: 0, ok: 0, lintError: 0, fatal: 0, crashes: 0, hangs: 0, memory: 0, escapes: 0, badMessages: 0,
    unreadable: 0, converted: 0, convertRefused: 0, slow: 0, totalMs: 0, slowest: null, peakMemory: null, failures: [],
  };
}

/**
 * Memory a case may use beyond what it started with: proportional to what the file holds
 * (its bytes, and the IR nodes read from them, ~8 KiB each with analyses and reports),
 * never to what it declares. Generous, but far below any declared gigabytes.
 */
export function memoryLimit(size: number, nodes = 0): number {
  return (256 << 20) + 16 * size + 8192 * nodes;
}

export async function runFuzz(opts: FuzzOptions): Promise<Map<Format, FormatStats>> {
  const root = scratchDir();
  const saveDir = opts.saveDir ?? join(tmpdir(), 'graphlint-fuzz-failures');
  const generator = new CaseGenerator(opts.seeds);
  const stats = new Map<Format, FormatStats>(opts.formats.map((f) => [f, emptyStats(f)]));
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const workers = Math.max(1, opts.workers ?? 1);
  // Each worker has its own outside directory, so a write there is blamed on the right case.
  const outsides = Array.from({ length: workers }, (_, k) => join(root, `outside-${k}`));
  for (const o of outsides) makeOutside(o);
  const runners = outsides.map((o) => new Runner(opts.distRoot, o, opts.recycleEvery ?? 5000));

  // Formats interleaved, so every format progresses from the start.
  const queue: Array<[Format, number]> = [];
  const indices = opts.only ?? Array.from({ length: opts.count }, (_, i) => i);
  for (const i of indices) for (const f of opts.formats) if (generator.seedsOf(f).length > 0) queue.push([f, i]);
  for (const f of opts.formats) if (generator.seedsOf(f).length === 0) opts.log?.(`no seeds for ${f}: skipped`);
  let done = 0;
  const started = Date.now();
  let lastLog = started;

  const work = async (runner: Runner, k: number): Promise<void> => {
    const outside = outsides[k]!;
    for (;;) {
      const next = queue.shift();
      if (!next) return;
      const [format, index] = next;
      const spec = generator.make(format, opts.seed, index);
      const dir = join(root, `w${k}`, `c${index}-${format}`);
      rmSync(dir, { recursive: true, force: true });
      materialize(spec, dir, outside);
      const job = { id: spec.id, dir, entry: spec.entry, convert: spec.convert, fix: spec.fix, target: spec.target, html: index % 20 === 0 };
      const outcome = await runner.run(job, timeoutMs);
      record(stats.get(format)!, spec, outcome, timeoutMs, (kind, message, stack) => save(saveDir, spec, kind, message, stack, outside));
      opts.onCase?.(spec, outcome.kind === 'result'
        ? `${outcome.result.outcome} in ${Math.round(outcome.result.ms)} ms: ${outcome.result.message}${outcome.result.convert ? ` | convert ${outcome.result.convert}` : ''}${outcome.result.fix ? ` | fix ${outcome.result.fix}` : ''}`
        : outcome.kind === 'hang' ? 'hang' : `worker died: ${outcome.detail}`);
      if ((spec.convert || spec.fix) && !victimsIntact(outside)) {
        const s = stats.get(format)!;
        s.escapes++;
        s.failures.push(failure(spec, 'victim', 'a file outside the case was changed by convert', undefined, save(saveDir, spec, 'victim', '', undefined, outside)));
        writeVictims(outside);
      }
      rmSync(dir, { recursive: true, force: true });
      done++;
      if (opts.log && Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        opts.log(`${done}/${queue.length + done} cases, ${Math.round((Date.now() - started) / 1000)} s`);
      }
    }
  };
  try {
    await Promise.all(runners.map((r, k) => work(r, k)));
  } finally {
    for (const r of runners) r.stop();
    rmSync(root, { recursive: true, force: true });
  }
  return stats;
}

/**
 * Where cases are written: a memory file system when there is one (/dev/shm on Linux):
 * deleting a case directory on a disk costs ~10 ms, more than running most cases.
 */
function scratchDir(): string {
  for (const base of ['/dev/shm', tmpdir()]) {
    try {
      return mkdtempSync(join(base, 'graphlint-fuzz-'));
    } catch {
      /* not there or not writable: try the next */
    }
  }
  return mkdtempSync(join(tmpdir(), 'graphlint-fuzz-'));
}

function victimsIntact(outside: string): boolean {
  return VICTIMS.every((v) => {
    try {
      return readFileSync(join(outside, v), 'utf8') === VICTIM;
    } catch {
      return false;
    }
  });
}

function failure(spec: CaseSpec, kind: FailureKind, message: string, stack: string | undefined, saved: string): Failure {
  return { kind, id: spec.id, seed: spec.seed, notes: spec.notes, message, ...(stack ? { stack } : {}), saved };
}

function record(
  s: FormatStats, spec: CaseSpec, o: Outcome, timeoutMs: number,
  keep: (kind: FailureKind, message: string, stack?: string) => string,
): void {
  s.cases++;
  const fail = (kind: FailureKind, message: string, stack?: string): void => {
    s.failures.push(failure(spec, kind, message, stack, keep(kind, message, stack)));
  };
  if (o.kind === 'hang') {
    s.hangs++;
    s.totalMs += timeoutMs;
    fail('hang', `no answer within ${timeoutMs} ms`);
    return;
  }
  if (o.kind === 'died') {
    s.crashes++;
    fail('worker-died', o.detail);
    return;
  }
  const r = o.result;
  s.totalMs += r.ms;
  if (!s.slowest || r.ms > s.slowest.ms) s.slowest = { id: spec.id, ms: Math.round(r.ms), seed: spec.seed };
  if (r.ms > slowMs(spec.size)) {
    // Not a failure by itself (a big model takes time), but kept for a look: quadratic work shows up here first.
    s.slow++;
    s.failures.push(failure(spec, 'slow', `${Math.round(r.ms)} ms for ${spec.size} bytes (${r.outcome}: ${r.message})`, undefined, keep('slow', r.message)));
  }
  switch (r.outcome) {
    case 'ok': s.ok++; break;
    case 'lint-error': s.lintError++; break;
    case 'fatal': s.fatal++; break;
    case 'crash':
      s.crashes++;
      fail('crash', r.message, r.stack);
      break;
  }
  if (r.convert.startsWith('written')) s.converted++;
  else if (r.convert.startsWith('refused')) s.convertRefused++;
  if (r.badMessage) {
    s.badMessages++;
    fail('bad-message', r.message || r.convert);
  }
  // Output that cannot be read back is a writer bug, unless the case put links where it was written.
  if (r.reread && !spec.notes.some((n) => n.startsWith('trap-'))) {
    s.unreadable++;
    fail('unreadable-output', r.convert);
  }
  if (r.touched.length > 0) {
    s.escapes++;
    fail('escape', `touched outside the model: ${r.touched.join('; ')}`);
  }
  const limit = memoryLimit(spec.size, r.nodes ?? 0);
  const grew = Math.max(r.mem.heap, r.mem.arrayBuffers, r.mem.external, r.mem.maxRss);
  if (!s.peakMemory || grew / 2 ** 20 > s.peakMemory.mib) s.peakMemory = { id: spec.id, mib: Math.round(grew / 2 ** 20) };
  if (grew > limit) {
    s.memory++;
    fail('memory', `memory grew by ${Math.round(grew / 2 ** 20)} MiB for ${spec.size} bytes of input and ${r.nodes ?? 0} nodes read (heap ${Math.round(r.mem.heap / 2 ** 20)}, buffers ${Math.round(r.mem.arrayBuffers / 2 ** 20)}, peak RSS +${Math.round(r.mem.maxRss / 2 ** 20)} MiB)`);
  }
}

let savedOutside: string | undefined;

/** Writes a failing case (files, links and a case.json) for reproduction; returns where. */
function save(saveDir: string, spec: CaseSpec, kind: FailureKind, message: string, stack: string | undefined, _outside: string): string {
  const dir = resolve(saveDir, `${spec.format}-${spec.runSeed}-${spec.index}`);
  try {
    if (savedOutside === undefined || !existsSync(savedOutside)) {
      savedOutside = join(saveDir, 'outside');
      rmSync(savedOutside, { recursive: true, force: true });
      makeOutside(savedOutside);
    }
    rmSync(dir, { recursive: true, force: true });
    materialize(spec, join(dir, 'case'), savedOutside);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'case.json'), `${JSON.stringify({
      id: spec.id, kind, message, stack, seed: spec.seed, notes: spec.notes, entry: join(dir, 'case', spec.entry),
      convert: spec.convert, fix: spec.fix, target: spec.target,
      replay: `npm run fuzz -- --format ${spec.format} --seed ${spec.runSeed} --case ${spec.index}`,
    }, null, 2)}\n`);
  } catch (e) {
    return `(not saved: ${(e as Error).message})`;
  }
  return dir;
}

/** A table of the counts, one line per format. */
export function formatStats(stats: Iterable<FormatStats>): string {
  const rows = [['format', 'cases', 'ok(0)', 'lint(1)', 'fatal(2)', 'crashes', 'hangs', 'memory', 'escapes', 'bad-msg', 'unreadable', 'converted', 'slow', 'mean', 'peak mem', 'slowest']];
  for (const s of stats) {
    rows.push([
      s.format, s.cases, s.ok, s.lintError, s.fatal, s.crashes, s.hangs, s.memory, s.escapes, s.badMessages, s.unreadable,
      s.converted, s.slow, `${s.cases ? Math.round(s.totalMs / s.cases) : 0} ms`, s.peakMemory ? `${s.peakMemory.mib} MiB` : '-', s.slowest ? `${s.slowest.ms} ms (${s.slowest.id}, ${s.slowest.seed})` : '-',
    ].map(String));
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Failures that fail a run (slow cases are listed, not counted). */
export function realFailures(s: FormatStats): Failure[] {
  return s.failures.filter((f) => f.kind !== 'slow');
}

export function formatFailures(stats: Iterable<FormatStats>, limit = 20): string {
  const lines: string[] = [];
  for (const s of stats) {
    const slow = s.failures.filter((f) => f.kind === 'slow');
    for (const f of [...realFailures(s).slice(0, limit), ...slow.slice(0, 5)]) {
      lines.push(`${f.kind} ${f.id} (seed ${f.seed}; ${f.notes.join(', ')}): ${f.message}`);
      if (f.stack) lines.push(...f.stack.split('\n').slice(0, 8).map((l) => `    ${l}`));
      lines.push(`    saved: ${f.saved}`);
    }
  }
  return lines.join('\n');
}

/**
 * Proves the harness catches what it claims to: a worker that loops forever (a hang), one
 * that allocates 600 MiB for an empty input (memory), one that throws a TypeError (a
 * crash) and one that opens a file outside the model (an escape). Returns what was caught.
 */
export async function selfTest(distRoot: string, timeoutMs = 3000): Promise<Record<string, FailureKind | 'none'>> {
  const root = scratchDir();
  const outside = join(root, 'outside');
  makeOutside(outside);
  const runner = new Runner(distRoot, outside, 100);
  const out: Record<string, FailureKind | 'none'> = {};
  try {
    for (const kind of ['hang', 'memory', 'crash', 'escape']) {
      const spec: CaseSpec = {
        id: `self-test:${kind}`, runSeed: 0, format: 'onnx', index: 0, seed: 'self-test', entry: 'none.onnx', files: [],
        notes: [kind], convert: null, fix: null, target: 'ane', size: 0,
      };
      const s = emptyStats('onnx');
      const o = await runner.run({ id: spec.id, dir: root, entry: spec.entry, convert: null, target: 'ane', selfTest: kind }, timeoutMs);
      record(s, spec, o, timeoutMs, () => '(self-test: not saved)');
      out[kind] = realFailures(s)[0]?.kind ?? 'none';
    }
  } finally {
    runner.stop();
    rmSync(root, { recursive: true, force: true });
  }
  return out;
}

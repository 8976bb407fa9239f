/**
 * Runs a command as a whole process under /usr/bin/time -v and reports its wall time
 * (measured here, around the process), CPU time and peak resident memory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TIME = '/usr/bin/time';

export interface Sample {
  /** Seconds, whole process, start to exit. */
  readonly wall: number;
  /** User + system CPU seconds (all threads: Node's GC helpers count). */
  readonly cpu: number;
  /** Peak resident set size in bytes (GNU time's "Maximum resident set size"). */
  readonly rss: number;
  readonly code: number;
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Why /usr/bin/time cannot be used, or undefined when it can. */
export function timeProblem(): string | undefined {
  if (!existsSync(TIME)) return `${TIME} is missing`;
  const probe = spawnSync(TIME, ['-v', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0 || !/Maximum resident set size/.test(probe.stderr)) {
    return `${TIME} does not support -v (GNU time is needed, not the shell's builtin)`;
  }
  return undefined;
}

/**
 * Runs `argv` once. Standard output is discarded; standard error is kept (GNU time writes
 * its report there, after whatever the command wrote).
 */
export function runOnce(argv: readonly string[], options: { cwd?: string; timeout?: number } = {}): Sample & { stderr: string; timedOut: boolean } {
  // coreutils' timeout, inside time: the command is stopped (SIGTERM, then SIGKILL) and time
  // still reports its usage; exit status 124 says it was stopped.
  const limit = options.timeout ? ['timeout', '--kill-after=10', String(options.timeout)] : [];
  const start = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-v', ...limit, ...argv], {
    cwd: options.cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 << 20,
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.error) throw r.error;
  const err = r.stderr;
  const field = (name: string): number => {
    const m = new RegExp(`${name}: ([0-9.:]+)`).exec(err);
    if (!m) throw new Error(`no "${name}" in /usr/bin/time output for ${argv.join(' ')}:\n${err.slice(-2000)}`);
    return Number(m[1]);
  };
  const status = /Exit status: (\d+)/.exec(err);
  const code = status ? Number(status[1]) : (r.status ?? -1);
  const report = err.lastIndexOf('\tCommand being timed:');
  return {
    wall,
    cpu: field('User time \\(seconds\\)') + field('System time \\(seconds\\)'),
    rss: field('Maximum resident set size \\(kbytes\\)') * 1024,
    code,
    stderr: report >= 0 ? err.slice(0, report) : err,
    timedOut: options.timeout !== undefined && code === 124,
  };
}

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n === 0 ? NaN : n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted[n - 1] ?? NaN };
}

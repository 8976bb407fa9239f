import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';

/**
 * Node starts with a young generation (two semi-spaces of 16 MB) sized for programs that keep
 * little; graphlint builds a model's graph object by object, and on a graph of a million nodes
 * a fifth of its time went to copying young objects that live on (scavenges). With 64 MB
 * semi-spaces the benchmark's 1M-node lint took 13.3-13.5 s against 14.3-16.6 s (three
 * interleaved pairs, bench/RESULTS.md). V8 sizes the young generation when it starts, so the
 * command starts itself again with the flag, only for an input big enough to repay a second
 * start (about 0.07 s): a small model is linted by the first process, as before.
 */
export const BIG_INPUT_BYTES = 64 * 2 ** 20;

const YOUNG_GENERATION = '--max-semi-space-size=64';

/** Set in the second process, to the size of the input that asked for it: it never starts a third. */
export const RESTARTED = 'GRAPHLINT_RESTARTED';

/**
 * The size of the biggest input named in `args` when it is BIG_INPUT_BYTES or more and this
 * process is not already tuned (restarted, or started with a young-generation size of the
 * user's own); else undefined. Only regular files count: a directory is walked later, and a
 * Core ML package keeps its graph in a small spec beside the weights.
 */
export function restartFor(args: readonly string[], env: NodeJS.ProcessEnv, execArgv: readonly string[]): number | undefined {
  if (env[RESTARTED] !== undefined) return undefined;
  if (execArgv.some((a) => a.startsWith('--max-semi-space-size') || a.startsWith('--min-semi-space-size'))) return undefined;
  if ((env.NODE_OPTIONS ?? '').includes('semi-space-size')) return undefined;
  let biggest = 0;
  for (const a of args) {
    if (a.startsWith('-')) continue;
    try {
      const st = statSync(a);
      if (st.isFile()) biggest = Math.max(biggest, st.size);
    } catch {
      /* not a path (an option's value), or missing: the command says so later */
    }
  }
  return biggest >= BIG_INPUT_BYTES ? biggest : undefined;
}

/**
 * Runs this command again in a second Node process with the young generation enlarged, the
 * terminal shared, and ends this one as that one ends: with its exit code, or by the same
 * signal. Signals sent to this process alone (kill PID) are passed on.
 */
export function restart(inputBytes: number): void {
  const script = process.argv[1]!;
  const child = spawn(process.execPath, [YOUNG_GENERATION, ...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [RESTARTED]: String(inputBytes) },
  });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const pass = (s: NodeJS.Signals): void => {
    child.kill(s);
  };
  for (const s of signals) process.on(s, pass);
  child.on('error', (e) => {
    process.stderr.write(`graphlint: cannot start a second Node process for a big input: ${e.message}\n`);
    process.exitCode = 2;
  });
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, pass);
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 2;
  });
}

/** The --debug line of a restarted process: why it runs. */
export function restartNote(env: NodeJS.ProcessEnv): string | undefined {
  const bytes = env[RESTARTED];
  if (bytes === undefined) return undefined;
  return `debug start: started again with ${YOUNG_GENERATION} for an input of ${(Number(bytes) / 2 ** 20).toFixed(0)} MB (${(BIG_INPUT_BYTES / 2 ** 20).toFixed(0)} MB or more)\n`;
}

import type { FixArgs } from './fix-args.js';
import type { LintArgs } from './lint.js';

/** Words yargs does not take as a model path in first place, or anywhere ('help'). */
const SPECIAL = new Set(['summary', 'partitions', 'rules', 'explain', 'convert', 'help', '$0']);

/**
 * The lint command's arguments for the commonest command line, model paths and nothing
 * else, exactly as yargs would give them; undefined for anything else (an option, a
 * command, `--`, ...), which yargs parses. Skipping yargs saves about a third of start-up.
 * test/cli/quick-args.test.ts holds this to what yargs does.
 */
export function plainLintArgs(argv: readonly string[]): (LintArgs & FixArgs) | undefined {
  if (argv.length === 0) return undefined;
  for (const arg of argv) if (arg === '' || arg.startsWith('-') || SPECIAL.has(arg)) return undefined;
  return { paths: [...argv], format: 'text', quiet: false, debug: false };
}

/**
 * The input and output of `convert IN OUT` with two plain paths and nothing else, as yargs
 * would give them; undefined for anything else, which yargs parses (and reports).
 */
export function plainConvertArgs(argv: readonly string[]): readonly [string, string] | undefined {
  if (argv.length !== 3 || argv[0] !== 'convert') return undefined;
  const [, input, output] = argv as [string, string, string];
  for (const arg of [input, output]) if (arg === '' || arg.startsWith('-') || SPECIAL.has(arg)) return undefined;
  return [input, output];
}

/** True for `graphlint --version` alone, which prints the version as yargs would. */
export function versionOnly(argv: readonly string[]): boolean {
  return argv.length === 1 && argv[0] === '--version';
}

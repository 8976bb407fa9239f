import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { wantsFix } from './fix-args.js';
import type { Commands, Fail } from './parser.js';
import { plainConvertArgs, plainLintArgs, versionOnly } from './quick-args.js';
import { writeReport, type WriteReport } from './write-report.js';

export { COREML_FORMATS, FORMATS, TARGETS } from './choices.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/**
 * Runs graphlint with `argv` (without node and script) and returns the exit code:
 * 0 clean, 1 lint errors (or too many warnings), 2 a fatal problem (bad arguments or
 * config, an unreadable model). A later 0 or 1 never hides a 2.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  let failed: string | undefined;
  const run = async (command: () => number | Promise<number>): Promise<void> => {
    try {
      code = await command();
    } catch (e) {
      if (e instanceof UsageError) failed = e.message;
      else throw e;
    }
  };
  const fail: Fail = (msg, err) => {
    failed = msg || (err ? err.message : 'invalid arguments');
  };
  const report: WriteReport = (text, file) => writeReport(text, file, io.stdout);
  // Each command's module loads when that command runs: start-up pays only for what is used.
  const commands: Commands = {
    lint: (args) => run(async () => (wantsFix(args)
      ? (await import('./fix.js')).fixCommand(args, io, report)
      : (await import('./lint.js')).lintCommand(args, io, report))),
    summary: (paths) => run(async () => (await import('./summary.js')).summaryCommand(paths, io)),
    partitions: (args) => run(async () => (await import('./partitions.js')).partitionsCommand(args, io, report)),
    rules: (target) => run(async () => (await import('./rules.js')).rulesCommand(target, io)),
    explain: (id) => run(async () => (await import('./rules.js')).explainCommand(id, io)),
    convert: (input, output) => run(async () => (await import('./convert.js')).convertCommand(input, output, io)),
  };
  try {
    // Loading yargs costs about as much as the rest of start-up, so the command lines it
    // would only split (quick-args.ts) skip it, keeping its output and error reporting.
    const plain = plainLintArgs(argv);
    const plainConvert = plainConvertArgs(argv);
    const failing = (e: unknown): never => {
      fail(null, e as Error);
      throw e;
    };
    if (versionOnly(argv)) console.log(VERSION);
    else if (plain) await commands.lint(plain).catch(failing);
    else if (plainConvert) await commands.convert(...plainConvert).catch(failing);
    else await (await import('./parser.js')).parseCommandLine(argv, commands, fail);
  } catch (e) {
    if (failed === undefined) {
      if (e instanceof UsageError) failed = e.message;
      else throw e;
    }
  }
  if (failed !== undefined) {
    io.stderr(`graphlint: ${failed}\n`);
    return 2;
  }
  return code;

}

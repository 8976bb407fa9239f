import { writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { convertCommand } from './convert.js';
import { lintCommand, type LintArgs } from './lint.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export const FORMATS = ['text', 'json'] as const;
export const TARGETS = ['ane', 'coreml-ep'] as const;

/**
 * Runs graphlint with `argv` (without node and script) and returns the exit code:
 * 0 clean, 1 lint errors, 2 a fatal problem (bad arguments, unreadable model).
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  let failed: string | undefined;
  const parser = yargs([...argv])
    .scriptName('graphlint')
    .usage('$0 [paths..]\n\nFinds what keeps a model off Apple\'s Neural Engine.')
    .command<LintArgs>(
      '$0 [paths..]',
      'lint models (files, packages, directories or globs)',
      (y) =>
        y
          .positional('paths', { type: 'string', array: true, describe: 'models, directories or globs' })
          .option('format', { choices: FORMATS, default: 'text' as const, describe: 'report format' })
          .option('output', { alias: 'o', type: 'string', describe: 'write the report to this file' })
          .option('target', { choices: TARGETS, default: 'ane' as const, describe: 'runtime to judge for' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'report errors only' }),
      (args) => {
        code = lintCommand(args, io, writeReport);
      },
    )
    .command<{ in: string; out: string }>(
      'convert <in> <out>',
      're-serialize a model; formats may differ where meaning allows',
      (y) =>
        y.positional('in', { type: 'string', demandOption: true }).positional('out', { type: 'string', demandOption: true }),
      (args) => {
        code = convertCommand(args.in, args.out, io);
      },
    )
    .option('debug', { type: 'boolean', default: false, describe: 'show internal details of failures' })
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      failed = msg || (err ? err.message : 'invalid arguments');
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    if (failed === undefined) failed = e instanceof Error ? e.message : String(e);
  }
  if (failed !== undefined) {
    io.stderr(`graphlint: ${failed}\nRun 'graphlint --help' for usage.\n`);
    return 2;
  }
  return code;

  function writeReport(text: string, file: string | undefined): void {
    if (file === undefined) {
      io.stdout(text);
      return;
    }
    try {
      writeFileSync(file, text);
    } catch (e) {
      throw new UsageError(`cannot write the report to ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  }
}

import { writeFileSync } from 'node:fs';
import yargs from 'yargs';
import { UsageError, systemReason } from '../errors.js';
import type { TargetId } from '../engine/rule.js';
import { VERSION } from '../version.js';
import { wantsFix, type FixArgs } from './fix-args.js';
import type { LintArgs } from './lint.js';
import type { PartitionsArgs } from './partitions.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export const FORMATS = ['text', 'json', 'sarif', 'html'] as const;
export const COREML_FORMATS = ['mlprogram', 'neuralnetwork'] as const;
export const TARGETS = ['ane', 'coreml-ep'] as const;

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
  // Each command's module loads when that command runs: start-up pays only for what is used.
  const parser = yargs([...argv])
    .scriptName('graphlint')
    .usage("$0 [paths..]\n\nFinds what keeps a model off Apple's Neural Engine.")
    .command<LintArgs & FixArgs>(
      '$0 [paths..]',
      'lint models (files, packages, directories or globs)',
      (y) =>
        y
          .positional('paths', { type: 'string', array: true, describe: 'models, directories or globs' })
          .option('format', { choices: FORMATS, default: 'text' as const, describe: 'report format' })
          .option('output', { alias: 'o', type: 'string', describe: 'write the report to this file' })
          .option('target', { choices: TARGETS, describe: 'runtime to judge for (default: ane, or the config\'s)' })
          .option('config', { type: 'string', describe: 'config file (default: nearest .graphlintrc.json upward)' })
          .option('rule', { type: 'string', requiresArg: true, describe: 'override a rule: ID=off|info|warning|error (repeatable)' })
          .option('input-shape', { type: 'string', requiresArg: true, describe: "fix a graph input's dims for analysis: NAME=D0,D1,... (repeatable)" })
          .option('coreml-format', { choices: COREML_FORMATS, describe: "for --target coreml-ep: the model format ONNX Runtime's Core ML provider builds (default mlprogram)" })
          .option('max-warnings', { type: 'number', describe: 'exit 1 when there are more warnings than this' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'report errors only' })
          .option('fix', { type: 'boolean', describe: 'apply safe fixes and write the model back (atomically)' })
          .option('fix-unsafe', { type: 'boolean', describe: 'also apply fixes that change numerics slightly (implies --fix)' })
          .option('fix-dry-run', { type: 'boolean', describe: 'compute the fixes and report them (partitions before → after); write nothing' })
          .option('out', { type: 'string', requiresArg: true, describe: 'with --fix: write the fixed model here instead of in place (one input only)' })
          .option('verify', { type: 'boolean', describe: 'with --fix on ONNX: run original and fixed models on seeded random inputs (needs onnxruntime-node); exit 1 above tolerance' })
          .option('verify-tolerance', { type: 'number', requiresArg: true, describe: 'largest relative difference --verify accepts (default 1e-4)' }),
      (args) => run(async () => (wantsFix(args)
        ? (await import('./fix.js')).fixCommand(args, io, writeReport)
        : (await import('./lint.js')).lintCommand(args, io, writeReport))),
    )
    .command<{ paths: string[] }>(
      'summary <paths..>',
      'what a model holds: interface, opsets, node count, op histogram',
      (y) => y.positional('paths', { type: 'string', array: true, demandOption: true }),
      (args) => run(async () => (await import('./summary.js')).summaryCommand(args.paths, io)),
    )
    .command<PartitionsArgs>(
      'partitions <path>',
      'the partition report for one model: what runs on the accelerator, the partitions and the bytes that cross between them',
      (y) =>
        y
          .positional('path', { type: 'string', demandOption: true, describe: 'a model' })
          .option('target', { choices: TARGETS, default: 'ane' as const, describe: 'runtime to judge for' })
          .option('format', { choices: ['text', 'json', 'html'] as const, default: 'text' as const, describe: 'report format' })
          .option('output', { alias: 'o', type: 'string', describe: 'write the report to this file' })
          .option('input-shape', { type: 'string', requiresArg: true, describe: "fix a graph input's dims: NAME=D0,D1,... (repeatable)" })
          .option('coreml-format', { choices: COREML_FORMATS, describe: "for --target coreml-ep: the format ONNX Runtime's Core ML provider builds (default mlprogram)" }),
      (args) => run(async () => (await import('./partitions.js')).partitionsCommand(args, io, writeReport)),
    )
    .command<{ target?: TargetId }>(
      'rules',
      'list the rules',
      (y) => y.option('target', { choices: TARGETS, describe: 'only rules for this target' }),
      (args) => run(async () => (await import('./rules.js')).rulesCommand(args.target, io)),
    )
    .command<{ id: string }>(
      'explain <id>',
      "print a rule's documentation",
      (y) => y.positional('id', { type: 'string', demandOption: true }),
      (args) => run(async () => (await import('./rules.js')).explainCommand(args.id, io)),
    )
    .command<{ in: string; out: string }>(
      'convert <in> <out>',
      're-serialize a model; formats may differ where meaning allows',
      (y) => y.positional('in', { type: 'string', demandOption: true }).positional('out', { type: 'string', demandOption: true }),
      (args) => run(async () => (await import('./convert.js')).convertCommand(args.in, args.out, io)),
    )
    .option('debug', { type: 'boolean', default: false, describe: 'explain near misses and show internal details' })
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

  function writeReport(text: string, file: string | undefined): void {
    if (file === undefined) {
      io.stdout(text);
      return;
    }
    try {
      writeFileSync(file, text);
    } catch (e) {
      throw new UsageError(`cannot write the report to ${file}: ${systemReason(e)}`);
    }
  }
}

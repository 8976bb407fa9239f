import yargs from 'yargs';
import type { TargetId } from '../engine/rule.js';
import { VERSION } from '../version.js';
import { COREML_FORMATS, FORMATS, TARGETS } from './choices.js';
import type { FixArgs } from './fix-args.js';
import type { LintArgs } from './lint.js';
import type { PartitionsArgs } from './partitions.js';

/** What a parsed command line runs: one entry per command. */
export interface Commands {
  lint(args: LintArgs & FixArgs): Promise<void>;
  summary(paths: string[]): Promise<void>;
  partitions(args: PartitionsArgs): Promise<void>;
  rules(target: TargetId | undefined): Promise<void>;
  explain(id: string): Promise<void>;
  convert(input: string, output: string): Promise<void>;
}

/** yargs' report of a bad command line (`msg`) or of an error a command threw (`err`). */
export type Fail = (msg: string | null, err?: Error) => void;

/**
 * The command line's grammar: parses `argv` with yargs and runs the command it names
 * (--help and --version print instead). Argument errors, and errors a command throws,
 * go to `fail`; the promise rejects with the latter too.
 */
export function parseCommandLine(argv: readonly string[], commands: Commands, fail: Fail): Promise<unknown> {
  return yargs([...argv])
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
      (args) => commands.lint(args),
    )
    .command<{ paths: string[] }>(
      'summary <paths..>',
      'what a model holds: interface, opsets, node count, op histogram',
      (y) => y.positional('paths', { type: 'string', array: true, demandOption: true }),
      (args) => commands.summary(args.paths),
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
      (args) => commands.partitions(args),
    )
    .command<{ target?: TargetId }>(
      'rules',
      'list the rules',
      (y) => y.option('target', { choices: TARGETS, describe: 'only rules for this target' }),
      (args) => commands.rules(args.target),
    )
    .command<{ id: string }>(
      'explain <id>',
      "print a rule's documentation",
      (y) => y.positional('id', { type: 'string', demandOption: true }),
      (args) => commands.explain(args.id),
    )
    .command<{ in: string; out: string }>(
      'convert <in> <out>',
      're-serialize a model; formats may differ where meaning allows',
      (y) => y.positional('in', { type: 'string', demandOption: true }).positional('out', { type: 'string', demandOption: true }),
      (args) => commands.convert(args.in, args.out),
    )
    .option('debug', { type: 'boolean', default: false, describe: 'explain near misses and show internal details' })
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => fail(msg, err))
    .parseAsync();
}

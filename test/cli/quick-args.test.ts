import { describe, expect, it } from 'vitest';
import { parseCommandLine, type Commands } from '../../src/cli/parser.js';
import { plainConvertArgs, plainLintArgs, versionOnly } from '../../src/cli/quick-args.js';
import { VERSION } from '../../src/version.js';

/** Every field the lint and fix commands read. */
const FIELDS = [
  'paths', 'format', 'output', 'target', 'config', 'rule', 'inputShape', 'coremlFormat', 'maxWarnings', 'quiet', 'debug',
  'fix', 'fixUnsafe', 'fixDryRun', 'out', 'verify', 'verifyTolerance',
] as const;

function pick(args: unknown): Record<string, unknown> {
  return Object.fromEntries(FIELDS.map((k) => [k, (args as Record<string, unknown>)[k]]));
}

interface YargsRun {
  command: string | undefined;
  args: unknown;
  failed: string | undefined;
  printed: string[];
}

/** What graphlint's yargs grammar does with `argv`: the command it calls, with what, and what it prints. */
async function viaYargs(argv: string[]): Promise<YargsRun> {
  const out: YargsRun = { command: undefined, args: undefined, failed: undefined, printed: [] };
  const record = (command: string) => async (args?: unknown): Promise<void> => {
    out.command = command;
    out.args = args;
  };
  const commands: Commands = {
    lint: record('lint'), summary: record('summary'), partitions: record('partitions'),
    rules: record('rules'), explain: record('explain'),
    convert: async (input, output) => record('convert')({ in: input, out: output }),
  };
  const log = console.log;
  console.log = (...text: unknown[]) => void out.printed.push(text.join(' '));
  try {
    await parseCommandLine(argv, commands, (msg, err) => {
      out.failed = msg || err?.message;
    });
  } finally {
    console.log = log;
  }
  return out;
}

async function expectSameAsYargs(argv: string[]): Promise<void> {
  const quick = plainLintArgs(argv);
  if (!quick) return;
  const y = await viaYargs(argv);
  expect({ argv, command: y.command, failed: y.failed, printed: y.printed }).toEqual({ argv, command: 'lint', failed: undefined, printed: [] });
  expect(pick(quick)).toEqual(pick(y.args));
}

/** A small seeded generator (mulberry32), so a failure names a reproducible case. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('command lines that skip yargs', () => {
  it('model paths alone: the lint arguments yargs would give', async () => {
    const lines = [
      ['model.onnx'], ['a.onnx', 'b.mlpackage', 'models/'], ['models/*.onnx'], ['007'], ['1e3'], ['0x10'], ['Infinity'],
      ['true'], ['null'], ['a=b'], ['a b.onnx'], ['modèle.onnx'], ['version'], ['completion'], ['x.onnx', 'x.onnx'],
      ['$x.onnx'], ['./-x.onnx'], ['.'], ['/'],
    ];
    for (const argv of lines) {
      expect(plainLintArgs(argv), argv.join(' ')).toBeDefined();
      await expectSameAsYargs(argv);
    }
  });

  it('anything else goes to yargs', () => {
    const lines = [
      [], [''], ['--format', 'json', 'm.onnx'], ['m.onnx', '-q'], ['-'], ['m.onnx', '--'], ['summary', 'm.onnx'], ['partitions', 'm.onnx'],
      ['rules'], ['explain', 'gelu'], ['convert', 'a.onnx', 'b.onnx'], ['help'], ['m.onnx', 'help'], ['$0'], ['--help'], ['--version', 'm.onnx'],
      // Command names yargs reads as paths after the first place: rare, and left to yargs anyway.
      ['m.onnx', 'summary'], ['m.onnx', '$0'],
    ];
    for (const argv of lines) expect(plainLintArgs(argv), argv.join(' ')).toBeUndefined();
  });

  it('agrees with yargs on random command lines', async () => {
    const next = random(20261121);
    const alphabet = ['a', 'b', 'x', '.', '/', '*', '?', '=', ' ', '$', 'é', '-', '_', ':', ',', '0', '1', '9', 'e', 'onnx', 'help', '"', "'", '\\', '[', '{'];
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const argv = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
        Array.from({ length: 1 + Math.floor(next() * 6) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
      if (plainLintArgs(argv)) compared++;
      await expectSameAsYargs(argv);
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('convert IN OUT with two plain paths: the input and output yargs would give', async () => {
    const next = random(20261122);
    const alphabet = ['a', 'b', 'x', '.', '/', '*', '=', ' ', '$', 'é', '-', '_', '0', '9', 'e', 'onnx', 'help', '"', '\\'];
    const word = (): string => Array.from({ length: 1 + Math.floor(next() * 5) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    const lines = [['convert', 'a.onnx', 'b.mlpackage'], ['convert', '007', '1e3'], ['convert', 'x.onnx', 'x.onnx']];
    for (let i = 0; i < 200; i++) lines.push(['convert', word(), word()]);
    let compared = 0;
    for (const argv of lines) {
      const quick = plainConvertArgs(argv);
      if (!quick) continue;
      compared++;
      const y = await viaYargs(argv);
      expect({ argv, command: y.command, failed: y.failed, printed: y.printed }).toEqual({ argv, command: 'convert', failed: undefined, printed: [] });
      const args = y.args as { in: unknown; out: unknown };
      expect(quick, argv.join(' ')).toEqual([args.in, args.out]);
    }
    expect(compared).toBeGreaterThan(100);
    const others = [
      ['convert'], ['convert', 'a.onnx'], ['convert', 'a.onnx', 'b.onnx', 'c.onnx'], ['convert', '-a', 'b.onnx'], ['convert', 'a.onnx', '--debug'],
      ['convert', 'help', 'b.onnx'], ['convert', '', 'b.onnx'], ['convert', 'a.onnx', '--'], ['a.onnx', 'convert', 'b.onnx'], ['--debug', 'convert', 'a', 'b'],
    ];
    for (const argv of others) expect(plainConvertArgs(argv), argv.join(' ')).toBeUndefined();
  });

  it('--version alone prints the version, as yargs does', async () => {
    expect(versionOnly(['--version'])).toBe(true);
    expect(versionOnly(['--version', 'm.onnx'])).toBe(false);
    const y = await viaYargs(['--version']);
    expect(y).toEqual({ command: undefined, args: undefined, failed: undefined, printed: [VERSION] });
  });
});

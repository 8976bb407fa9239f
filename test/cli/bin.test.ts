import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeOnnx } from '../../src/formats/onnx/index.js';
import { ModelBuilder } from '../../src/ir/build.js';
import { REPO_ROOT } from '../helpers/corpus.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = join(REPO_ROOT, 'dist', 'bin', 'graphlint.js');
const EXAMPLE = join(REPO_ROOT, 'examples', 'tiny-speech-encoder.onnx');

function graphlint(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'npm run build' (npm test does)`);
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bin/graphlint end to end', () => {
  it('exits 0 on the bundled example and prints its summary', () => {
    const r = graphlint('summary', EXAMPLE);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('audio   float32[batch,1520]');
    expect(r.stdout).toMatch(/Slice\s+8/);
  });

  it('exits 2 on an unreadable file, names it on one line, and still reports the good one', () => {
    const dir = tempDir();
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, Buffer.from('this is not protobuf at all, just text\n'));
    const r = graphlint('--format', 'json', junk, EXAMPLE);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(junk);
    expect(lines[0]).not.toMatch(/at .*\.js:\d+/);
    const report = JSON.parse(r.stdout) as { results: { path: string; fatal: unknown; stats: { nodes: number } | null }[] };
    expect(report.results.map((x) => x.path)).toEqual([junk, EXAMPLE]);
    expect(report.results[0]!.fatal).not.toBeNull();
    expect(report.results[1]!.stats!.nodes).toBe(39);
  });

  it('exits 2 on an empty file and on a missing path', () => {
    const dir = tempDir();
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    const r = graphlint(empty, join(dir, 'missing.onnx'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${empty}: empty file`);
    expect(r.stderr).toContain('missing.onnx: no such file or directory');
  });

  it('refuses unknown options with exit 2 and a pointer to --help', () => {
    const r = graphlint('--no-such-option', EXAMPLE);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument/i);
  });

  it('prints help and version with exit 0', () => {
    expect(graphlint('--help').code).toBe(0);
    const v = graphlint('--version');
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("speaks the user's locale in argument errors, as yargs does (the bundle carries its translations)", () => {
    const r = spawnSync(process.execPath, [BIN, EXAMPLE, '--bogus'], {
      encoding: 'utf8', timeout: 60_000, env: { ...process.env, LC_ALL: 'de_DE.UTF-8' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Unbekanntes Argument: bogus');
  });

  it('convert round-trips the example byte for byte', () => {
    const dir = tempDir();
    const out = join(dir, 'copy.onnx');
    const r = graphlint('convert', EXAMPLE, out);
    expect(r.code).toBe(0);
    expect(spawnSync('cmp', [EXAMPLE, out]).status).toBe(0);
  });
});

describe('a directory of more models than the process may open files', () => {
  it('lints, summarizes, fixes (dry run) and draws them all: each model lets go of its files when done', () => {
    const dir = tempDir();
    for (let i = 0; i < 100; i++) copyFileSync(EXAMPLE, join(dir, `m${i}.onnx`));
    // 48 descriptors: Node needs about 20 of its own; without the release the run failed at about m30.
    const limited = (...args: string[]) => spawnSync('sh', ['-c', 'ulimit -n 48 && exec "$0" "$@"', process.execPath, BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
    for (const args of [['--format', 'json'], ['summary'], ['--fix-dry-run', '--format', 'json'], ['--format', 'html', '-o', join(dir, 'r.html')]]) {
      const r = limited(...args, dir);
      expect(r.stderr, args.join(' ')).not.toContain('EMFILE');
      expect(r.status, args.join(' ')).toBe(0);
    }
  });
});

describe('lint options', () => {
  it('refuses a malformed --input-shape and an unknown --rule with exit 2', () => {
    const bad = graphlint('--input-shape', 'audio', EXAMPLE);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected NAME=D0,D1');
    const rule = graphlint('--rule', 'no-such-rule=off', EXAMPLE);
    expect(rule.code).toBe(2);
    expect(rule.stderr).toContain('unknown rule');
  });

  it('accepts --input-shape for a real input', () => {
    expect(graphlint('--input-shape', 'audio=1,1520', EXAMPLE).code).toBe(0);
  });
});

describe('exit codes through bin/graphlint', () => {
  /** A model with one LSTM: unsupported on the Neural Engine, an error. */
  function lstmModel(dir: string): string {
    const b = new ModelBuilder({ opset: 14 });
    const x = b.input('x', 'float32', [5, 1, 8]);
    const w = b.constant('W', 'float32', [1, 16, 8], new Array(128).fill(0.1));
    const r = b.constant('R', 'float32', [1, 16, 4], new Array(64).fill(0.1));
    const [y] = b.opN('LSTM', [x, w, r], 3, { hidden_size: 4 });
    b.output(y!, 'float32', [5, 1, 1, 4]);
    const path = join(dir, 'lstm.onnx');
    writeOnnx(b.model, path);
    return path;
  }

  /** Two Relus: nothing for any rule to say. */
  function cleanModel(dir: string): string {
    const b = new ModelBuilder({ opset: 17 });
    const x = b.input('x', 'float32', [1, 8, 4, 4]);
    b.output(b.op('Relu', [b.op('Relu', [x])]), 'float32', [1, 8, 4, 4]);
    const path = join(dir, 'clean.onnx');
    writeOnnx(b.model, path);
    return path;
  }

  it('0 on a clean model, 1 on a lint error, 2 when a file cannot be read (even next to a lint error)', () => {
    const dir = tempDir();
    const clean = graphlint(cleanModel(dir));
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('no problems');
    const lstm = lstmModel(dir);
    const bad = graphlint(lstm);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/error\s+unsupported-op\s+main\/LSTM_0/);
    writeFileSync(join(dir, 'junk.onnx'), 'junk');
    expect(graphlint(lstm, join(dir, 'junk.onnx')).code).toBe(2);
  });

  it('--rule turns an error off; --max-warnings and -q change the outcome', () => {
    const dir = tempDir();
    const lstm = lstmModel(dir);
    expect(graphlint('--rule', 'unsupported-op=off', lstm).code).toBe(0);
    expect(graphlint('--rule', 'unsupported-op=warning', '--max-warnings', '0', lstm).code).toBe(1);
    expect(graphlint('--rule', 'unsupported-op=warning', lstm).code).toBe(0);
    const quiet = graphlint('-q', '--rule', 'unsupported-op=warning', lstm);
    expect(quiet.stdout).not.toContain('unsupported-op');
  });

  it('a broken config is exit 2 with the file and key named', () => {
    const dir = tempDir();
    const model = cleanModel(dir);
    writeFileSync(join(dir, '.graphlintrc.json'), JSON.stringify({ rules: { 'layer-nrom': 'off' } }));
    const r = graphlint(model);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('.graphlintrc.json');
    expect(r.stderr).toContain('did you mean "layer-norm"');
  });

  it('rules lists every rule and explain prints a doc', () => {
    const rules = graphlint('rules');
    expect(rules.code).toBe(0);
    expect(rules.stdout.trim().split('\n')).toHaveLength(17);
    const explain = graphlint('explain', 'slice-fan-out');
    expect(explain.code).toBe(0);
    expect(explain.stdout).toMatch(/^# slice-fan-out/);
    expect(graphlint('explain', 'slice-fanout').stderr).toContain('did you mean "slice-fan-out"');
  });
});

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFailures, formatStats, realFailures, REPO_ROOT, runFuzz } from './driver.js';
import { builtCoremlSeeds, builtOnnxSeeds, corpusSeeds, FORMATS, type Format } from './seeds.js';

/**
 * `npm run fuzz -- --count N [--format onnx|mlmodel|mlpackage|mlmodelc|mil] [--seed S]`
 *   [--case I[,J]] replay cases of a run   [--timeout MS] per case (default 20000)
 *   [--workers N] (default: cores)   [--corpus all|small|none] (default all)   [--save DIR]
 * Prints per-format counts and every failure with its seed, case and saved input; exits 1
 * when anything crashed, hung, grew its memory past its input, or escaped the model.
 */

function parse(argv: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`--${k} needs a value`);
    out.set(k, [...(out.get(k) ?? []), ...v.split(',')]);
  }
  return out;
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const known = new Set(['count', 'format', 'seed', 'case', 'timeout', 'workers', 'corpus', 'save', 'dist']);
  for (const k of args.keys()) if (!known.has(k)) throw new Error(`unknown option --${k}`);
  const one = (k: string): string | undefined => args.get(k)?.at(-1);
  const formats = (args.get('format') ?? [...FORMATS]) as Format[];
  for (const f of formats) if (!(FORMATS as readonly string[]).includes(f)) throw new Error(`--format ${f}: expected one of ${FORMATS.join(', ')}`);
  const count = Number(one('count') ?? 1000);
  const seed = one('seed') !== undefined ? Number(one('seed')) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  const only = args.get('case')?.map(Number);
  const corpusMode = one('corpus') ?? 'all';
  const here = dirname(fileURLToPath(import.meta.url));
  const built = resolve(here, '..', '..');
  const dist = one('dist') ?? (existsSync(join(built, 'rules', 'index.js')) ? built : join(REPO_ROOT, 'dist'));

  const corpus = resolve(REPO_ROOT, '..', 'shared', 'corpus');
  const seeds = [...builtOnnxSeeds(), ...builtCoremlSeeds()];
  if (corpusMode !== 'none') {
    const found = corpusSeeds(corpus, corpusMode === 'small' ? 1_500_000 : Infinity);
    if (found.length === 0) console.log(`SKIPPED corpus seeds: ${corpus} not found`);
    seeds.push(...found);
  }
  const perFormat = FORMATS.map((f) => `${f} ${seeds.filter((s) => s.format === f).length}`).join(', ');
  console.log(`graphlint fuzz: seed ${seed}, ${count} cases per format (${formats.join(', ')}), seeds: ${perFormat}; code: ${dist}`);
  const started = Date.now();
  const stats = await runFuzz({
    formats, count, seed, seeds, distRoot: dist, ...(only ? { only } : {}),
    timeoutMs: Number(one('timeout') ?? 20_000),
    workers: Number(one('workers') ?? availableParallelism()),
    ...(one('save') ? { saveDir: resolve(one('save')!) } : {}),
    log: (line) => console.log(line),
    ...(only ? { onCase: (spec, outcome) => console.log(`${spec.id} (${spec.seed}; ${spec.notes.join(', ')}): ${outcome}`) } : {}),
  });
  console.log(`\n${formatStats(stats.values())}`);
  console.log(`\n${Math.round((Date.now() - started) / 1000)} s`);
  const failures = formatFailures(stats.values(), 50);
  if (failures) console.log(`\nfailures:\n${failures}`);
  return [...stats.values()].some((s) => realFailures(s).length > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`fuzz: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(2);
  },
);

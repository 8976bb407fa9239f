import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MODEL as COREML_MODEL, schema as coremlSchema } from '../../src/formats/coreml/schema.js';
import { MODEL as ONNX_MODEL } from '../../src/formats/onnx/schema.js';
import { newManifest } from '../../src/formats/coreml/mlpackage.js';
import { programSpec, weightFile } from '../formats/coreml/build.js';
import { mutateBlob, recordOffsets } from './mutate-blob.js';
import { mutateJson } from './mutate-json.js';
import { damage, mutateProto, protoSeed, type ProtoSeed } from './mutate-proto.js';
import { mutateText, textSeed, type TextSeed } from './mutate-text.js';
import { caseSeed, Rng } from './prng.js';
import { MIL_V10, type Format, type Seed } from './seeds.js';

/**
 * One fuzz case: the files of a mutated model (with links and FIFOs where the case wants
 * them), what to do with it, and the notes that say how it was made. A case is a pure
 * function of (run seed, format, index), so any failure is reproduced from those three.
 */

export interface CaseFile {
  readonly rel: string;
  readonly kind: 'file' | 'dir' | 'symlink' | 'fifo';
  readonly data?: Uint8Array;
  /** For links: a path relative to the link, or `@outside/<name>` for a file outside the case. */
  readonly target?: string;
}

export interface CaseSpec {
  readonly id: string;
  readonly runSeed: number;
  readonly format: Format;
  readonly index: number;
  readonly seed: string;
  readonly entry: string;
  readonly files: readonly CaseFile[];
  readonly notes: readonly string[];
  /** Where to convert the model to (relative to the case directory), or null. */
  readonly convert: string | null;
  /** Run `graphlint --fix` on it: writing beside it (`--out`) or in place. */
  readonly fix: 'out' | 'inplace' | null;
  readonly target: 'ane' | 'coreml-ep';
  /** Total bytes of the case's files. */
  readonly size: number;
}

/** Files outside every case directory that links in a case point at; victims must never change. */
export const VICTIM = 'VICTIM: graphlint must never write here\n';

export function makeOutside(dir: string): void {
  const put = (rel: string, data: Uint8Array | string): void => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), data);
  };
  const spec = programSpec({ blob: { fileName: '@model_path/weights/weight.bin', offset: 64 } });
  put('secret.bin', 'SECRET '.repeat(20));
  put('weight.bin', weightFile());
  put('Manifest.json', newManifest(true).text);
  put('model.mlmodel', spec);
  put('model.mil', MIL_V10);
  put('Data/com.apple.CoreML/model.mlmodel', spec);
  put('Data/com.apple.CoreML/weights/weight.bin', weightFile());
  put('weights/weight.bin', weightFile());
  put('dir/w.bin', Buffer.alloc(4096, 7));
  put('dir/weight.bin', weightFile());
  writeVictims(dir);
}

export const VICTIMS = ['victim.bin', 'victimdir/weight.bin', 'victimdir/Manifest.json', 'victimdir/model.mil'];

export function writeVictims(dir: string): void {
  for (const v of VICTIMS) {
    mkdirSync(dirname(join(dir, v)), { recursive: true });
    writeFileSync(join(dir, v), VICTIM);
  }
}

let haveMkfifo: boolean | undefined;

/** Writes a case's files under `dir`. */
export function materialize(spec: CaseSpec, dir: string, outside: string): void {
  mkdirSync(dir, { recursive: true });
  // Entries under a link or a file are dropped: writing them would go through the link.
  const leaves = new Set(spec.files.filter((f) => f.kind !== 'dir').map((f) => f.rel));
  const under = (rel: string): boolean => {
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) if (leaves.has(rel.slice(0, i))) return true;
    return false;
  };
  for (const f of [...spec.files].sort((a, b) => (a.rel < b.rel ? -1 : 1))) {
    if (under(f.rel)) continue;
    const path = join(dir, f.rel);
    mkdirSync(dirname(path), { recursive: true });
    switch (f.kind) {
      case 'file': writeFileSync(path, f.data!); break;
      case 'dir': mkdirSync(path, { recursive: true }); break;
      case 'symlink': symlinkSync(f.target!.startsWith('@outside/') ? join(outside, f.target!.slice(9)) : f.target!, path); break;
      case 'fifo':
        haveMkfifo ??= tryMkfifo(path);
        if (haveMkfifo) execFileSync('mkfifo', [path]);
        else writeFileSync(path, '');
        break;
    }
  }
  if (spec.convert && !under(spec.convert)) mkdirSync(join(dir, dirname(spec.convert)), { recursive: true });
}

function tryMkfifo(path: string): boolean {
  try {
    execFileSync('mkfifo', [`${path}.probe`]);
    execFileSync('rm', [`${path}.probe`]);
    return true;
  } catch {
    return false;
  }
}

/** Outputs a convert may write, by input format (same format first). */
const OUTPUTS: Readonly<Record<Format, readonly string[]>> = {
  onnx: ['out/m.onnx'],
  mlmodel: ['out/m.mlmodel', 'out/m.mlpackage'],
  mlpackage: ['out/m.mlpackage', 'out/m.mlmodel'],
  mlmodelc: ['out/m.mlmodelc', 'out/m.mlpackage'],
  mil: ['out/m.mil', 'out/m.mlpackage'],
};

/** Where a format keeps its weight files, relative to the case directory. */
const WEIGHT_DIR: Readonly<Record<Format, string>> = {
  onnx: '',
  mlmodel: 'weights/',
  mlpackage: 'm.mlpackage/Data/com.apple.CoreML/weights/',
  mlmodelc: 'm.mlmodelc/weights/',
  mil: 'weights/',
};

export class CaseGenerator {
  private readonly byFormat = new Map<Format, Seed[]>();
  private readonly protos = new Map<string, ProtoSeed>();
  private readonly texts = new Map<string, TextSeed>();

  constructor(seeds: readonly Seed[]) {
    for (const s of seeds) {
      const list = this.byFormat.get(s.format) ?? [];
      list.push(s);
      this.byFormat.set(s.format, list);
    }
  }

  seedsOf(format: Format): readonly Seed[] {
    return this.byFormat.get(format) ?? [];
  }

  make(format: Format, runSeed: number, index: number): CaseSpec {
    const rng = new Rng(caseSeed(runSeed, format, index));
    const seeds = this.seedsOf(format);
    // Small seeds are cheap and as telling: weigh by 1/sqrt(size).
    const seed = rng.weighted(seeds.map((s) => [1 / Math.sqrt(1024 + s.size), s] as const));
    const files = new Map<string, CaseFile>(seed.files.map((f) => [f.rel, { rel: f.rel, kind: 'file', data: f.data }]));
    const notes: string[] = [];
    const mutate = (rel: string, how: (data: Uint8Array) => Uint8Array): void => {
      const f = files.get(rel);
      if (f?.kind === 'file') files.set(rel, { ...f, data: how(f.data!) });
    };
    const find = (suffix: string): string | undefined => [...files.keys()].find((k) => k.endsWith(suffix));
    const proto = (rel: string, dialect: 'onnx' | 'coreml', offset = 0): void =>
      mutate(rel, (d) => mutateProto(this.protoSeed(seed.name, rel, d, dialect, offset), rng, notes));
    const text = (rel: string): void => mutate(rel, (d) => mutateText(this.textSeed(seed.name, rel, d), rng, notes));
    const json = (rel: string): void => mutate(rel, (d) => mutateJson(Buffer.from(d).toString('utf8'), rng, notes));
    const blob = (rel: string): void => mutate(rel, (d) => mutateBlob(d, recordOffsets(d), rng, notes));

    switch (format) {
      case 'onnx': {
        if (rng.chance(0.92)) proto(seed.entry, 'onnx');
        const data = find('weights.bin');
        if (data && rng.chance(0.25)) mutate(data, (d) => damage(null, d, rng, notes));
        break;
      }
      case 'mlmodel': {
        if (rng.chance(0.9)) proto(seed.entry, 'coreml');
        const w = find('weight.bin');
        if (w && rng.chance(0.3)) blob(w);
        break;
      }
      case 'mlpackage':
      case 'mlmodelc':
      case 'mil': {
        const parts: Array<readonly [number, string]> = format === 'mlpackage'
          ? [[2, 'manifest'], [5, 'spec'], [2, 'weights'], [2, 'fs']]
          : format === 'mlmodelc' ? [[5, 'mil'], [2, 'metadata'], [2, 'coremldata'], [2, 'weights'], [2, 'fs']]
          : [[8, 'mil'], [1, 'weights'], [1, 'fs']];
        const n = rng.chance(0.75) ? 1 : 2;
        for (let i = 0; i < n; i++) {
          const part = rng.weighted(parts);
          const rel = part === 'manifest' ? find('Manifest.json')
            : part === 'spec' ? find('.mlmodel')
            : part === 'mil' ? find('model.mil')
            : part === 'metadata' ? find('metadata.json')
            : part === 'coremldata' ? find('/coremldata.bin')
            : part === 'weights' ? find('weight.bin') : undefined;
          if (part === 'fs') this.fsMutation(files, seed, rng, notes);
          else if (rel === undefined) continue;
          else if (part === 'manifest' || part === 'metadata') json(rel);
          else if (part === 'spec') proto(rel, 'coreml');
          else if (part === 'mil') text(rel);
          else if (part === 'weights') blob(rel);
          else if (part === 'coremldata') this.coremldata(files, rel, seed, rng, notes);
        }
        break;
      }
    }
    if (rng.chance(0.25)) this.environment(files, format, rng, notes);
    let convert: string | null = null;
    if (rng.chance(0.3)) {
      // Mostly outputs the format can become; sometimes any (a refusal must be a clear one).
      convert = rng.chance(0.85) ? rng.pick(OUTPUTS[format]) : rng.pick(Object.values(OUTPUTS).flat());
      notes.push(`convert:${convert}`);
      if (rng.chance(0.3)) this.traps(files, convert, rng, notes);
    }
    const fix = rng.chance(0.12) ? (rng.chance(0.7) ? 'out' : 'inplace') : null;
    if (fix) notes.push(`fix:${fix}`);
    const list = [...files.values()];
    return {
      id: `${format}:${runSeed}:${index}`, runSeed, format, index, seed: seed.name, entry: seed.entry, files: list, notes,
      convert, fix, target: rng.chance(0.2) ? 'coreml-ep' : 'ane', size: list.reduce((n, f) => n + (f.data?.length ?? 0), 0),
    };
  }

  private protoSeed(seed: string, rel: string, data: Uint8Array, dialect: 'onnx' | 'coreml', offset: number): ProtoSeed {
    const key = `${seed}\0${rel}`;
    let p = this.protos.get(key);
    if (!p) {
      p = protoSeed(data, dialect === 'onnx' ? ONNX_MODEL : COREML_MODEL, dialect, offset);
      this.protos.set(key, p);
    }
    return p;
  }

  private textSeed(seed: string, rel: string, data: Uint8Array): TextSeed {
    const key = `${seed}\0${rel}`;
    let t = this.texts.get(key);
    if (!t) {
      t = textSeed(Buffer.from(data).toString('utf8'));
      this.texts.set(key, t);
    }
    return t;
  }

  /** coremldata.bin: its header lengths bombed, or its protobuf payload mutated. */
  private coremldata(files: Map<string, CaseFile>, rel: string, seed: Seed, rng: Rng, notes: string[]): void {
    const f = files.get(rel);
    if (f?.kind !== 'file') return;
    const b = Buffer.from(f.data!);
    if (b.length < 0x2c) return;
    const tagLen = Number(b.readBigUInt64LE(0x1c));
    const kind = tagLen <= 32 ? b.subarray(0x24, 0x24 + tagLen).toString('latin1') : '';
    const r = rng.int(4);
    if (r === 0) {
      notes.push('coremldata-taglen');
      b.writeBigUInt64LE(rng.pick([0n, 5n, 32n, 33n, 1n << 40n, (1n << 64n) - 1n]), 0x1c);
    } else if (r === 1 && kind === 'generic' && b.length >= 0x24 + tagLen + 40) {
      notes.push('coremldata-desclen');
      b.writeBigUInt64LE(rng.pick([0n, 1n, 1n << 32n, 1n << 53n, (1n << 64n) - 1n, BigInt(b.length)]), 0x24 + tagLen + 32);
    } else if (r === 2) {
      notes.push('coremldata-type');
      b.writeUInt32LE(rng.pick([0, 500, 502, 202, 600, 0xffffffff]), 0);
    } else {
      const start = kind === 'spec' ? 0x24 + tagLen + 32 : kind === 'generic' ? 0x24 + tagLen + 40 : -1;
      if (start < 0 || start >= b.length) return;
      const bodyEnd = kind === 'generic' ? start + Number(b.readBigUInt64LE(start - 8)) : b.length;
      if (bodyEnd > b.length) return;
      const schema = kind === 'spec' ? COREML_MODEL : coremlSchema('ModelDescription');
      const key = `${seed.name}\0${rel}`;
      let p = this.protos.get(key);
      if (!p) {
        p = protoSeed(b.subarray(0, bodyEnd), schema, 'coreml', start);
        this.protos.set(key, p);
      }
      const body = mutateProto(p, rng, notes);
      let out = Buffer.concat([body, b.subarray(bodyEnd)]);
      if (kind === 'generic' && out.length >= start && rng.chance(0.8)) {
        out = Buffer.from(out);
        out.writeBigUInt64LE(BigInt(Math.max(0, body.length - start)), start - 8);
      }
      files.set(rel, { ...f, data: out });
      return;
    }
    files.set(rel, { ...f, data: b });
  }

  /** Files removed, turned into directories, links out of the model, link loops and FIFOs. */
  private fsMutation(files: Map<string, CaseFile>, seed: Seed, rng: Rng, notes: string[]): void {
    // The model the user names may itself be a link (followed, as any path a user types): not mutated here.
    const rels = [...files.keys()].filter((r) => r !== seed.entry);
    if (rels.length === 0) return;
    const rel = rng.pick(rels);
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    const kind = rng.weighted([
      [3, 'delete'], [1, 'to-dir'], [3, 'link-out'], [2, 'dir-link-out'], [1, 'link-loop'], [1, 'fifo'],
      [1, 'extra'], [1, 'empty'], [1, 'link-inside'],
    ] as const);
    notes.push(`fs-${kind}:${rel}`);
    switch (kind) {
      case 'delete': files.delete(rel); break;
      case 'to-dir': files.set(rel, { rel, kind: 'dir' }); break;
      case 'link-out': {
        const known = ['weight.bin', 'Manifest.json', 'model.mlmodel', 'model.mil'];
        files.set(rel, { rel, kind: 'symlink', target: `@outside/${known.includes(base) ? base : 'secret.bin'}` });
        break;
      }
      case 'dir-link-out': {
        // A directory of the model (Data, com.apple.CoreML, weights) replaced by a link out.
        const dirs = new Set<string>();
        for (const r of rels) {
          const parts = r.split('/');
          // Not the package itself (the user names it): the directories inside it.
          for (let i = parts[0] === seed.entry ? 2 : 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
        }
        if (dirs.size === 0) return;
        const d = rng.pick([...dirs]);
        for (const r of rels) if (r.startsWith(`${d}/`)) files.delete(r);
        const name = d.slice(d.lastIndexOf('/') + 1);
        files.set(d, { rel: d, kind: 'symlink', target: `@outside/${['Data', 'weights'].includes(name) ? name : 'dir'}` });
        notes.push(`dir-link:${d}`);
        break;
      }
      case 'link-loop': files.set(rel, { rel, kind: 'symlink', target: base }); break;
      case 'fifo': files.set(rel, { rel, kind: 'fifo' }); break;
      case 'extra': {
        const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '';
        const r = `${dir}${rng.pick(['extra.bin', 'model.mlmodel', 'weight.bin', '.hidden', 'Manifest.json'])}`;
        if (!files.has(r)) files.set(r, { rel: r, kind: 'file', data: Buffer.from('junk') });
        break;
      }
      case 'empty': files.set(rel, { rel, kind: 'file', data: new Uint8Array(0) }); break;
      case 'link-inside': {
        const other = rng.pick(rels);
        const depth = rel.split('/').length - 1;
        files.set(rel, { rel, kind: 'symlink', target: `${'../'.repeat(depth)}${other}` });
        break;
      }
    }
  }

  /** Files a model may name beside it: data, links out, a link loop, a FIFO. */
  private environment(files: Map<string, CaseFile>, format: Format, rng: Rng, notes: string[]): void {
    notes.push('environment');
    const w = WEIGHT_DIR[format];
    const model = format === 'mlpackage' ? 'm.mlpackage/Data/com.apple.CoreML/' : format === 'mlmodelc' ? 'm.mlmodelc/' : '';
    const add = (f: CaseFile): void => {
      if (!files.has(f.rel)) files.set(f.rel, f);
    };
    const random = new Uint8Array(rng.pick([0, 16, 64, 200, 4096]));
    for (let i = 0; i < random.length; i++) random[i] = rng.int(256);
    add({ rel: `${w}w.bin`, kind: 'file', data: random });
    add({ rel: `${w}sub/w.bin`, kind: 'file', data: random });
    add({ rel: `${w}link.bin`, kind: 'symlink', target: format === 'onnx' ? '@outside/secret.bin' : '@outside/weight.bin' });
    add({ rel: `${model}dirlink`, kind: 'symlink', target: '@outside/dir' });
    add({ rel: `${w}loop.bin`, kind: 'symlink', target: 'loop.bin' });
    if (rng.chance(0.1)) add({ rel: `${w}fifo.bin`, kind: 'fifo' });
  }

  /** Links where convert writes: the output itself, or files it copies along, pointing out. */
  private traps(files: Map<string, CaseFile>, convert: string, rng: Rng, notes: string[]): void {
    const dir = convert.slice(0, convert.lastIndexOf('/') + 1);
    const isDir = /\.(mlpackage|mlmodelc)$/.test(convert);
    const kind = rng.int(3);
    notes.push(`trap-${kind}`);
    if (kind === 0) files.set(convert, { rel: convert, kind: 'symlink', target: isDir ? '@outside/victimdir' : '@outside/victim.bin' });
    else if (kind === 1) {
      for (const name of ['weights.bin', 'w.bin']) files.set(`${dir}${name}`, { rel: `${dir}${name}`, kind: 'symlink', target: '@outside/victim.bin' });
      files.set(`${dir}weights`, { rel: `${dir}weights`, kind: 'symlink', target: '@outside/victimdir' });
    } else {
      files.set(`${dir}weights/weight.bin`, { rel: `${dir}weights/weight.bin`, kind: 'symlink', target: '@outside/victim.bin' });
      files.set(`${dir}sub`, { rel: `${dir}sub`, kind: 'symlink', target: '@outside/victimdir' });
    }
  }
}

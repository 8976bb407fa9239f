import type { MessageSchema } from '../../src/formats/wire/schema.js';
import type { Rng } from './prng.js';
import {
  cloneField, mk, mkMessage, mkString, mkVarint, overlongVarint, packVarints, parseTree, placeAll, serialize,
  serializedSize, unpackVarints, varint, type PbField, type Placed,
} from './protobuf.js';

/**
 * Structure-aware mutation of protobuf models (ONNX ModelProto, Core ML Model): the seed
 * is parsed once into a tree; each case applies a few tree edits (undone afterwards),
 * serializes, and sometimes damages the bytes too (truncation at a structural boundary,
 * bit flips). Edits that matter for the readers are aimed by field name: value names
 * (cycles, duplicates, dangling reads), dimensions, element types, raw data sizes,
 * external data locations, weight blob offsets and paths, nesting.
 */

export type Dialect = 'onnx' | 'coreml';

const MAX_CASE_BYTES = 64 << 20;

export interface ProtoSeed {
  readonly bytes: Uint8Array;
  /** Bytes before the message (coremldata.bin has a binary header); kept as they are. */
  readonly prefix: Uint8Array;
  readonly tree: PbField[] | null;
  readonly placed: Placed[];
  /** Offsets of every tag, length and field end, at every depth. */
  readonly boundaries: number[];
  readonly schema: MessageSchema;
  readonly dialect: Dialect;
}

export function protoSeed(bytes: Uint8Array, schema: MessageSchema, dialect: Dialect, offset = 0): ProtoSeed {
  const boundaries: number[] = [];
  const body = bytes.subarray(offset);
  const tree = parseTree(body, schema, boundaries);
  return {
    bytes, prefix: bytes.subarray(0, offset), tree, placed: tree ? placeAll(tree) : [],
    boundaries: boundaries.map((b) => b + offset), schema, dialect,
  };
}

/** Values that break assumptions about sizes, counts and offsets. */
export const BOMBS: readonly bigint[] = [
  -1n, -2n, 0n, 1n, 7n, 255n, 65535n, 65536n, 2147483647n, 2147483648n, 4294967295n, 4294967296n, 1n << 40n,
  (1n << 53n) - 1n, (1n << 53n) + 1n, 1n << 62n, (1n << 63n) - 1n, -(1n << 63n), (1n << 64n) - 1n, 1000000007n,
];

/** Locations a model may name for external data or weights. `link*`, `dirlink`, `fifo*` and `loop*` are made by the case. */
export const LOCATIONS: readonly string[] = [
  'w.bin', 'missing.bin', '../outside.bin', '../../../../../../etc/passwd', '/etc/passwd', 'sub/../../outside.bin',
  '', 'a\0b', 'link.bin', 'dirlink/w.bin', 'dirlink', 'fifo.bin', 'loop.bin', '.', '..', 'C:\\windows\\x', '\\\\server\\share\\x',
  'w.bin/', './w.bin', 'sub/w.bin', '%2e%2e/outside.bin', 'w.bin'.padEnd(5000, 'x'),
];

export const WEIGHT_NAMES: readonly string[] = [
  '@model_path/weights/weight.bin', '@model_path/../../outside.bin', '@model_path/../../../../../../etc/passwd', '/etc/passwd',
  '@model_path/weights/link.bin', '@model_path/dirlink/weight.bin', '@model_path/weights/fifo.bin', '@model_path/', '',
  '@model_path/weights', 'weights/weight.bin', '@model_path/weights/loop.bin', '@model_path/weights/missing.bin',
  '@model_path/weights/weight.bin\0x', '@model_path//weights///weight.bin', '@model_path/weights/../weights/weight.bin',
];

const NAME_FIELDS = new Set(['input', 'output', 'outputs', 'name', 'tensor_name', 'key']);

type Undo = () => void;
type Mutator = (seed: ProtoSeed, rng: Rng, notes: string[]) => Undo | null;

/** One case's bytes: 1-3 tree edits, serialized, then maybe damaged. */
export function mutateProto(seed: ProtoSeed, rng: Rng, notes: string[]): Uint8Array {
  let bytes = seed.bytes;
  if (seed.tree && rng.chance(0.85)) {
    const undos: Undo[] = [];
    const n = rng.weighted([[6, 1], [3, 2], [1, 3]] as const);
    for (let i = 0; i < n; i++) {
      const [name, m] = rng.weighted(seed.dialect === 'onnx' ? ONNX_MUTATORS : COREML_MUTATORS);
      const undo = m(seed, rng, notes);
      if (undo) {
        undos.push(undo);
        notes.push(name);
      }
    }
    try {
      // Stacked repeats can multiply (10^4 copies of a message holding 10^4 copies): keep cases below 64 MiB.
      if (serializedSize(seed.tree) > MAX_CASE_BYTES) notes.push('too-big:skipped');
      else {
        const body = serialize(seed.tree);
        bytes = seed.prefix.length > 0 ? Buffer.concat([seed.prefix, body]) : body;
      }
    } finally {
      for (let i = undos.length - 1; i >= 0; i--) undos[i]!();
    }
  }
  if (bytes === seed.bytes || rng.chance(0.3)) bytes = damage(seed, bytes, rng, notes);
  return bytes;
}

/** Byte-level damage: truncation (at a structural boundary or anywhere), bit flips. */
export function damage(seed: ProtoSeed | null, bytes: Uint8Array, rng: Rng, notes: string[]): Uint8Array {
  const kind = rng.weighted([[4, 'truncate-boundary'], [2, 'truncate'], [4, 'bitflip'], [1, 'append']] as const);
  notes.push(kind);
  switch (kind) {
    case 'truncate-boundary': {
      const bs = seed && bytes === seed.bytes ? seed.boundaries : [];
      const at = bs.length > 0 ? rng.pick(bs) + rng.pick([0, 0, 0, 1, -1]) : rng.int(bytes.length + 1);
      return bytes.subarray(0, Math.max(0, Math.min(bytes.length, at)));
    }
    case 'truncate':
      return bytes.subarray(0, rng.int(bytes.length + 1));
    case 'bitflip': {
      const out = Uint8Array.from(bytes);
      const flips = rng.range(1, 8);
      for (let i = 0; i < flips && out.length > 0; i++) {
        // Half the flips hit a structural byte (a tag or length), where they do the most.
        const bs = seed?.boundaries ?? [];
        const at = bs.length > 0 && rng.chance(0.5) ? Math.min(out.length - 1, rng.pick(bs)) : rng.int(out.length);
        out[at]! ^= 1 << rng.int(8);
      }
      return out;
    }
    case 'append': {
      const extra = new Uint8Array(rng.range(1, 64));
      for (let i = 0; i < extra.length; i++) extra[i] = rng.int(256);
      return Buffer.concat([bytes, extra]);
    }
  }
}

// ---- helpers ----------------------------------------------------------------------------

function pickWhere(seed: ProtoSeed, rng: Rng, ok: (p: Placed) => boolean): Placed | undefined {
  // Sample rather than filter the whole list: a large model has hundreds of thousands of fields.
  for (let i = 0; i < 64; i++) {
    const p = rng.pick(seed.placed);
    if (ok(p)) return p;
  }
  const all = seed.placed.filter(ok);
  return all.length > 0 ? rng.pick(all) : undefined;
}

function setField(f: PbField, patch: Partial<PbField>): Undo {
  const before = { ...f };
  Object.assign(f, patch);
  return () => {
    for (const k of Object.keys(f) as (keyof PbField)[]) delete f[k];
    Object.assign(f, before);
  };
}

function insertAt(list: PbField[], at: number, ...items: PbField[]): Undo {
  list.splice(at, 0, ...items);
  return () => {
    list.splice(at, items.length);
  };
}

function removeAt(list: PbField[], at: number): Undo {
  const [item] = list.splice(at, 1);
  return () => {
    list.splice(at, 0, item!);
  };
}

function bomb(rng: Rng): bigint {
  return rng.pick(BOMBS);
}

const isNameLeaf = (p: Placed): boolean =>
  p.field.wire === 2 && !p.field.children && NAME_FIELDS.has(p.field.name) && p.field.bytes.length < 256;

const isMessage = (p: Placed): boolean => p.field.wire === 2 && p.field.children !== null;

function strings(p: PbField[] | null, tag: number): PbField[] {
  return (p ?? []).filter((f) => f.tag === tag && f.wire === 2);
}

// ---- generic mutators ---------------------------------------------------------------------

const lengthBomb: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.wire === 2);
  if (!p) return null;
  const v = bomb(rng);
  const bytes = rng.chance(0.1) ? overlongVarint(v < 0n ? 5n : v, 11) : rng.chance(0.2) ? overlongVarint(BigInt.asUintN(64, v), 10) : varint(v);
  return setField(p.field, { lenBytes: bytes });
};

const varintBomb: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.wire === 0 || (x.field.wire === 2 && !x.field.children && unpackable(x.field)));
  if (!p) return null;
  if (p.field.wire === 0) return setField(p.field, rng.chance(0.1) ? { valueBytes: overlongVarint(bomb(rng), 11) } : { value: bomb(rng) });
  const values = unpackVarints(p.field.bytes)!;
  values[rng.int(values.length)] = bomb(rng);
  return setField(p.field, { bytes: packVarints(values) });
};

function unpackable(f: PbField): boolean {
  if (f.bytes.length === 0 || f.bytes.length > 4096) return false;
  return ['dims', 'ints', 'shape', 'int64_data', 'int32_data', 'rank'].includes(f.name) && unpackVarints(f.bytes) !== null;
}

const fixedBomb: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.wire === 1 || x.field.wire === 5);
  if (!p) return null;
  const out = Buffer.alloc(p.field.bytes.length);
  const v = rng.pick([NaN, Infinity, -Infinity, 1e38, -1e-45, 3.4e38 * 2, 0]);
  if (out.length === 4) out.writeFloatLE(v);
  else out.writeDoubleLE(v);
  return setField(p.field, { bytes: out });
};

const duplicateField: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, () => true);
  if (!p || p.parent.indexOf(p.field) < 0) return null;
  return insertAt(p.parent, rng.int(p.parent.length + 1), cloneField(p.field));
};

const deleteField: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, () => true);
  const at = p ? p.parent.indexOf(p.field) : -1;
  if (at < 0) return null; // an earlier edit of this case removed it
  return removeAt(p!.parent, at);
};

const swapFields: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.parent.length > 1);
  if (!p) return null;
  const list = p.parent;
  const i = list.indexOf(p.field);
  if (i < 0) return null;
  const j = rng.int(list.length);
  [list[i], list[j]] = [list[j]!, list[i]!];
  return () => {
    [list[i], list[j]] = [list[j]!, list[i]!];
  };
};

/** A field from one place copied into another message (maybe of another type). */
const spliceField: Mutator = (seed, rng) => {
  const from = pickWhere(seed, rng, (x) => x.depth > 0);
  const into = pickWhere(seed, rng, isMessage);
  if (!from || !into) return null;
  const kids = into.field.children!;
  return insertAt(kids, rng.int(kids.length + 1), cloneField(from.field));
};

/** A value name replaced by another (cycles, duplicates) or by one nothing defines. */
const nameSwap: Mutator = (seed, rng) => {
  const target = pickWhere(seed, rng, isNameLeaf);
  if (!target) return null;
  const other = rng.chance(0.8) ? pickWhere(seed, rng, isNameLeaf) : undefined;
  const bytes = other ? other.field.bytes : Buffer.from(rng.pick(['ghost', '', 'x'.repeat(rng.range(1, 3)), '\u0000', 'é']));
  return setField(target.field, { bytes });
};

const insertRandomField: Mutator = (seed, rng) => {
  const into = pickWhere(seed, rng, isMessage);
  if (!into) return null;
  const tag = rng.chance(0.7) ? rng.range(1, 40) : rng.pick([536870911, 19000, 255, 256, 1000]);
  const wire = rng.pick([0, 1, 2, 5]);
  const f = mk(tag, wire, {
    value: bomb(rng),
    bytes: wire === 1 ? new Uint8Array(8).fill(0xff) : wire === 5 ? new Uint8Array(4).fill(0x7f) : Buffer.from('fuzz'),
  });
  const kids = into.field.children!;
  return insertAt(kids, rng.int(kids.length + 1), f);
};

/** A field re-sent with another wire type (a varint where a message belongs, ...). */
const wireChange: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, () => true);
  if (!p) return null;
  const wire = rng.pick([0, 1, 2, 5].filter((w) => w !== p.field.wire));
  return setField(p.field, {
    wire, children: null, value: 1n, lenBytes: undefined, valueBytes: undefined,
    bytes: wire === 1 ? new Uint8Array(8) : wire === 5 ? new Uint8Array(4) : p.field.bytes.length > 0 ? p.field.bytes : Buffer.from('x'),
  });
};

/** A field repeated many times (a long list; many duplicates). */
const repeatField: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.depth > 0 && (x.field.children === null ? x.field.bytes.length < 64 : x.field.bytes.length < 512));
  if (!p) return null;
  const at = p.parent.indexOf(p.field);
  if (at < 0) return null;
  const copies = Array.from({ length: rng.pick([100, 1000, 10000]) }, () => p.field);
  return insertAt(p.parent, at, ...copies);
};

/**
 * A message nested inside itself many times, along the shortest field path the schema
 * allows from its type back to its type (Graph→node→attribute→g, Block→operations→blocks, ...).
 */
const nest: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => isMessage(x) && x.field.childSchema !== undefined && recursion(x.field.childSchema) !== null);
  if (!p) return null;
  const path = recursion(p.field.childSchema!)!;
  const levels = rng.pick([20, 100, 300, 1000]);
  const maxLevels = Math.floor(1200 / path.length);
  let inner: PbField[] = p.field.children!;
  for (let i = 0; i < Math.min(levels, maxLevels); i++) {
    let level: PbField[] = inner;
    for (let k = path.length - 1; k >= 0; k--) level = [mkMessage(path[k]!, level)];
    inner = level;
  }
  return setField(p.field, { children: inner, lenBytes: undefined });
};

const recursions = new Map<MessageSchema, number[] | null>();

/** Field numbers leading from `s` back to a message of type `s`, shortest first; null if none. */
function recursion(s: MessageSchema): number[] | null {
  if (recursions.has(s)) return recursions.get(s)!;
  const queue: Array<[MessageSchema, number[]]> = [[s, []]];
  const seen = new Set<MessageSchema>([s]);
  let found: number[] | null = null;
  while (queue.length > 0 && !found) {
    const [m, path] = queue.shift()!;
    for (const f of m.fields.values()) {
      if (!f.message || f.mapKey !== undefined) continue;
      const next = [...path, f.number];
      if (f.message === s) {
        found = next;
        break;
      }
      if (!seen.has(f.message) && next.length < 6) {
        seen.add(f.message);
        queue.push([f.message, next]);
      }
    }
  }
  recursions.set(s, found);
  return found;
}

const GENERIC: Array<readonly [number, readonly [string, Mutator]]> = [
  [3, ['length-bomb', lengthBomb]],
  [3, ['varint-bomb', varintBomb]],
  [1, ['fixed-bomb', fixedBomb]],
  [2, ['duplicate-field', duplicateField]],
  [2, ['delete-field', deleteField]],
  [1, ['swap-fields', swapFields]],
  [1, ['splice-field', spliceField]],
  [3, ['name-swap', nameSwap]],
  [1, ['insert-field', insertRandomField]],
  [1, ['wire-change', wireChange]],
  [1, ['repeat-field', repeatField]],
  [1, ['nest', nest]],
];

// ---- ONNX ---------------------------------------------------------------------------------

const isNode = (p: Placed): boolean => p.field.name === 'node' && p.field.msg === 'Graph' && p.field.children !== null;

/** Node A reads what a later node B produces: a cycle when B depends on A. */
const onnxCycle: Mutator = (seed, rng) => {
  const a = pickWhere(seed, rng, isNode);
  if (!a) return null;
  const nodes = a.parent.filter((f) => f.name === 'node' && f.children);
  const i = nodes.indexOf(a.field);
  if (i < 0) return null;
  const b = rng.chance(0.3) ? a.field : nodes[rng.range(i, nodes.length - 1)]!;
  const out = strings(b.children, 2)[0];
  if (!out) return null;
  const ins = strings(a.field.children, 1);
  if (ins.length === 0) return insertAt(a.field.children!, 0, mkString(1, out.bytes.toString()));
  return setField(rng.pick(ins), { bytes: out.bytes });
};

/** A node's output renamed to a name already defined (input, initializer, another output). */
const onnxDuplicate: Mutator = (seed, rng) => {
  const a = pickWhere(seed, rng, isNode);
  const other = pickWhere(seed, rng, (p) => isNameLeaf(p) && (p.field.name === 'output' || p.field.name === 'name'));
  const out = a && strings(a.field.children, 2)[0];
  if (!out || !other) return null;
  return setField(out, { bytes: other.field.bytes });
};

const onnxMissing: Mutator = (seed, rng) => {
  const a = pickWhere(seed, rng, isNode);
  if (!a) return null;
  const ins = strings(a.field.children, 1);
  if (ins.length === 0 || rng.chance(0.2)) return insertAt(a.field.children!, 0, mkString(1, 'never_defined'));
  return setField(rng.pick(ins), { bytes: Buffer.from(rng.pick(['never_defined', ''])) });
};

/** Absurd dimensions: in tensor dims (packed or not) and in declared shapes. */
const absurdDim: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) =>
    (x.field.name === 'dims' || x.field.name === 'dim_value' || x.field.name === 'size' || x.field.name === 'shape')
    && (x.field.wire === 0 || (x.field.wire === 2 && !x.field.children && unpackVarints(x.field.bytes) !== null)));
  if (!p) return null;
  const v = rng.pick([-1n, -(1n << 62n), 1n << 62n, (1n << 53n) + 1n, 1n << 31n, 0n, 1n << 40n, 1n << 20n, (1n << 64n) - 1n]);
  if (p.field.wire === 0) return setField(p.field, { value: v });
  const values = unpackVarints(p.field.bytes)!;
  if (values.length === 0) return null;
  values[rng.int(values.length)] = v;
  return setField(p.field, { bytes: packVarints(values) });
};

const wrongDtype: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.wire === 0 && ['data_type', 'elem_type', 'dataType', 'key_type'].includes(x.field.name));
  if (!p) return null;
  return setField(p.field, { value: BigInt(rng.chance(0.8) ? rng.range(0, 40) : rng.pick([-1, 999, 2 ** 31, 0x10020, 0x20010])) });
};

/** raw_data cut short or grown, so its size no longer matches dtype × dims. */
const rawResize: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.name === 'raw_data' || (x.field.name === 'values' && x.field.msg.startsWith('TensorValue')));
  if (!p) return null;
  const b = p.field.bytes;
  const bytes = rng.chance(0.5) ? b.subarray(0, rng.int(b.length + 1)) : Buffer.concat([b, Buffer.alloc(rng.range(1, 9))]);
  return setField(p.field, { bytes, children: null });
};

/** External data on an initializer: odd locations, offsets and lengths. */
const externalData: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.name === 'initializer' && x.field.children !== null);
  if (!p) return null;
  const pair = (k: string, v: string): PbField => mkMessage(13, [mkString(1, k), mkString(2, v)], 'external_data');
  const count = (): string => rng.pick(['0', '16', '64', '4096', '-1', '18446744073709551616', '9007199254740993', 'abc', '1e3', ' 4', '']);
  const added: PbField[] = [mkVarint(14, rng.chance(0.9) ? 1n : bomb(rng), 'data_location')];
  if (rng.chance(0.9)) added.push(pair('location', rng.pick(LOCATIONS)));
  if (rng.chance(0.5)) added.push(pair('offset', count()));
  if (rng.chance(0.6)) added.push(pair('length', count()));
  if (rng.chance(0.1)) added.push(pair('location', rng.pick(LOCATIONS)));
  const kids = p.field.children!;
  return insertAt(kids, kids.length, ...added);
};

const opset: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => (x.field.name === 'version' || x.field.name === 'ir_version' || x.field.name === 'specificationVersion') && x.field.wire === 0);
  if (!p) return null;
  return setField(p.field, { value: rng.pick([0n, -1n, 1n, 3n, 99n, 1n << 40n, (1n << 63n) - 1n]) });
};

const attributeType: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.msg === 'Attribute' && x.field.name === 'type');
  if (!p) return null;
  return setField(p.field, { value: BigInt(rng.range(0, 16)) });
};

const ONNX_MUTATORS: Array<readonly [number, readonly [string, Mutator]]> = [
  ...GENERIC,
  [2, ['cycle', onnxCycle]],
  [1, ['duplicate-name', onnxDuplicate]],
  [1, ['missing-input', onnxMissing]],
  [3, ['absurd-dim', absurdDim]],
  [2, ['wrong-dtype', wrongDtype]],
  [2, ['raw-resize', rawResize]],
  [3, ['external-data', externalData]],
  [1, ['opset', opset]],
  [1, ['attribute-type', attributeType]],
];

// ---- Core ML ------------------------------------------------------------------------------

const blobOffset: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.msg === 'Value_BlobFileValue' && x.field.name === 'offset');
  if (!p) return null;
  return setField(p.field, { value: rng.chance(0.5) ? bomb(rng) : p.field.value + BigInt(rng.pick([-64, 64, 1, -1, 128])) });
};

const blobPath: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.msg === 'Value_BlobFileValue' && x.field.name === 'fileName');
  if (!p) return null;
  return setField(p.field, { bytes: Buffer.from(rng.pick(WEIGHT_NAMES)) });
};

const rank: Mutator = (seed, rng) => {
  const p = pickWhere(seed, rng, (x) => x.field.msg === 'TensorType' && x.field.name === 'rank');
  if (!p) return null;
  return setField(p.field, { value: rng.pick([-1n, -2n, 0n, 1n, 5n, 100n, 1n << 40n]) });
};

const COREML_MUTATORS: Array<readonly [number, readonly [string, Mutator]]> = [
  ...GENERIC,
  [3, ['blob-offset', blobOffset]],
  [2, ['blob-path', blobPath]],
  [3, ['absurd-dim', absurdDim]],
  [2, ['rank', rank]],
  [2, ['wrong-dtype', wrongDtype]],
  [2, ['raw-resize', rawResize]],
  [1, ['spec-version', opset]],
];

/** Serializes the seed's tree untouched (a self-check: must equal the seed's bytes). */
export function reserialize(seed: ProtoSeed): Uint8Array | null {
  return seed.tree ? serialize(seed.tree) : null;
}

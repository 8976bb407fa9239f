import type { Rng } from './prng.js';

/**
 * Mutation of the JSON files of packages and bundles (Manifest.json, metadata.json):
 * values replaced by values of other types, keys removed, renamed and added (prototype
 * names included), item paths pointed out of the package, and the text itself damaged.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const PATHS = [
  '../../../../etc/passwd', '/etc/passwd', '', '.', '..', 'com.apple.CoreML/../../..', 'com.apple.CoreML/weights',
  'com.apple.CoreML', 'com.apple.CoreML/model.mlmodel/', 'com.apple.CoreML/link.mlmodel', 'com.apple.CoreML/missing.mlmodel',
  'com.apple.CoreML/fifo.mlmodel', 'dirlink/model.mlmodel', 'a\0b', 'C:\\x', 'com.apple.CoreML/weights/weight.bin',
];

export function mutateJson(text: string, rng: Rng, notes: string[]): Buffer {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    notes.push('raw');
    return rawDamage(text, rng);
  }
  if (rng.chance(0.15)) {
    notes.push('raw');
    return rawDamage(text, rng);
  }
  const n = rng.range(1, 3);
  for (let i = 0; i < n; i++) {
    const slots = collect(json);
    const kind = rng.weighted([[4, 'retype'], [2, 'delete-key'], [2, 'add-key'], [4, 'path'], [1, 'rename-key'], [1, 'root'], [1, 'deep']] as const);
    notes.push(`json-${kind}`);
    if (kind === 'root') {
      json = rng.pick<Json>([[], null, 1, 'x', [json], { x: json }]);
      continue;
    }
    if (kind === 'deep') {
      return Buffer.from(rng.pick(['[', '{"a":']).repeat(rng.pick([1000, 100000])));
    }
    const slot = rng.pick(slots);
    switch (kind) {
      case 'retype':
        slot.set(other(rng, slot.get()));
        break;
      case 'path': {
        const strs = slots.filter((s) => typeof s.get() === 'string');
        if (strs.length > 0) rng.pick(strs).set(rng.chance(0.8) ? rng.pick(PATHS) : String(rng.pick(strs).get()));
        break;
      }
      case 'delete-key': {
        const objs = slots.filter((s) => s.key !== undefined);
        if (objs.length > 0) rng.pick(objs).remove();
        break;
      }
      case 'add-key': {
        const objs = slots.map((s) => s.get()).filter((v): v is { [k: string]: Json } => !!v && typeof v === 'object' && !Array.isArray(v));
        const target = objs.length > 0 ? rng.pick(objs) : undefined;
        if (target) {
          const key = rng.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'path', 'extra', 'rootModelIdentifier']);
          Object.defineProperty(target, key, { value: other(rng, null), enumerable: true, configurable: true, writable: true });
        }
        break;
      }
      case 'rename-key': {
        const objs = slots.filter((s) => s.key !== undefined);
        if (objs.length > 0) {
          const s = rng.pick(objs);
          const v = s.get();
          s.remove();
          s.rename(rng.pick(['X', '', '__proto__', 'itemInfoEntries']), v);
        }
        break;
      }
    }
  }
  return Buffer.from(JSON.stringify(json, null, rng.chance(0.5) ? 4 : 0) ?? 'undefined');
}

function other(rng: Rng, v: Json): Json {
  const options: Json[] = [null, true, 0, -1, 1e308, 2 ** 62, 'x', '', [], {}, [v], { a: v }, '1.0.0', '999.0.0', 'x'.repeat(10000)];
  return rng.pick(options.filter((o) => typeof o !== typeof v || Array.isArray(o) !== Array.isArray(v)));
}

interface Slot {
  readonly key?: string;
  get(): Json;
  set(v: Json): void;
  remove(): void;
  rename(key: string, v: Json): void;
}

function collect(root: Json): Slot[] {
  const out: Slot[] = [];
  const visit = (v: Json, depth: number): void => {
    if (depth > 20 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        out.push({ get: () => v[i]!, set: (x) => (v[i] = x), remove: () => v.splice(i, 1), rename: () => undefined });
        visit(item, depth + 1);
      });
      return;
    }
    for (const key of Object.keys(v)) {
      out.push({
        key,
        get: () => v[key]!,
        set: (x) => (v[key] = x),
        remove: () => delete v[key],
        rename: (k, x) => Object.defineProperty(v, k, { value: x, enumerable: true, configurable: true, writable: true }),
      });
      visit(v[key]!, depth + 1);
    }
  };
  out.push({ get: () => root, set: () => undefined, remove: () => undefined, rename: () => undefined });
  visit(root, 0);
  return out;
}

function rawDamage(text: string, rng: Rng): Buffer {
  const b = Buffer.from(text);
  switch (rng.int(4)) {
    case 0: return b.subarray(0, rng.int(b.length + 1));
    case 1: {
      const out = Buffer.from(b);
      for (let i = 0; i < 3 && out.length > 0; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
      return out;
    }
    case 2: return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);
    default: return Buffer.from(text.replace(/"path"\s*:\s*"[^"]*"/, `"path": "${rng.pick(PATHS).replace(/\\/g, '\\\\').replace(/\0/g, '\\u0000')}"`));
  }
}

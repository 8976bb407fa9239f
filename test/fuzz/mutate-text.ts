import type { Rng } from './prng.js';
import { WEIGHT_NAMES } from './mutate-proto.js';

/**
 * Token-level mutation of MIL text (model.mil): tokens are split as the MIL tokenizer
 * sees them (whitespace kept, so lines survive), then deleted, duplicated, swapped or
 * replaced: value names by other names (duplicates, cycles, reads of nothing), numbers by
 * absurd ones, element types by others, BLOBFILE paths by escapes; lines deleted,
 * duplicated and moved; deep nesting inserted; the text cut at a token boundary.
 */

const TOKEN = /\s+|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"?|[A-Za-z_@][A-Za-z0-9_@]*|[-+]?(?:0[xX][0-9a-fA-F.]*(?:[pP][-+]?\d+)?|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|->|[\s\S]/g;

export interface TextSeed {
  readonly text: string;
  readonly tokens: string[];
  /** Indices of identifier, number, dtype and string tokens. */
  readonly idents: number[];
  readonly numbers: number[];
  readonly strings: number[];
  readonly lines: string[];
}

const DTYPES = ['fp16', 'fp32', 'fp64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'string', 'bf16', 'int4', 'uint4', 'uint1', 'fp8', 'complex64', 'bogus'];
const DTYPE_SET = new Set(DTYPES);

export const ABSURD_NUMBERS = [
  '-1', '0', '-0', '4611686018427387904', '9223372036854775807', '18446744073709551616', '9007199254740993',
  '2147483648', '4294967296', '1e309', '-1e309', 'nan', '-inf', '0x1p99999', '0x', '0x.p', '1e', '1.2.3',
  '99999999999999999999999999999999', '0x1.fffffffffffffp+1023', '1099511627776', '64', '128', '65',
];

export function textSeed(text: string): TextSeed {
  const tokens = text.match(TOKEN) ?? [];
  const idents: number[] = [];
  const numbers: number[] = [];
  const strings: number[] = [];
  tokens.forEach((t, i) => {
    if (/^[A-Za-z_@]/.test(t)) idents.push(i);
    else if (/^[-+]?[0-9.]/.test(t)) numbers.push(i);
    else if (t.startsWith('"')) strings.push(i);
  });
  return { text, tokens, idents, numbers, strings, lines: text.split('\n') };
}

export function mutateText(seed: TextSeed, rng: Rng, notes: string[]): Buffer {
  let text = seed.text;
  const n = rng.weighted([[6, 1], [3, 2], [1, 4]] as const);
  for (let i = 0; i < n; i++) {
    const kind = rng.weighted(KINDS);
    notes.push(kind);
    text = apply(kind, i === 0 ? seed : textSeed(text), rng);
  }
  if (rng.chance(0.05)) {
    notes.push('bad-utf8');
    const b = Buffer.from(text);
    const at = rng.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick([[0xff], [0xc3], [0], [0xed, 0xa0, 0x80]])), b.subarray(at)]);
  }
  return Buffer.from(text);
}

const KINDS = [
  [3, 'delete-token'], [2, 'duplicate-token'], [1, 'swap-tokens'], [5, 'name-swap'], [5, 'absurd-number'],
  [3, 'dtype'], [2, 'blob-path'], [2, 'truncate'], [2, 'delete-line'], [2, 'duplicate-line'], [2, 'move-line'],
  [1, 'deep-nesting'], [1, 'huge-token'], [1, 'unterminated-string'], [1, 'nested-block'], [1, 'random-char'],
] as const;

type Kind = (typeof KINDS)[number][1];

function apply(kind: Kind, s: TextSeed, rng: Rng): string {
  const toks = s.tokens.slice();
  const nonSpace = (): number => {
    for (let i = 0; i < 32; i++) {
      const k = rng.int(toks.length);
      if (!/^\s/.test(toks[k]!)) return k;
    }
    return rng.int(toks.length);
  };
  if (toks.length === 0) return s.text + rng.pick(['(', '{', 'program', '"']);
  switch (kind) {
    case 'delete-token':
      toks.splice(nonSpace(), 1);
      break;
    case 'duplicate-token': {
      const k = nonSpace();
      toks.splice(k, 0, toks[k]!);
      break;
    }
    case 'swap-tokens': {
      const a = nonSpace();
      const b = nonSpace();
      [toks[a], toks[b]] = [toks[b]!, toks[a]!];
      break;
    }
    case 'name-swap': {
      // Value names: a definition or a read renamed to another name of the text (or none).
      if (s.idents.length < 2) break;
      const k = rng.pick(s.idents);
      toks[k] = rng.chance(0.85) ? toks[rng.pick(s.idents)]! : rng.pick(['ghost', 'x', '_', '@']);
      break;
    }
    case 'absurd-number': {
      if (s.numbers.length === 0) break;
      toks[rng.pick(s.numbers)] = rng.pick(ABSURD_NUMBERS);
      break;
    }
    case 'dtype': {
      const ks = s.idents.filter((k) => DTYPE_SET.has(toks[k]!));
      if (ks.length === 0) break;
      toks[rng.pick(ks)] = rng.pick(DTYPES);
      break;
    }
    case 'blob-path': {
      const ks = s.strings.filter((k) => toks[k]!.includes('@model_path') || toks[k]!.includes('.bin'));
      if (ks.length === 0) break;
      toks[rng.pick(ks)] = JSON.stringify(rng.pick(WEIGHT_NAMES));
      break;
    }
    case 'truncate':
      return toks.slice(0, rng.int(toks.length + 1)).join('');
    case 'delete-line': {
      const lines = s.lines.slice();
      lines.splice(rng.int(lines.length), 1);
      return lines.join('\n');
    }
    case 'duplicate-line': {
      const lines = s.lines.slice();
      const k = rng.int(lines.length);
      lines.splice(k, 0, lines[k]!);
      return lines.join('\n');
    }
    case 'move-line': {
      // A statement moved before what it reads, or after what reads it.
      const lines = s.lines.slice();
      const [line] = lines.splice(rng.int(lines.length), 1);
      lines.splice(rng.int(lines.length + 1), 0, line!);
      return lines.join('\n');
    }
    case 'deep-nesting': {
      const depth = rng.pick([50, 70, 200, 5000, 100000]);
      const open = rng.pick(['(', '[', 'tensor<', 'list<', 'tuple<', 'dict<', 'state<', '{', '{{']);
      toks.splice(nonSpace(), 0, open.repeat(depth));
      break;
    }
    case 'huge-token':
      toks.splice(nonSpace(), 0, rng.pick(['a', '9', '"x']).repeat(rng.pick([1000, 1 << 20])));
      break;
    case 'unterminated-string':
      toks.splice(nonSpace(), 0, '"never closed');
      break;
    case 'nested-block':
      toks.splice(nonSpace(), 0, rng.pick(['{', '} -> (x);', 'func f<ios17>() {', 'program(1.0) {']));
      break;
    case 'random-char':
      toks.splice(nonSpace(), 0, rng.pick(['$', '#', '\0', '\\', '%', '`', '\u2028', '\t', '\r']));
      break;
  }
  return toks.join('');
}

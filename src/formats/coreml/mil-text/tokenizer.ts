import { ModelError } from '../../../errors.js';

/**
 * Tokens of model.mil, the MIL text coremlc writes into compiled models. Both dialects
 * (program 1.0 and 1.3) use the same tokens: identifiers (which may contain `@`), decimal
 * and C99 hex-float numbers, double-quoted strings, and punctuation including `->`.
 */

export type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** For strings: the unescaped value. */
  readonly value?: string;
  readonly line: number;
  readonly col: number;
}

const PUNCT = new Set(['(', ')', '[', ']', '{', '}', '<', '>', ',', '=', ';', '?', ':']);

export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new ModelError(`model.mil line ${line}, column ${i - lineStart + 1}: ${what}`, file);
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    const start = i;
    const col = i - lineStart + 1;
    const ch = text[i]!;
    if (ch === '/' && text[i + 1] === '/') {
      // Comments are not written by coremlc, but cost nothing to allow.
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), line, col });
      continue;
    }
    if (isDigit(c) || ((ch === '-' || ch === '+') && i + 1 < n && (isDigit(text.charCodeAt(i + 1)) || text[i + 1] === '.'))) {
      i++;
      // Hex floats carry a 'p' exponent with its own sign; decimals an 'e' exponent.
      const hex = /^[-+]?0[xX]/.test(text.slice(start, start + 3));
      while (i < n) {
        const d = text[i]!;
        const prev = text[i - 1]!;
        const signOk = (d === '-' || d === '+') && (prev === 'p' || prev === 'P' || (!hex && (prev === 'e' || prev === 'E')));
        if (signOk || /[0-9A-Za-z_.]/.test(d)) i++;
        else break;
      }
      tokens.push({ kind: 'number', text: text.slice(start, i), line, col });
      continue;
    }
    if ((ch === '-' || ch === '+') && /^(inf|nan)\b/i.test(text.slice(i + 1, i + 5))) {
      i += 4;
      tokens.push({ kind: 'number', text: text.slice(start, i), line, col });
      continue;
    }
    if (ch === '"') {
      i++;
      let value = '';
      for (;;) {
        if (i >= n || text[i] === '\n') fail('a string is not closed');
        const s = text[i]!;
        if (s === '"') {
          i++;
          break;
        }
        if (s === '\\') {
          const e = text[i + 1];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e ?? '';
          i += 2;
          continue;
        }
        value += s;
        i++;
      }
      tokens.push({ kind: 'string', text: text.slice(start, i), value, line, col });
      continue;
    }
    if (ch === '-' && text[i + 1] === '>') {
      i += 2;
      tokens.push({ kind: 'punct', text: '->', line, col });
      continue;
    }
    if (PUNCT.has(ch)) {
      i++;
      tokens.push({ kind: 'punct', text: ch, line, col });
      continue;
    }
    fail(`unexpected character '${ch}'`);
  }
  tokens.push({ kind: 'eof', text: '', line, col: i - lineStart + 1 });
  return tokens;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 64;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A number as MIL text spells it: decimal, or C99 hex float (`-0x1.8p-3`). */
export function parseNumber(text: string): number | undefined {
  const m = /^([-+]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([-+]?\d+))?$/.exec(text);
  if (m) {
    const [, sign, int = '', frac = '', exp = '0'] = m;
    if (int === '' && frac === '') return undefined;
    let mant = 0;
    for (const d of int) mant = mant * 16 + parseInt(d, 16);
    let scale = 1;
    for (const d of frac) {
      scale /= 16;
      mant += parseInt(d, 16) * scale;
    }
    const v = mant * 2 ** Number(exp);
    return sign === '-' ? -v : v;
  }
  // One way to match each text (no `\d+\.?\d*`, which backtracks quadratically on a long run of digits).
  if (/^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return Number(text);
  const special = /^([-+]?)(inf|nan)$/i.exec(text);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

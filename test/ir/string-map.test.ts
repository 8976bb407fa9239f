import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { contentHash, StringMap } from '../../src/ir/string-map.js';
import { REPO_ROOT } from '../helpers/corpus.js';

describe('StringMap', () => {
  it('behaves as a Map through growth, deletes and re-adds: same answers, same order', () => {
    const mine = new StringMap<number>();
    const theirs = new Map<string, number>();
    mine.reserve(1000); // room made ahead changes no answer
    // A fixed pseudo-random walk of sets, adds and deletes over a few thousand keys, some non-ASCII.
    let x = 12345;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    for (let step = 0; step < 50_000; step++) {
      const key = `n${next() % 3000}${step % 7 === 0 ? 'é' : ''}`;
      const op = next() % 4;
      if (op === 0) expect(mine.delete(key)).toBe(theirs.delete(key));
      else if (op === 1) {
        expect(mine.add(key, step)).toBe(!theirs.has(key));
        if (!theirs.has(key)) theirs.set(key, step);
      } else {
        mine.set(key, step);
        theirs.set(key, step);
      }
      expect(mine.size).toBe(theirs.size);
      expect(mine.get(key)).toBe(theirs.get(key));
      if (step % 10_000 === 0) mine.reserve(step); // deleted keys are dropped by the rebuild it may make
    }
    expect([...mine]).toEqual([...theirs]);
    expect([...mine.keys()]).toEqual([...theirs.keys()]);
    expect([...mine.values()]).toEqual([...theirs.values()]);
  });

  it('holds a hundred thousand keys, the empty string among them', () => {
    const m = new StringMap<number>();
    expect(m.add('', -1)).toBe(true);
    for (let i = 0; i < 100_000; i++) expect(m.add(`Conv_${i}`, i)).toBe(true);
    expect(m.add('Conv_99999', 0)).toBe(false);
    expect(m.get('Conv_99999')).toBe(99_999);
    expect(m.get('')).toBe(-1);
    expect(m.has('Conv_100000')).toBe(false);
    expect(m.size).toBe(100_001);
  });

  it('iterating skips what is deleted meanwhile, as a Map does', () => {
    const m = new StringMap<number>();
    for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
    const seen: number[] = [];
    for (const v of m.values()) {
      seen.push(v);
      if (v === 2) m.delete('k5');
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
  });
});

describe('contentHash', () => {
  it('is seeded per process: two constants found to collide in this process do not collide in another', () => {
    // A birthday search over 8-byte values finds a 32-bit collision in about 2^16 tries.
    const seen = new Map<number, Uint8Array>();
    let x = 1;
    let pair: [Uint8Array, Uint8Array] | undefined;
    while (pair === undefined) {
      const bytes = new Uint8Array(8);
      for (let i = 0; i < 8; i++) bytes[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
      const h = contentHash(5, [1], bytes);
      const other = seen.get(h);
      if (other !== undefined && !other.every((b, i) => b === bytes[i])) pair = [other, bytes];
      seen.set(h, bytes);
    }
    const module = join(REPO_ROOT, 'dist', 'src', 'ir', 'string-map.js');
    if (!existsSync(module)) throw new Error(`${module} is missing: run 'npm run build' (npm test does)`);
    const [a, b] = pair.map((p) => `new Uint8Array([${[...p].join(',')}])`);
    const script = `const { contentHash } = await import(${JSON.stringify(pathToFileURL(module).href)});
      process.stdout.write(String(contentHash(5, [1], ${a}) === contentHash(5, [1], ${b})));`;
    // A file made against one process's hash (the pair) is read by another: there it must not collide.
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })).toBe('false');
  });

  it('is the same for the same content, and tells kinds and dims apart', () => {
    const bytes = new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]);
    expect(contentHash(2, [1, 2], bytes)).toBe(contentHash(2, [1, 2], bytes.slice()));
    expect(contentHash(2, [1, 2], bytes)).not.toBe(contentHash(2, [2, 1], bytes));
    expect(contentHash(2, [2], bytes)).not.toBe(contentHash(4, [2], bytes));
    expect(contentHash(2, [2 ** 33], bytes)).not.toBe(contentHash(2, [2], bytes));
  });
});

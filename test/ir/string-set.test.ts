import { describe, expect, it } from 'vitest';
import { StringSet } from '../../src/ir/string-set.js';

describe('StringSet', () => {
  it('adds, finds and removes strings as a Set does, through growth and reuse of removed slots', () => {
    const mine = new StringSet();
    const theirs = new Set<string>();
    // A fixed pseudo-random walk of adds and deletes over a few thousand names, some non-ASCII.
    let x = 12345;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    for (let step = 0; step < 50_000; step++) {
      const name = `n${next() % 3000}${step % 7 === 0 ? 'é' : ''}`;
      if (next() % 3 === 0) expect(mine.delete(name)).toBe(theirs.delete(name));
      else {
        expect(mine.add(name)).toBe(!theirs.has(name));
        theirs.add(name);
      }
      expect(mine.size).toBe(theirs.size);
    }
    for (let i = 0; i < 3000; i++) for (const s of [`n${i}`, `n${i}é`]) expect(mine.has(s)).toBe(theirs.has(s));
  });

  it('holds a hundred thousand names, the empty string among them', () => {
    const s = new StringSet();
    expect(s.add('')).toBe(true);
    for (let i = 0; i < 100_000; i++) expect(s.add(`Conv_${i}`)).toBe(true);
    expect(s.add('Conv_99999')).toBe(false);
    expect(s.has('')).toBe(true);
    expect(s.has('Conv_100000')).toBe(false);
    expect(s.size).toBe(100_001);
  });
});

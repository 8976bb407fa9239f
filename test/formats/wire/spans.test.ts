import { describe, expect, it } from 'vitest';
import { FieldSpans } from '../../../src/formats/wire/spans.js';

describe('FieldSpans', () => {
  it('keeps every occurrence through its growth, before and after trimming', () => {
    // Past the short list (64) and several doublings of the typed one; offsets past 2^32.
    for (const count of [0, 1, 63, 64, 65, 1000, 5000]) {
      const spans = new FieldSpans();
      const base = 2 ** 33;
      for (let i = 0; i < count; i++) spans.push(base + 10 * i, base + 10 * i + 2, base + 10 * i + 9);
      const check = (): void => {
        expect(spans.length).toBe(count);
        for (let i = 0; i < count; i++) {
          expect([spans.fieldStart(i), spans.start(i), spans.end(i)]).toEqual([base + 10 * i, base + 10 * i + 2, base + 10 * i + 9]);
        }
      };
      check();
      spans.trim();
      check();
    }
  });
});

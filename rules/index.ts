import type { Rule } from '../src/engine/rule.js';

/**
 * Every rule graphlint ships, sorted by id. A meta-test checks that this list, the files in
 * rules/, their docs and their tests agree, and that every id of CONTRACT.md is here.
 */
export const RULES: readonly Rule<unknown>[] = [];

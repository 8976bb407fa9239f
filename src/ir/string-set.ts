/**
 * A set of strings for the millions of node labels of a big graph. Open addressing over a
 * hash computed here, with the table in a typed array: adding a million fresh strings to
 * V8's Set, which chains its entries in a table the collector must trace, costs two to
 * three times as much. The hash is seeded per process, so a file cannot be made of names
 * that all collide.
 */
export class StringSet {
  /** Per slot: the index of its string in `keys`, EMPTY, or REMOVED (probing goes on past it). */
  private slots = new Int32Array(MIN_SLOTS).fill(EMPTY);
  /** Strings in the order added; removed ones are undefined until the next rebuild. */
  private keys: Array<string | undefined> = [];
  private hashes: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(s: string): boolean {
    return this.find(s, stringHash(s)) >= 0;
  }

  /** Adds `s`; false when it was there already. */
  add(s: string): boolean {
    const h = stringHash(s);
    const slots = this.slots;
    const mask = slots.length - 1;
    let reuse = -1;
    let j = h & mask;
    for (let k = slots[j]!; k !== EMPTY; k = slots[j]!) {
      if (k === REMOVED) {
        if (reuse < 0) reuse = j;
      } else if (this.hashes[k] === h && this.keys[k] === s) {
        return false;
      }
      j = (j + 1) & mask;
    }
    slots[reuse >= 0 ? reuse : j] = this.keys.length;
    this.keys.push(s);
    this.hashes.push(h);
    this.count++;
    // Every key ever added holds a slot (its own or a reused one) until a rebuild: keeping
    // them under half the table keeps probes short and always ends them at an empty slot.
    if (2 * this.keys.length > slots.length) this.rebuild();
    return true;
  }

  /** Removes `s`; false when it was not there. */
  delete(s: string): boolean {
    const j = this.find(s, stringHash(s));
    if (j < 0) return false;
    this.keys[this.slots[j]!] = undefined;
    this.slots[j] = REMOVED;
    this.count--;
    return true;
  }

  /** The slot holding `s`, or -1. */
  private find(s: string, h: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    let j = h & mask;
    for (let k = slots[j]!; k !== EMPTY; k = slots[j]!) {
      if (k !== REMOVED && this.hashes[k] === h && this.keys[k] === s) return j;
      j = (j + 1) & mask;
    }
    return -1;
  }

  /** A table for the strings there are (removed ones dropped), a quarter full at most. */
  private rebuild(): void {
    let size = MIN_SLOTS;
    while (size < 4 * this.count) size *= 2;
    const slots = new Int32Array(size).fill(EMPTY);
    const keys: string[] = [];
    const hashes: number[] = [];
    const mask = size - 1;
    for (let k = 0; k < this.keys.length; k++) {
      const s = this.keys[k];
      if (s === undefined) continue;
      const h = this.hashes[k]!;
      let j = h & mask;
      while (slots[j] !== EMPTY) j = (j + 1) & mask;
      slots[j] = keys.length;
      keys.push(s);
      hashes.push(h);
    }
    this.slots = slots;
    this.keys = keys;
    this.hashes = hashes;
  }
}

const EMPTY = -1;
const REMOVED = -2;
const MIN_SLOTS = 16;

/** Per process, so that which names collide cannot be known when a file is written. */
const SEED = Math.floor(Math.random() * 0x100000000) | 0;

/** FNV-1a over UTF-16 code units from a random basis, then a final mix so every bit counts. */
export function stringHash(s: string): number {
  let h = SEED ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

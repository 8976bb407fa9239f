/**
 * A map from strings, in insertion order, for the millions of value names and node labels
 * of a big graph. Open addressing over a hash computed here, the table in a typed array:
 * V8's Map chains its entries in a table the collector traces, and setting a million fresh
 * strings in it costs two to three times as much. The hash is seeded per process, so a
 * file cannot be made of names that all collide.
 *
 * As with a Map, iterating skips entries deleted meanwhile; entries added meanwhile may
 * be missed.
 */
export class StringMap<V> {
  /** Two numbers per slot: the entry's index in `keyList` (or EMPTY, REMOVED), and its hash. */
  private slots = newSlots(MIN_SLOTS);
  /** Keys in insertion order; deleted ones are undefined until the next rebuild. */
  private keyList: Array<string | undefined> = [];
  private valueList: Array<V | undefined> = [];
  /**
   * Entries ever added since the last rebuild: the lists' used part. The lists may be longer
   * (room reserve() made, or doubling): a million names pushed one at a time made each list
   * about three times over.
   */
  private used = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    const j = this.find(key, stringHash(key));
    return j < 0 ? undefined : this.valueList[this.slots[j]!];
  }

  /**
   * The value for the key spelled by bytes[from, to), without making a string of them
   * (a reader resolving a million names); NOT_ASCII when a byte is not ASCII, as the key
   * is then not the bytes one for one.
   */
  getAscii(bytes: Uint8Array, from: number, to: number): V | undefined | typeof NOT_ASCII {
    const h = asciiHash(bytes, from, to);
    if (h === undefined) return NOT_ASCII;
    const slots = this.slots;
    const mask = slots.length - 2;
    const len = to - from;
    let j = (h << 1) & mask;
    for (let k = slots[j]!; k !== EMPTY; k = slots[j]!) {
      if (k !== REMOVED && slots[j + 1] === h) {
        const key = this.keyList[k]!;
        if (key.length === len) {
          let i = 0;
          while (i < len && key.charCodeAt(i) === bytes[from + i]) i++;
          if (i === len) return this.valueList[k];
        }
      }
      j = (j + 2) & mask;
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.find(key, stringHash(key)) >= 0;
  }

  set(key: string, value: V): this {
    const h = stringHash(key);
    const j = this.find(key, h);
    if (j >= 0) this.valueList[this.slots[j]!] = value;
    else this.insert(key, value, h);
    return this;
  }

  /** Sets `key` unless it is there already; false, and nothing changes, when it is. */
  add(key: string, value: V): boolean {
    const h = stringHash(key);
    if (this.find(key, h) >= 0) return false;
    this.insert(key, value, h);
    return true;
  }

  delete(key: string): boolean {
    const j = this.find(key, stringHash(key));
    if (j < 0) return false;
    const k = this.slots[j]!;
    this.keyList[k] = undefined;
    this.valueList[k] = undefined;
    this.slots[j] = REMOVED;
    this.count--;
    return true;
  }

  *keys(): IterableIterator<string> {
    const keys = this.keyList;
    for (let k = 0; k < this.used; k++) if (keys[k] !== undefined) yield keys[k]!;
  }

  *values(): IterableIterator<V> {
    const keys = this.keyList;
    const values = this.valueList;
    for (let k = 0; k < this.used; k++) if (keys[k] !== undefined) yield values[k]!;
  }

  *entries(): IterableIterator<[string, V]> {
    const keys = this.keyList;
    const values = this.valueList;
    for (let k = 0; k < this.used; k++) if (keys[k] !== undefined) yield [keys[k]!, values[k]!];
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /**
   * Makes room for `more` entries beyond those there are, in one table: a reader that knows it
   * is about to add a million names skips the twenty rebuilds growing by doubling would do.
   */
  reserve(more: number): void {
    // Bounded: a damaged file may promise many more entries than it holds.
    const wanted = this.used + Math.min(more, MAX_RESERVED);
    if (wanted + 1 > 0.6 * (this.slots.length / 2)) this.rebuild(wanted);
    if (wanted > this.keyList.length) this.resizeLists(wanted);
  }

  /** Lists of `size` places holding the used part. */
  private resizeLists(size: number): void {
    const keys: Array<string | undefined> = new Array(size);
    const values: Array<V | undefined> = new Array(size);
    for (let k = 0; k < this.used; k++) {
      keys[k] = this.keyList[k];
      values[k] = this.valueList[k];
    }
    this.keyList = keys;
    this.valueList = values;
  }

  /** The slot (its first number) holding `key`, whose hash is `h`, or -1. */
  private find(key: string, h: number): number {
    const slots = this.slots;
    const mask = slots.length - 2;
    let j = (h << 1) & mask;
    for (let k = slots[j]!; k !== EMPTY; k = slots[j]!) {
      if (k !== REMOVED && slots[j + 1] === h && this.keyList[k] === key) return j;
      j = (j + 2) & mask;
    }
    return -1;
  }

  /** Adds an entry for a key known to be absent, whose hash is `h`. */
  private insert(key: string, value: V, h: number): void {
    // Every key ever added holds a slot (its own or a removed one) until a rebuild: keeping
    // them under 60% of the table keeps probes short and always ends them at an empty slot.
    if (this.used + 1 > 0.6 * (this.slots.length / 2)) this.rebuild();
    const slots = this.slots;
    const mask = slots.length - 2;
    let j = (h << 1) & mask;
    while (slots[j]! >= 0) j = (j + 2) & mask; // an empty or removed slot
    const k = this.used++;
    slots[j] = k;
    slots[j + 1] = h;
    if (k === this.keyList.length && k < 16) {
      // Short lists as push makes them (most maps are a graph's few names).
      this.keyList.push(key);
      this.valueList.push(value);
    } else {
      if (k === this.keyList.length) this.resizeLists(2 * k);
      this.keyList[k] = key;
      this.valueList[k] = value;
    }
    this.count++;
  }

  /**
   * A table for the entries there are (or `entries`, when room is reserved), 30% full at most. Hashes are taken from the old
   * table, not computed again; deleted entries are dropped from the lists when there are any.
   */
  private rebuild(entries = this.count): void {
    let n = MIN_SLOTS;
    while (0.3 * n < entries + 1) n *= 2;
    // Where each entry of the lists goes (only when deleted ones leave holes to close).
    let moved: Int32Array | undefined;
    if (this.count < this.used) {
      moved = new Int32Array(this.used);
      const keys: Array<string | undefined> = new Array(this.count);
      const values: Array<V | undefined> = new Array(this.count);
      let kept = 0;
      for (let k = 0; k < this.used; k++) {
        const key = this.keyList[k];
        if (key === undefined) continue;
        moved[k] = kept;
        keys[kept] = key;
        values[kept++] = this.valueList[k];
      }
      this.keyList = keys;
      this.valueList = values;
      this.used = kept;
    }
    const old = this.slots;
    const slots = newSlots(n);
    const mask = slots.length - 2;
    for (let i = 0; i < old.length; i += 2) {
      const k = old[i]!;
      if (k < 0) continue;
      const h = old[i + 1]!;
      let j = (h << 1) & mask;
      while (slots[j] !== EMPTY) j = (j + 2) & mask;
      slots[j] = moved ? moved[k]! : k;
      slots[j + 1] = h;
    }
    this.slots = slots;
  }
}

/** reserve() makes room for at most this many entries at once (a 16 MB table); past it, tables grow as entries come. */
const MAX_RESERVED = 1 << 20;

const EMPTY = -1;
const REMOVED = -2;
/** Slots of the smallest table (each two numbers). */
const MIN_SLOTS = 16;

function newSlots(n: number): Int32Array {
  return new Int32Array(2 * n).fill(EMPTY);
}

/** Per process, so that which names collide cannot be known when a file is written. */
const SEED = Math.floor(Math.random() * 0x100000000) | 0;

/** What getAscii answers for bytes that are not all ASCII. */
export const NOT_ASCII: unique symbol = Symbol('not ASCII');

/** FNV-1a over UTF-16 code units from a random basis, then a final mix so every bit counts. */
export function stringHash(s: string): number {
  let h = SEED ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix(h);
}

/**
 * A hash of content a file controls (a constant's type, dims and bytes), seeded as stringHash
 * is: a table keyed by it cannot be filled with entries a file made to collide.
 */
export function contentHash(kind: number, ints: readonly number[], bytes: Uint8Array): number {
  let h = Math.imul(SEED ^ kind, 0x01000193);
  for (let i = 0; i < ints.length; i++) {
    const x = ints[i]!;
    h = Math.imul(h ^ (x | 0), 0x01000193);
    h = Math.imul(h ^ ((x / 4294967296) | 0), 0x01000193);
  }
  h = Math.imul(h ^ ints.length, 0x01000193);
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return mix(h ^ bytes.length);
}

/** stringHash of the string bytes[from, to) spell when all are ASCII; undefined otherwise. */
function asciiHash(bytes: Uint8Array, from: number, to: number): number | undefined {
  let h = SEED ^ (to - from);
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if (b >= 0x80) return undefined;
    h = Math.imul(h ^ b, 0x01000193);
  }
  return mix(h);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

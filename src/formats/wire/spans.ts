/** Up to this many numbers (a third as many occurrences), a plain list: typed arrays cost more to make. */
const SHORT = 3 * 64;

/**
 * The occurrences of a deferred message field (FieldSchema.deferred), in file order: where
 * each field starts (its tag), and where its body starts and ends. Three numbers per
 * occurrence in one flat array: a graph of a million nodes holds 24 MB here instead of a
 * decoded message with its arrays and strings per node (over 300 bytes each), all kept
 * alive and traced by the garbage collector for as long as the model lives.
 */
export class FieldSpans {
  /**
   * A short list at first (a node's few attributes), then off the collector's heap, doubled when
   * full: a list grown by push was made about three times over for a million nodes. Float64:
   * offsets in a file may pass 2^32.
   */
  private data: number[] | Float64Array = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(fieldStart: number, start: number, end: number): void {
    let data = this.data;
    const at = 3 * this.count;
    if (at === data.length && at >= SHORT) {
      const bigger = new Float64Array(2 * at);
      bigger.set(data);
      this.data = data = bigger;
    }
    data[at] = fieldStart;
    data[at + 1] = start;
    data[at + 2] = end;
    this.count++;
  }

  /** Where occurrence `i` begins, tag included. */
  fieldStart(i: number): number {
    return this.data[3 * i]!;
  }

  /** Where the body of occurrence `i` begins (after its tag and length). */
  start(i: number): number {
    return this.data[3 * i + 1]!;
  }

  /** Where occurrence `i` ends. */
  end(i: number): number {
    return this.data[3 * i + 2]!;
  }

  /** Drops the room kept for growth (once the message holding this is decoded). */
  trim(): void {
    if (this.data.length > 3 * this.count || !(this.data instanceof Float64Array)) this.data = this.data.slice(0, 3 * this.count);
  }
}

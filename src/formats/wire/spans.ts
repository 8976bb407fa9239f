/**
 * The occurrences of a deferred message field (FieldSchema.deferred), in file order: where
 * each field starts (its tag), and where its body starts and ends. Three numbers per
 * occurrence in one flat array: a graph of a million nodes holds 24 MB here instead of a
 * decoded message with its arrays and strings per node (over 300 bytes each), all kept
 * alive and traced by the garbage collector for as long as the model lives.
 */
export class FieldSpans {
  private data: number[] = [];

  get length(): number {
    return this.data.length / 3;
  }

  push(fieldStart: number, start: number, end: number): void {
    this.data.push(fieldStart, start, end);
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
    this.data = this.data.slice();
  }
}

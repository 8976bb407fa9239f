/** Shapes of what the wire decoder produces; shared by every protobuf-based format. */

/** A byte range in the source, [start, end). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * A bytes field. Small ones (names, attribute strings, scalar constants) carry `data`;
 * large ones (weights) carry only where they are, and are read when asked for.
 */
export interface Bytes {
  readonly offset: number;
  readonly length: number;
  readonly data?: Uint8Array;
}

/** A long numeric array left on disk: its packed chunks (or single values) in order. */
export interface PackedRef {
  readonly lazy: true;
  readonly scalar: string;
  readonly parts: Array<Span | number>;
}

export type PackedNumbers = number[] | PackedRef;

/** One field occurrence, tag included; kept for messages whose field order a writer must replay. */
export interface Entry {
  readonly field: number;
  readonly start: number;
  readonly end: number;
}

export interface MessageMeta {
  readonly $type: string;
  readonly $span: Span;
  /** Field occurrences the schema does not know, tag included, in file order. */
  $unknown?: Span[];
  /** Every field occurrence in file order (only for schemas decoded with entries kept). */
  $entries?: Entry[];
}

export type Decoded<T> = T & MessageMeta;

export function isPackedRef(x: PackedNumbers | undefined): x is PackedRef {
  return x !== undefined && !Array.isArray(x);
}

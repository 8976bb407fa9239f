import type {
  ArrayFeatureType,
  FeatureDescription,
  FeatureType,
  ImageFeatureType,
  ModelDescription,
  SizeRange,
} from '../../../proto/coreml.schema.js';
import type { Model } from '../../ir/model.js';
import type { Dim } from '../../ir/shape.js';
import type { ValueType } from '../../ir/types.js';
import type { Decoded, PackedNumbers } from '../wire/decoded.js';
import { dtypeFromArray } from './dtypes.js';

/**
 * Feature descriptions (a model's declared inputs and outputs) ⇄ IR types, and the
 * flexible-shape facts a `dynamic-shape` rule needs.
 *
 * Flexible shapes go into Model.info, one key per input:
 *   `flexibleShape:<input>` = `range 1..1 x 32..256 x 32..256` (upper `*` = unbounded)
 *                           | `enumerated 1x3x64x64 | 1x3x128x128`
 * and `flexibleShapes` lists the flexible inputs, comma-separated. A dimension that may
 * change at run time is unknown (null) in the IR type; a fixed one keeps its number.
 */

export type FlexibleShape =
  | { readonly kind: 'range'; readonly ranges: ReadonlyArray<readonly [number, number | null]> }
  | { readonly kind: 'enumerated'; readonly shapes: ReadonlyArray<readonly number[]> };

export const COLOR_SPACES: Readonly<Record<number, string>> = { 10: 'GRAYSCALE', 20: 'RGB', 30: 'BGR', 40: 'GRAYSCALE_FLOAT16' };

export function numbers(x: PackedNumbers | undefined): number[] {
  // Shapes and label lists are small; a lazy (huge) list is not a shape.
  return Array.isArray(x) ? x : [];
}

/** The IR type of a feature, and its flexible shape when it has one. */
export function featureType(t: Decoded<FeatureType> | undefined): { type: ValueType | null; flexible?: FlexibleShape } {
  if (!t) return { type: null };
  if (t.multiArrayType) return arrayType(t.multiArrayType);
  if (t.imageType) return imageType(t.imageType);
  if (t.stateType?.arrayType) return arrayType(t.stateType.arrayType);
  if (t.int64Type) return { type: { kind: 'tensor', dtype: 'int64', shape: [] } };
  if (t.doubleType) return { type: { kind: 'tensor', dtype: 'float64', shape: [] } };
  if (t.stringType) return { type: { kind: 'tensor', dtype: 'string', shape: [] } };
  if (t.dictionaryType) {
    // Core ML dictionaries map int64 or string keys to doubles (class probabilities).
    const key = t.dictionaryType.stringKeyType ? 'string' : 'int64';
    return { type: { kind: 'map', key, value: { kind: 'tensor', dtype: 'float64', shape: [] } } };
  }
  if (t.sequenceType) {
    const dtype = t.sequenceType.stringType ? 'string' : 'int64';
    return { type: { kind: 'sequence', elem: { kind: 'tensor', dtype, shape: [] } } };
  }
  return { type: null };
}

function arrayType(a: Decoded<ArrayFeatureType>): { type: ValueType; flexible?: FlexibleShape } {
  const dtype = dtypeFromArray(a.dataType);
  const base = numbers(a.shape);
  let flexible: FlexibleShape | undefined;
  let shape: Dim[] | null = base.length > 0 ? [...base] : null;
  const enumerated = (a.enumeratedShapes?.shapes ?? []).map((s) => numbers(s.shape));
  const ranges = (a.shapeRange?.sizeRanges ?? []).map(range);
  if (enumerated.length > 0) {
    flexible = { kind: 'enumerated', shapes: enumerated };
    shape = varying(enumerated.map((s) => s.map((d) => [d, d] as const)), shape);
  } else if (ranges.length > 0) {
    flexible = { kind: 'range', ranges };
    shape = varying([ranges], shape);
  }
  return { type: { kind: 'tensor', dtype, shape }, flexible };
}

/** Marks unknown every dimension that is not the same fixed number in every option. */
function varying(options: ReadonlyArray<ReadonlyArray<readonly [number, number | null]>>, fallback: Dim[] | null): Dim[] | null {
  const rank = options[0]?.length ?? 0;
  if (rank === 0 || options.some((o) => o.length !== rank)) return null;
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const [lo, hi] = options[0]![i]!;
    const fixed = lo === hi && options.every((o) => o[i]![0] === lo && o[i]![1] === lo);
    out.push(fixed ? lo : null);
  }
  return fallback && fallback.length !== rank ? null : out;
}

function range(r: Decoded<SizeRange>): readonly [number, number | null] {
  const hi = r.upperBound ?? 0;
  return [r.lowerBound ?? 0, hi < 0 ? null : hi];
}

function imageType(img: Decoded<ImageFeatureType>): { type: ValueType; flexible?: FlexibleShape } {
  // What the network sees: one image, NCHW, float (fp16 for GRAYSCALE_FLOAT16).
  const cs = img.colorSpace ?? 0;
  const channels = cs === 20 || cs === 30 ? 3 : 1;
  const dtype = cs === 40 ? 'float16' : 'float32';
  const h = img.height ?? 0;
  const w = img.width ?? 0;
  let flexible: FlexibleShape | undefined;
  let shape: Dim[] = [1, channels, h, w];
  const sizes = img.enumeratedSizes?.sizes ?? [];
  if (sizes.length > 0) {
    flexible = { kind: 'enumerated', shapes: sizes.map((s) => [1, channels, s.height ?? 0, s.width ?? 0]) };
    shape = varying(flexible.shapes.map((s) => s.map((d) => [d, d] as const)), shape) ?? shape;
  } else if (img.imageSizeRange) {
    const hr = img.imageSizeRange.heightRange ? range(img.imageSizeRange.heightRange) : ([h, h] as const);
    const wr = img.imageSizeRange.widthRange ? range(img.imageSizeRange.widthRange) : ([w, w] as const);
    flexible = { kind: 'range', ranges: [[1, 1], [channels, channels], hr, wr] };
    shape = varying([flexible.ranges], shape) ?? shape;
  }
  return { type: { kind: 'tensor', dtype, shape }, flexible };
}

export function formatFlexible(f: FlexibleShape): string {
  if (f.kind === 'range') return `range ${f.ranges.map(([lo, hi]) => `${lo}..${hi ?? '*'}`).join(' x ')}`;
  return `enumerated ${f.shapes.map((s) => s.join('x')).join(' | ')}`;
}

/** Parses a `flexibleShape:<input>` info value back (for rules and tests). */
export function parseFlexible(text: string): FlexibleShape | undefined {
  const [kind, ...rest] = text.split(' ');
  const body = rest.join(' ');
  if (kind === 'range') {
    const ranges = body.split(' x ').map((r) => {
      const [lo, hi] = r.split('..');
      return [Number(lo), hi === '*' ? null : Number(hi)] as const;
    });
    return { kind, ranges };
  }
  if (kind === 'enumerated') return { kind, shapes: body.split(' | ').map((s) => s.split('x').map(Number)) };
  return undefined;
}

/** Records a flexible input in Model.info. */
export function noteFlexible(model: Model, input: string, f: FlexibleShape): void {
  model.info.set(`flexibleShape:${input}`, formatFlexible(f));
  const list = String(model.info.get('flexibleShapes') ?? '');
  model.info.set('flexibleShapes', list ? `${list},${input}` : input);
}

/** The inputs and outputs a description declares (the legacy single-function form, or the default function's). */
export function describedInterface(d: Decoded<ModelDescription> | undefined): {
  inputs: Decoded<FeatureDescription>[];
  outputs: Decoded<FeatureDescription>[];
  states: Decoded<FeatureDescription>[];
} {
  if (!d) return { inputs: [], outputs: [], states: [] };
  const fns = d.functions ?? [];
  if (fns.length > 0) {
    const fn = fns.find((f) => f.name === d.defaultFunctionName) ?? fns[0]!;
    return { inputs: fn.input ?? [], outputs: fn.output ?? [], states: fn.state ?? [] };
  }
  return { inputs: d.input ?? [], outputs: d.output ?? [], states: d.state ?? [] };
}

/** Description metadata → Model.metadata (user-defined keys keep their file order). */
export function readMetadata(model: Model, d: Decoded<ModelDescription> | undefined): void {
  const m = d?.metadata;
  if (!m) return;
  if (m.shortDescription) model.metadata.set('shortDescription', m.shortDescription);
  if (m.versionString) model.metadata.set('versionString', m.versionString);
  if (m.author) model.metadata.set('author', m.author);
  if (m.license) model.metadata.set('license', m.license);
  for (const [k, v] of m.userDefined ?? []) model.metadata.set(k, v);
}

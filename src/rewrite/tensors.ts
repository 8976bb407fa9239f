import { encodeNumbers } from '../ir/build.js';
import { DTYPE_BITS, type DType } from '../ir/dtype.js';
import { Tensor } from '../ir/tensor.js';

/**
 * Tensors the rewrites make: small parameter vectors, one-hot kernels, and weights
 * re-laid out from existing ones. A weight that only changes shape keeps its bytes where
 * they are (a file range the writer copies); one that changes layout is read once.
 */

export function tensorOf(dtype: DType, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return Tensor.fromBytes(dtype, dims, encodeNumbers(dtype, values));
}

/** The same elements under new dims (a reshape): no bytes are read when they live in a file. */
export function reshapeTensor(t: Tensor, dims: readonly number[]): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== t.elementCount) throw new Error(`invariant: reshape of ${t.elementCount} elements to [${dims.join(',')}]`);
  const range = t.fileRange;
  if (range) return Tensor.fromFile(t.dtype, dims, range.file, range.offset, range.length);
  return Tensor.fromBytes(t.dtype, dims, t.bytes());
}

/** Whole bytes per element, or undefined for sub-byte and variable-size types. */
export function elementBytes(dtype: DType): number | undefined {
  const bits = DTYPE_BITS[dtype];
  return bits >= 8 && bits % 8 === 0 ? bits / 8 : undefined;
}

/** The elements permuted like a transpose with `perm` (reads the tensor). */
export function transposeTensor(t: Tensor, perm: readonly number[]): Tensor {
  const size = elementBytes(t.dtype);
  if (size === undefined) throw new Error(`invariant: cannot transpose ${t.dtype} elements`);
  const dims = t.dims;
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p]!);
  const src = t.bytes();
  const out = new Uint8Array(src.length);
  const inStrides = stridesOf(dims);
  const outStrides = stridesOf(outDims);
  const count = t.elementCount;
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < count; o++) {
    // index = coordinates of output element o; the input coordinate of axis perm[k] is index[k]
    let rest = o;
    let from = 0;
    for (let k = 0; k < rank; k++) {
      index[k] = Math.floor(rest / outStrides[k]!);
      rest -= index[k]! * outStrides[k]!;
      from += index[k]! * inStrides[perm[k]!]!;
    }
    out.set(src.subarray(from * size, from * size + size), o * size);
  }
  return Tensor.fromBytes(t.dtype, outDims, out);
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/**
 * A one-hot convolution kernel: `dims` = [out, in, k...], and `ones` lists, per output
 * channel, the [in, k...] coordinate that holds its single 1 (every other element is 0).
 */
export function oneHotKernel(dtype: DType, dims: readonly number[], ones: ReadonlyArray<readonly number[]>): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = new Float64Array(count);
  const strides = stridesOf(dims);
  ones.forEach((coord, o) => {
    let at = o * strides[0]!;
    coord.forEach((c, k) => (at += c * strides[k + 1]!));
    values[at] = 1;
  });
  return tensorOf(dtype, dims, values);
}

/** The numbers of a tensor of at most `limit` elements, or undefined. */
export function smallNumbers(t: Tensor | undefined, limit = 4096): number[] | undefined {
  if (!t) return undefined;
  try {
    return t.numbers(limit);
  } catch {
    return undefined;
  }
}

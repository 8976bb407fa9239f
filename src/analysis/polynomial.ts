import type { Node, Value } from '../ir/graph.js';
import { constantScalar } from './constants.js';
import { arg } from './op-params.js';

/**
 * Small polynomials in one value, read off the elementwise ops that compute them. Exporters
 * spell the same expression many ways (x/√2 or x·0.7071; x + 0.044715·x³ with Pow(x,3),
 * x·x·x or x·(x·x); x + 3 or 3 + x); reducing each to its coefficients lets one check
 * accept them all. Constants must be scalars (one element); anything else is not a
 * polynomial in x. Only small constants are read.
 */
export interface Polynomial {
  /** Coefficient by exponent (0..maxDegree). */
  readonly coeffs: ReadonlyMap<number, number>;
  /** The ops that compute it (constants and `x` itself excluded), in visiting order. */
  readonly nodes: readonly Node[];
}

export interface PolynomialOptions {
  readonly maxDegree?: number;
  /** Stop after this many ops: a longer chain is not one of the forms we look for. */
  readonly maxNodes?: number;
}

type Coeffs = Map<number, number>;

/** The value `v` as a polynomial in `x`, or undefined when it is not one (within the limits). */
export function polynomialIn(v: Value, x: Value, options: PolynomialOptions = {}): Polynomial | undefined {
  const maxDegree = options.maxDegree ?? 3;
  const maxNodes = options.maxNodes ?? 8;
  const nodes: Node[] = [];
  const walk = (u: Value): Coeffs | undefined => {
    if (u === x) return new Map([[1, 1]]);
    const c = constantScalar(u);
    if (c !== undefined) return new Map([[0, c]]);
    const p = u.producer;
    if (!p || p.outputs.length !== 1) return undefined;
    if (!nodes.includes(p)) {
      if (nodes.length >= maxNodes) return undefined;
      nodes.push(p);
    }
    const a = arg(p, 0);
    const b = arg(p, 1);
    switch (p.kind) {
      case 'add':
      case 'sub': {
        if (!a || !b) return undefined;
        const l = walk(a);
        const r = l && walk(b);
        return r && l ? combine(l, r, p.kind === 'add' ? 1 : -1) : undefined;
      }
      case 'mul': {
        if (!a || !b) return undefined;
        const l = walk(a);
        const r = l && walk(b);
        return r && l ? multiply(l, r, maxDegree) : undefined;
      }
      case 'real_div': {
        if (!a || !b) return undefined;
        const d = constantScalar(b);
        if (d === undefined || d === 0) return undefined;
        const l = walk(a);
        return l && scale(l, 1 / d);
      }
      case 'pow': {
        if (!a || !b) return undefined;
        const e = constantScalar(b);
        if (e === undefined || !Number.isInteger(e) || e < 0 || e > maxDegree) return undefined;
        const base = walk(a);
        if (!base) return undefined;
        let out: Coeffs | undefined = new Map([[0, 1]]);
        for (let i = 0; i < e && out; i++) out = multiply(out, base, maxDegree);
        return out;
      }
      case 'square': {
        if (!a) return undefined;
        const base = walk(a);
        return base && multiply(base, base, maxDegree);
      }
      default:
        return undefined;
    }
  };
  const coeffs = walk(v);
  return coeffs ? { coeffs, nodes } : undefined;
}

/**
 * True when the polynomial has (within relative `tolerance`) exactly the given
 * coefficients; every other coefficient must be (near) zero.
 */
export function hasCoefficients(p: Polynomial, expected: Readonly<Record<number, number>>, tolerance = 2e-3): boolean {
  const keys = new Set<number>([...p.coeffs.keys(), ...Object.keys(expected).map(Number)]);
  for (const k of keys) {
    const want = expected[k] ?? 0;
    const got = p.coeffs.get(k) ?? 0;
    const allowed = want === 0 ? 1e-6 : tolerance * Math.abs(want);
    if (Math.abs(got - want) > allowed) return false;
  }
  return true;
}

function combine(a: Coeffs, b: Coeffs, sign: number): Coeffs {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + sign * v);
  return out;
}

function scale(a: Coeffs, s: number): Coeffs {
  const out: Coeffs = new Map();
  for (const [k, v] of a) out.set(k, v * s);
  return out;
}

function multiply(a: Coeffs, b: Coeffs, maxDegree: number): Coeffs | undefined {
  const out: Coeffs = new Map();
  for (const [i, x] of a) {
    for (const [j, y] of b) {
      if (x === 0 || y === 0) continue;
      if (i + j > maxDegree) return undefined;
      out.set(i + j, (out.get(i + j) ?? 0) + x * y);
    }
  }
  return out;
}

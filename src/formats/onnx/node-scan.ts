import type { Graph, Value } from '../../ir/graph.js';
import { NOT_ASCII } from '../../ir/string-map.js';
import type { WireDecoder } from '../wire/decode.js';
import type { NodeMessage } from './messages.js';

/** The NodeProto fields a scan reads; all are length-delimited. */
const INPUT = 1;
const OUTPUT = 2;
const NAME = 3;
const OP_TYPE = 4;
const ATTRIBUTE = 5;
const DOMAIN = 7;

/**
 * Reads a NodeProto written the usual way (inputs, outputs, name, op type, domain and
 * attributes, nothing else) without decoding it into a message: an input is resolved from
 * the bytes of its name, with no string made for it, and the rest goes into fields reused
 * from node to node. A node with any other field is left to the schema's decoder.
 */
export class NodeScanner {
  op = '';
  domain = '';
  name: string | undefined;
  // Lists reused from node to node (emptying an array is a call into V8 each time): the node's
  // entries are the first `inputCount`, `outputCount`, `attributeCount`.
  /** Inputs in order: null for an omitted one ('') and for one not found. */
  readonly inputs: (Value | null)[] = [];
  inputCount = 0;
  readonly outputs: string[] = [];
  outputCount = 0;
  /** Per attribute, where its field starts, and where its body starts and ends (three numbers). */
  readonly attributes: number[] = [];
  attributeCount = 0;
  /** The first input whose name nothing in scope defines (yet). */
  missing: string | undefined;

  constructor(private readonly decoder: WireDecoder) {}

  /** Reads the node in [start, end), resolving inputs in `scope`; false when it is not written the usual way. */
  scan(start: number, end: number, scope: Graph): boolean {
    const d = this.decoder;
    this.op = '';
    this.domain = '';
    this.name = undefined;
    this.missing = undefined;
    this.inputCount = 0;
    this.outputCount = 0;
    this.attributeCount = 0;
    d.seek(start);
    while (d.position < end) {
      const fieldStart = d.position;
      const tag = d.readVarint(end);
      if (tag % 8 !== 2) return false;
      const len = d.readLength(end);
      const body = d.position;
      switch (Math.floor(tag / 8)) {
        case INPUT:
          this.inputs[this.inputCount++] = len === 0 ? null : this.input(body, len, scope);
          d.seek(body + len);
          break;
        case OUTPUT: this.outputs[this.outputCount++] = d.readString(len); break;
        case NAME: this.name = d.readString(len); break;
        case OP_TYPE: this.op = d.readString(len, true); break;
        case DOMAIN: this.domain = d.readString(len, true); break;
        case ATTRIBUTE:
          this.attribute(fieldStart, body, body + len);
          d.seek(body + len);
          break;
        default: return false;
      }
    }
    return true;
  }

  /** Takes the parts of a node the schema's decoder read (one `scan` declined). */
  take(n: NodeMessage, scope: Graph): void {
    this.op = n.op_type ?? '';
    this.domain = n.domain ?? '';
    this.name = n.name;
    this.missing = undefined;
    this.inputCount = 0;
    for (const name of n.input ?? []) {
      const v = name === '' ? null : scope.lookup(name) ?? null;
      if (name !== '' && v === null) this.missing ??= name;
      this.inputs[this.inputCount++] = v;
    }
    this.outputCount = 0;
    for (const name of n.output ?? []) this.outputs[this.outputCount++] = name;
    this.attributeCount = 0;
    const a = n.attribute;
    for (let i = 0; a !== undefined && i < a.length; i++) this.attribute(a.fieldStart(i), a.start(i), a.end(i));
  }

  private attribute(fieldStart: number, start: number, end: number): void {
    const i = 3 * this.attributeCount++;
    this.attributes[i] = fieldStart;
    this.attributes[i + 1] = start;
    this.attributes[i + 2] = end;
  }

  /** The value the name at [body, body + len) reads, or null (and `missing` set) when none is in scope. */
  private input(body: number, len: number, scope: Graph): Value | null {
    const d = this.decoder;
    const at = d.view(body, len);
    const bytes = d.window;
    for (let g: Graph | null = scope; g !== null; g = g.parentGraph) {
      const v = g.values.getAscii(bytes, at, at + len);
      if (v === NOT_ASCII) break;
      if (v !== undefined) return v;
    }
    // Not ASCII (looked up by its text), or not found (its text is the error's).
    d.seek(body);
    const name = d.readString(len);
    const v = scope.lookup(name);
    if (v !== undefined) return v;
    this.missing ??= name;
    return null;
  }
}

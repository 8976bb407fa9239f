import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { descriptor } from '../../proto/onnx.schema.js';

/**
 * An independent decoder for checks: protobufjs decoding whole messages (weights
 * included) from the same schema. Tests compare graphlint's lazy reader and copying
 * writer against it.
 */
const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const ModelType = root.lookupType('graphlint.onnx.Model');

export type PlainModel = Record<string, unknown>;

export function decodePlain(bytes: Uint8Array): PlainModel {
  return ModelType.toObject(ModelType.decode(bytes), { longs: String, bytes: String, defaults: false }) as PlainModel;
}

export function decodeFile(path: string): PlainModel {
  return decodePlain(readFileSync(path));
}

interface PlainGraph { node?: PlainNode[]; input?: { name?: string }[]; output?: { name?: string }[]; initializer?: { name?: string }[] }
interface PlainNode { op_type?: string; domain?: string; attribute?: { g?: PlainGraph; graphs?: PlainGraph[] }[] }

/** Node count and op histogram of a decoded graph, nested graphs included. */
export function countOps(graph: PlainGraph): { nodes: number; ops: Record<string, number> } {
  const ops: Record<string, number> = {};
  let nodes = 0;
  const visit = (g: PlainGraph): void => {
    for (const n of g.node ?? []) {
      nodes++;
      const d = n.domain ?? '';
      const name = d === '' || d === 'ai.onnx' ? n.op_type ?? '' : `${d}:${n.op_type}`;
      ops[name] = (ops[name] ?? 0) + 1;
      for (const a of n.attribute ?? []) {
        if (a.g) visit(a.g);
        for (const sub of a.graphs ?? []) visit(sub);
      }
    }
  };
  visit(graph);
  return { nodes, ops };
}

import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import * as coreml from '../../../proto/coreml.schema.js';
import * as onnx from '../../../proto/onnx.schema.js';
import { buildSchemas, type SchemaSet } from '../../../src/formats/wire/schema.js';

/** The schema set as protobufjs resolves the same descriptor (the reference buildSchemas must match). */
function viaProtobufjs(descriptor: object, pkg: string): Record<string, unknown> {
  const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
  root.resolveAll();
  const ns = root.lookup(pkg) as protobuf.Namespace;
  const prefix = ns.fullName.length + 1;
  const nameOf = (t: protobuf.Type): string => t.fullName.slice(prefix).replace(/\./g, '_');
  const out: Record<string, unknown> = {};
  const visit = (n: protobuf.NamespaceBase): void => {
    for (const child of n.nestedArray) {
      if (child instanceof protobuf.Type) {
        out[nameOf(child)] = child.fieldsArray.map((f) => ({
          name: f.name,
          number: f.id,
          repeated: f.repeated || f.map,
          kind: f.resolvedType instanceof protobuf.Type ? `message ${nameOf(f.resolvedType)}`
            : f.resolvedType instanceof protobuf.Enum ? 'enum' : f.type,
          mapKey: f.map ? (f as unknown as protobuf.MapField).keyType : undefined,
        }));
      }
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) visit(child);
    }
  };
  visit(ns);
  return out;
}

function plain(set: SchemaSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of set) {
    expect(s.name).toBe(name);
    out[name] = [...s.fields.values()].map((f) => {
      expect(s.byName.get(f.name)).toBe(f);
      return {
        name: f.name,
        number: f.number,
        repeated: f.repeated,
        kind: f.message ? `message ${f.message.name}` : f.scalar,
        mapKey: f.mapKey,
      };
    });
  }
  return out;
}

describe('buildSchemas', () => {
  for (const [label, mod] of [['ONNX', onnx], ['Core ML', coreml]] as const) {
    it(`resolves the ${label} descriptor exactly as protobufjs does`, () => {
      const ours = plain(buildSchemas(mod.descriptor, mod.PACKAGE));
      expect(Object.keys(ours).length).toBeGreaterThan(10);
      expect(ours).toEqual(viaProtobufjs(mod.descriptor, mod.PACKAGE));
    });
  }

  it('resolves nested, relative and absolute type names and enums', () => {
    const descriptor = {
      nested: { p: { nested: {
        Outer: {
          fields: { inner: { type: 'Inner', id: 1 }, kind: { type: 'Kind', id: 2 }, other: { type: '.p.Other', id: 3, rule: 'repeated' },
            byName: { keyType: 'string', type: 'Other', id: 4 } },
          nested: { Inner: { fields: { x: { type: 'int64', id: 1, rule: 'repeated' }, back: { type: 'Outer', id: 2 } } }, Kind: { values: { A: 0, B: 1 } } },
        },
        Other: { fields: { s: { type: 'string', id: 1 } } },
      } } },
    };
    const ours = plain(buildSchemas(descriptor, 'p'));
    expect(ours).toEqual(viaProtobufjs(descriptor, 'p'));
    expect(ours.Outer_Inner).toEqual([
      { name: 'x', number: 1, repeated: true, kind: 'int64', mapKey: undefined },
      { name: 'back', number: 2, repeated: false, kind: 'message Outer', mapKey: undefined },
    ]);
  });

  it('names a type it cannot resolve', () => {
    expect(() => buildSchemas({ nested: { p: { nested: { A: { fields: { b: { type: 'Missing', id: 1 } } } } } } }, 'p'))
      .toThrow(/unresolved type Missing of A\.b/);
  });
});

import protobuf from 'protobufjs';

/**
 * The decoder's view of a protobuf schema: per message, field number → how to read it.
 * Built once from the descriptor that scripts/gen-proto.mjs derives from proto/*.proto.
 */
export type ScalarKind =
  | 'int32' | 'int64' | 'uint32' | 'uint64' | 'sint32' | 'sint64' | 'bool' | 'enum'
  | 'fixed32' | 'sfixed32' | 'float' | 'fixed64' | 'sfixed64' | 'double'
  | 'string' | 'bytes';

export interface FieldSchema {
  readonly name: string;
  readonly number: number;
  readonly repeated: boolean;
  /** Set for message-typed fields. */
  readonly message?: MessageSchema;
  /** Set for scalar fields (and for map values that are scalar). */
  readonly scalar?: ScalarKind;
  /** Map fields: the key kind; the value is `message` or `scalar`. */
  readonly mapKey?: ScalarKind;
}

export interface MessageSchema {
  readonly name: string;
  readonly fields: Map<number, FieldSchema>;
  readonly byName: Map<string, FieldSchema>;
  /** Keep every field occurrence's span, so a writer can replay the original field order. */
  keepEntries: boolean;
}

export type SchemaSet = Map<string, MessageSchema>;

const SCALARS = new Set<string>([
  'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool', 'fixed32', 'sfixed32',
  'float', 'fixed64', 'sfixed64', 'double', 'string', 'bytes',
]);

/** Builds the schema set for one package of a descriptor. Names are relative to the package. */
export function buildSchemas(descriptor: protobuf.INamespace, pkg: string): SchemaSet {
  const root = protobuf.Root.fromJSON(descriptor);
  root.resolveAll();
  const ns = root.lookup(pkg);
  if (!(ns instanceof protobuf.Namespace)) throw new Error(`schema package ${pkg} missing`);
  const set: SchemaSet = new Map();
  const types: protobuf.Type[] = [];
  const visit = (n: protobuf.NamespaceBase): void => {
    for (const child of n.nestedArray) {
      if (child instanceof protobuf.Type) types.push(child);
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) visit(child);
    }
  };
  visit(ns);
  const prefix = ns.fullName.length + 1; // ".pkg." → strip
  const nameOf = (t: protobuf.Type): string => t.fullName.slice(prefix).replace(/\./g, '_');
  for (const t of types) {
    set.set(nameOf(t), { name: nameOf(t), fields: new Map(), byName: new Map(), keepEntries: false });
  }
  for (const t of types) {
    const schema = set.get(nameOf(t))!;
    for (const f of t.fieldsArray) {
      const resolved = f.resolvedType;
      let field: FieldSchema;
      const base = { name: f.name, number: f.id, repeated: f.repeated || f.map };
      const valueKind = (): Partial<FieldSchema> => {
        if (resolved instanceof protobuf.Type) return { message: set.get(nameOf(resolved))! };
        if (resolved instanceof protobuf.Enum) return { scalar: 'enum' };
        if (SCALARS.has(f.type)) return { scalar: f.type as ScalarKind };
        throw new Error(`unresolved type ${f.type} of ${t.name}.${f.name}`);
      };
      if (f.map) {
        field = { ...base, ...valueKind(), mapKey: (f as unknown as protobuf.MapField).keyType as ScalarKind };
      } else {
        field = { ...base, ...valueKind() };
      }
      schema.fields.set(field.number, field);
      schema.byName.set(field.name, field);
    }
  }
  return set;
}

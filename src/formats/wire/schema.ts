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
  /** A string field whose values recur (op types, domains): decoded once, shared. */
  intern?: boolean;
  /**
   * A repeated message field left undecoded: the message holds the occurrences' spans (a
   * FieldSpans), and the format's reader decodes each one when it gets to it.
   */
  deferred?: boolean;
}

export interface MessageSchema {
  readonly name: string;
  readonly fields: Map<number, FieldSchema>;
  readonly byName: Map<string, FieldSchema>;
  /** Keep every field occurrence's span, so a writer can replay the original field order. */
  keepEntries: boolean;
  /** Names of the repeated fields (filled by the decoder on first use). */
  repeatedNames?: readonly string[];
  /** Fields by number, for small numbers (filled by the decoder on first use). */
  byNumber?: ReadonlyArray<FieldSchema | undefined>;
  /** The class of this schema's decoded messages (made by the decoder on first use). */
  shape?: new (type: string, start: number, end: number) => object;
}

export type SchemaSet = Map<string, MessageSchema>;

const SCALARS = new Set<string>([
  'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool', 'fixed32', 'sfixed32',
  'float', 'fixed64', 'sfixed64', 'double', 'string', 'bytes',
]);

/** The parts of a protobufjs JSON descriptor (INamespace) the decoder needs. */
interface DescriptorNode {
  readonly nested?: Readonly<Record<string, DescriptorNode>>;
  readonly fields?: Readonly<Record<string, { readonly type: string; readonly id: number; readonly rule?: string; readonly keyType?: string }>>;
  readonly values?: Readonly<Record<string, number>>;
}

interface Scope {
  readonly name: string;
  readonly fullName: string;
  readonly node: DescriptorNode;
  readonly parent: Scope | null;
}

/**
 * Builds the schema set for one package of a descriptor (the JSON that scripts/gen-proto.mjs
 * derives from proto/*.proto). Names are relative to the package, nested ones joined by `_`.
 * Reads the descriptor directly: loading protobufjs costs every command ~25 ms of start-up.
 */
export function buildSchemas(descriptor: object, pkg: string): SchemaSet {
  const root: Scope = { name: '', fullName: '', node: descriptor as DescriptorNode, parent: null };
  let ns: Scope = root;
  for (const part of pkg.split('.')) {
    const child = ns.node.nested?.[part];
    if (!child || child.fields || child.values) throw new Error(`schema package ${pkg} missing`);
    ns = { name: part, fullName: `${ns.fullName}.${part}`, node: child, parent: ns };
  }
  const types: Scope[] = [];
  const visit = (scope: Scope): void => {
    for (const [name, child] of Object.entries(scope.node.nested ?? {})) {
      const s: Scope = { name, fullName: `${scope.fullName}.${name}`, node: child, parent: scope };
      if (child.fields) types.push(s);
      if (!child.values) visit(s);
    }
  };
  visit(ns);
  const prefix = ns.fullName.length + 1; // ".pkg." → strip
  const nameOf = (t: Scope): string => t.fullName.slice(prefix).replace(/\./g, '_');
  const byFullName = new Map<string, Scope>();
  const index = (scope: Scope): void => {
    for (const [name, child] of Object.entries(scope.node.nested ?? {})) {
      const s: Scope = { name, fullName: `${scope.fullName}.${name}`, node: child, parent: scope };
      byFullName.set(s.fullName, s);
      index(s);
    }
  };
  index(root);
  /** Resolves a type name as protoc does: absolute, or from the innermost enclosing scope outwards. */
  const resolve = (from: Scope, type: string): Scope | undefined => {
    if (type.startsWith('.')) return byFullName.get(type);
    for (let scope: Scope | null = from; scope; scope = scope.parent) {
      const found = byFullName.get(`${scope.fullName}.${type}`);
      if (found) return found;
    }
    return undefined;
  };
  const set: SchemaSet = new Map();
  for (const t of types) {
    set.set(nameOf(t), { name: nameOf(t), fields: new Map(), byName: new Map(), keepEntries: false });
  }
  for (const t of types) {
    const schema = set.get(nameOf(t))!;
    for (const [fieldName, f] of Object.entries(t.node.fields!)) {
      const isMap = f.keyType !== undefined;
      const base = { name: fieldName, number: f.id, repeated: f.rule === 'repeated' || isMap };
      let value: Partial<FieldSchema>;
      if (SCALARS.has(f.type)) {
        value = { scalar: f.type as ScalarKind };
      } else {
        const resolved = resolve(t, f.type);
        if (resolved?.node.fields) value = { message: set.get(nameOf(resolved))! };
        else if (resolved?.node.values) value = { scalar: 'enum' };
        else throw new Error(`unresolved type ${f.type} of ${t.name}.${fieldName}`);
      }
      const field: FieldSchema = isMap ? { ...base, ...value, mapKey: f.keyType as ScalarKind } : { ...base, ...value };
      schema.fields.set(field.number, field);
      schema.byName.set(field.name, field);
    }
  }
  return set;
}

/** Fields by number for the numbers below 256 (the ones that occur in practice): an array beats a Map. */
export function fieldsByNumber(schema: MessageSchema): ReadonlyArray<FieldSchema | undefined> {
  let max = 0;
  for (const n of schema.fields.keys()) if (n < 256) max = Math.max(max, n);
  const byNumber: Array<FieldSchema | undefined> = new Array(max + 1).fill(undefined);
  for (const [n, f] of schema.fields) if (n <= max) byNumber[n] = f;
  schema.byNumber = byNumber;
  return byNumber;
}

/** Names of the schema's repeated fields. */
export function repeatedNames(schema: MessageSchema): readonly string[] {
  const names: string[] = [];
  for (const f of schema.fields.values()) if (f.repeated) names.push(f.name);
  schema.repeatedNames = names;
  return names;
}

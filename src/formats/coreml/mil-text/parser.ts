import { ModelError } from '../../../errors.js';
import { parseNumber, tokenize, type Token } from './tokenizer.js';

/**
 * model.mil → a syntax tree. Both dialects coremlc writes are accepted: program(1.0)
 * (`tensor<string, []>("x")` scalars, `name` attributes) and program(1.3) (bare scalars
 * such as `int32(0)`, no names, constants inlined into call arguments). Nothing is
 * interpreted here beyond numbers (decimal and hex floats); see to-ir.ts for meaning.
 */

export type MilTypeAst =
  | { readonly k: 'tensor'; readonly dtype: string; readonly dims: ReadonlyArray<number | null> | null }
  | { readonly k: 'list'; readonly elem: MilTypeAst; readonly length: number | null }
  | { readonly k: 'tuple'; readonly items: readonly MilTypeAst[] }
  | { readonly k: 'dict'; readonly key: MilTypeAst; readonly value: MilTypeAst }
  | { readonly k: 'state'; readonly wrapped: MilTypeAst };

export type MilLit =
  | { readonly k: 'num'; readonly v: number; readonly raw: string }
  | { readonly k: 'str'; readonly v: string }
  | { readonly k: 'bool'; readonly v: boolean }
  | { readonly k: 'array'; readonly items: readonly MilLit[] }
  | { readonly k: 'tuple'; readonly items: readonly MilLit[] }
  | { readonly k: 'dict'; readonly entries: ReadonlyArray<readonly [MilLit, MilLit]> }
  | { readonly k: 'blob'; readonly path: MilLit; readonly offset: MilLit }
  | { readonly k: 'typed'; readonly type: MilTypeAst; readonly value: MilLit };

export type MilBinding =
  | { readonly k: 'name'; readonly name: string }
  | { readonly k: 'value'; readonly value: MilLit }
  | { readonly k: 'list'; readonly items: readonly MilBinding[] };

export interface MilStatement {
  readonly outputs: ReadonlyArray<{ readonly name: string; readonly type: MilTypeAst }>;
  readonly op: string;
  readonly args: ReadonlyArray<readonly [string, MilBinding]>;
  readonly attributes: ReadonlyArray<readonly [string, MilLit]>;
  readonly line: number;
}

export interface MilFunctionAst {
  readonly name: string;
  readonly opset: string;
  readonly inputs: ReadonlyArray<{ readonly name: string; readonly type: MilTypeAst }>;
  readonly attributes: ReadonlyArray<readonly [string, MilLit]>;
  readonly body: readonly MilStatement[];
  readonly outputs: readonly string[];
}

export interface MilProgramAst {
  readonly version: string;
  readonly attributes: ReadonlyArray<readonly [string, MilLit]>;
  readonly functions: readonly MilFunctionAst[];
}

/** Deepest nesting of types and literals accepted (hostile text can nest without bound). */
const MAX_DEPTH = 64;

export function parseMil(text: string, file: string): MilProgramAst {
  return new Parser(tokenize(text, file), file).program();
}

class Parser {
  private at = 0;

  constructor(private readonly tokens: Token[], private readonly file: string) {}

  program(): MilProgramAst {
    this.expectIdent('program');
    this.expect('(');
    const version = this.next('number').text;
    this.expect(')');
    const attributes = this.peekIs('[') ? this.attributeList() : [];
    this.expect('{');
    const functions: MilFunctionAst[] = [];
    while (!this.peekIs('}')) functions.push(this.func());
    this.expect('}');
    if (this.peek().kind !== 'eof') this.fail('text after the end of the program');
    return { version, attributes, functions };
  }

  private func(): MilFunctionAst {
    this.expectIdent('func');
    const name = this.next('ident').text;
    this.expect('<');
    const opset = this.next('ident').text;
    this.expect('>');
    this.expect('(');
    const inputs: Array<{ name: string; type: MilTypeAst }> = [];
    while (!this.peekIs(')')) {
      const type = this.type(0);
      inputs.push({ name: this.next('ident').text, type });
      if (!this.peekIs(')')) this.expect(',');
    }
    this.expect(')');
    const attributes = this.peekIs('[') ? this.attributeList() : [];
    this.expect('{');
    const body: MilStatement[] = [];
    while (!this.peekIs('}')) body.push(this.statement());
    this.expect('}');
    this.expect('->');
    this.expect('(');
    const outputs: string[] = [];
    while (!this.peekIs(')')) {
      outputs.push(this.next('ident').text);
      if (!this.peekIs(')')) this.expect(',');
    }
    this.expect(')');
    this.expect(';');
    return { name, opset, inputs, attributes, body, outputs };
  }

  private statement(): MilStatement {
    const line = this.peek().line;
    const outputs: Array<{ name: string; type: MilTypeAst }> = [];
    for (;;) {
      const type = this.type(0);
      outputs.push({ name: this.next('ident').text, type });
      if (this.peekIs('=')) break;
      this.expect(',');
    }
    this.expect('=');
    const op = this.next('ident').text;
    this.expect('(');
    const args: Array<[string, MilBinding]> = [];
    while (!this.peekIs(')')) {
      const name = this.next('ident').text;
      this.expect('=');
      args.push([name, this.binding(0)]);
      if (!this.peekIs(')')) this.expect(',');
    }
    this.expect(')');
    const attributes = this.peekIs('[') ? this.attributeList() : [];
    if (this.peekIs('{')) this.fail(`'${op}' has nested blocks, which graphlint cannot read from model.mil yet`);
    this.expect(';');
    return { outputs, op, args, attributes, line };
  }

  private binding(depth: number): MilBinding {
    if (depth > MAX_DEPTH) this.fail('arguments nested too deeply');
    if (this.peekIs('(')) {
      this.next();
      const items: MilBinding[] = [];
      while (!this.peekIs(')')) {
        items.push(this.binding(depth + 1));
        if (!this.peekIs(')')) this.expect(',');
      }
      this.next();
      return { k: 'list', items };
    }
    const t = this.peek();
    // A bare identifier not followed by '<' or '(' names a value.
    if (t.kind === 'ident' && !this.peekIs('<', 1) && !this.peekIs('(', 1)) {
      this.next();
      return { k: 'name', name: t.text };
    }
    return { k: 'value', value: this.literal(depth + 1) };
  }

  private attributeList(): Array<[string, MilLit]> {
    this.expect('[');
    const out: Array<[string, MilLit]> = [];
    while (!this.peekIs(']')) {
      const name = this.next('ident').text;
      this.expect('=');
      out.push([name, this.literal(0)]);
      if (!this.peekIs(']')) this.expect(',');
    }
    this.expect(']');
    return out;
  }

  /** `tensor<fp16, [1, ?]>`, `fp32`, `list<T, ?>`, `tuple<...>`, `dict<K, V>`, `state<T>`. */
  private type(depth: number): MilTypeAst {
    if (depth > MAX_DEPTH) this.fail('types nested too deeply');
    const t = this.next('ident');
    switch (t.text) {
      case 'tensor': {
        this.expect('<');
        const dtype = this.next('ident').text;
        this.expect(',');
        const dims: Array<number | null> = [];
        this.expect('[');
        while (!this.peekIs(']')) {
          if (this.peekIs('?')) {
            this.next();
            dims.push(null);
          } else {
            dims.push(this.integer());
          }
          if (!this.peekIs(']')) this.expect(',');
        }
        this.expect(']');
        this.expect('>');
        return { k: 'tensor', dtype, dims };
      }
      case 'list': {
        this.expect('<');
        const elem = this.type(depth + 1);
        this.expect(',');
        const length = this.peekIs('?') ? (this.next(), null) : this.integer();
        this.expect('>');
        return { k: 'list', elem, length };
      }
      case 'tuple': {
        this.expect('<');
        const items: MilTypeAst[] = [];
        while (!this.peekIs('>')) {
          items.push(this.type(depth + 1));
          if (!this.peekIs('>')) this.expect(',');
        }
        this.expect('>');
        return { k: 'tuple', items };
      }
      case 'dict': {
        this.expect('<');
        const key = this.type(depth + 1);
        this.expect(',');
        const value = this.type(depth + 1);
        this.expect('>');
        return { k: 'dict', key, value };
      }
      case 'state': {
        this.expect('<');
        const wrapped = this.type(depth + 1);
        this.expect('>');
        return { k: 'state', wrapped };
      }
      default:
        // Program 1.3 writes rank-0 types bare: `int32`, `string`, `fp32`.
        return { k: 'tensor', dtype: t.text, dims: [] };
    }
  }

  private literal(depth: number): MilLit {
    if (depth > MAX_DEPTH) this.fail('values nested too deeply');
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return { k: 'str', v: t.value ?? '' };
    }
    if (t.kind === 'number') {
      this.next();
      const v = parseNumber(t.text);
      if (v === undefined) this.fail(`'${t.text}' is not a number`, t);
      return { k: 'num', v: v!, raw: t.text };
    }
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'false') {
        this.next();
        return { k: 'bool', v: t.text === 'true' };
      }
      if (/^(inf|nan)$/i.test(t.text)) {
        this.next();
        return { k: 'num', v: parseNumber(t.text)!, raw: t.text };
      }
      if (t.text === 'BLOBFILE') {
        this.next();
        this.expect('(');
        const args = new Map<string, MilLit>();
        while (!this.peekIs(')')) {
          const name = this.next('ident').text;
          this.expect('=');
          args.set(name, this.literal(depth + 1));
          if (!this.peekIs(')')) this.expect(',');
        }
        this.expect(')');
        const path = args.get('path');
        const offset = args.get('offset');
        if (!path || !offset) this.fail('BLOBFILE needs a path and an offset', t);
        return { k: 'blob', path: path!, offset: offset! };
      }
      const type = this.type(depth + 1);
      this.expect('(');
      const value = this.peekIs(')') ? ({ k: 'tuple', items: [] } as MilLit) : this.literal(depth + 1);
      this.expect(')');
      return { k: 'typed', type, value };
    }
    if (this.peekIs('[') || this.peekIs('(')) {
      const close = this.next().text === '[' ? ']' : ')';
      const items: MilLit[] = [];
      while (!this.peekIs(close)) {
        items.push(this.literal(depth + 1));
        if (!this.peekIs(close)) this.expect(',');
      }
      this.next();
      return close === ']' ? { k: 'array', items } : { k: 'tuple', items };
    }
    if (this.peekIs('{')) {
      // Dictionaries: {{k, v}, {k, v}}
      this.next();
      const entries: Array<[MilLit, MilLit]> = [];
      while (!this.peekIs('}')) {
        this.expect('{');
        const k = this.literal(depth + 1);
        this.expect(',');
        const v = this.literal(depth + 1);
        this.expect('}');
        entries.push([k, v]);
        if (!this.peekIs('}')) this.expect(',');
      }
      this.next();
      return { k: 'dict', entries };
    }
    return this.fail(`expected a value but found '${t.text || 'the end'}'`, t);
  }

  private integer(): number {
    const t = this.next('number');
    const v = parseNumber(t.text);
    if (v === undefined || !Number.isSafeInteger(v) || v < 0) this.fail(`'${t.text}' is not a dimension`, t);
    return v!;
  }

  // ---- token helpers --------------------------------------------------------------

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.at + ahead, this.tokens.length - 1)]!;
  }

  private peekIs(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'punct' && t.text === text;
  }

  private next(kind?: Token['kind']): Token {
    const t = this.peek();
    if (kind && t.kind !== kind) this.fail(`expected ${kind === 'ident' ? 'a name' : `a ${kind}`} but found '${t.text || 'the end'}'`, t);
    if (t.kind !== 'eof') this.at++;
    return t;
  }

  private expect(text: string): void {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== text) this.fail(`expected '${text}' but found '${t.text || 'the end'}'`, t);
    this.at++;
  }

  private expectIdent(text: string): void {
    const t = this.peek();
    if (t.kind !== 'ident' || t.text !== text) this.fail(`expected '${text}' but found '${t.text || 'the end'}'`, t);
    this.at++;
  }

  private fail(what: string, t: Token = this.peek()): never {
    throw new ModelError(`model.mil line ${t.line}, column ${t.col}: ${what}`, this.file);
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { UsageError, systemReason } from '../errors.js';
import type { Rule, TargetId } from './rule.js';
import { TARGET_IDS } from './rule.js';
import type { RuleSettings, SeveritySetting } from './run-rules.js';

export const CONFIG_FILE = '.graphlintrc.json';
const SEVERITIES = ['off', 'info', 'warning', 'error'] as const;

/** The config file's shape. The JSON schema below is its single source of truth. */
export interface ConfigFile {
  target?: TargetId;
  rules?: Record<string, SeveritySetting | [SeveritySetting] | [SeveritySetting, Record<string, unknown>]>;
}

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    target: { enum: [...TARGET_IDS], description: 'Runtime to judge for.' },
    rules: {
      type: 'object',
      description: 'Rule id → severity, or [severity, options].',
      additionalProperties: {
        anyOf: [
          { enum: [...SEVERITIES] },
          { type: 'array', minItems: 1, maxItems: 2, items: [{ enum: [...SEVERITIES] }, { type: 'object' }] },
        ],
      },
    },
  },
} as const;

/** Settings resolved for one model: target and per-rule severity and options. */
export interface ResolvedConfig {
  readonly file: string | null;
  readonly target: TargetId | undefined;
  readonly settings: Map<string, RuleSettings>;
}

/**
 * The validator, loaded with the first config file read: ajv and its compiled schemas cost
 * tens of milliseconds of start-up, which a run without a config file should not pay.
 */
let validators: Promise<{ ajv: Ajv; config: ValidateFunction }> | undefined;
function loadValidators(): NonNullable<typeof validators> {
  // Through the default export (module.exports): bundled, ajv's chunk exposes nothing else.
  validators ??= import('ajv').then(({ default: { Ajv } }) => {
    const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true });
    return { ajv, config: ajv.compile(CONFIG_SCHEMA) };
  });
  return validators;
}
const optionValidators = new WeakMap<Rule<unknown>, ValidateFunction>();

/**
 * Reads and validates a config file against the schema, the rule ids, and each rule's
 * options schema. Errors name the file and the key, and say what is allowed.
 */
export async function loadConfig(file: string, rules: readonly Rule<unknown>[]): Promise<ResolvedConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const why = systemReason(e);
    throw new UsageError(`${file}: cannot read the config: ${why}`);
  }
  const { ajv, config: validateConfig } = await loadValidators();
  if (!validateConfig(raw)) throw new UsageError(`${file}: ${describe(validateConfig.errors ?? [], raw)}`);
  const config = raw as ConfigFile;
  const byId = new Map(rules.map((r) => [r.meta.id, r]));
  const settings = new Map<string, RuleSettings>();
  for (const [id, value] of Object.entries(config.rules ?? {})) {
    const rule = byId.get(id);
    if (!rule) {
      const hint = closest(id, [...byId.keys()]);
      throw new UsageError(`${file}: rules: unknown rule "${id}"${hint ? ` (did you mean "${hint}"?)` : ''}; 'graphlint rules' lists them`);
    }
    const [severity, options] = Array.isArray(value) ? value : [value, undefined];
    settings.set(id, { severity, options: ruleOptions(ajv, rule, options, `${file}: rules["${id}"][1]`) });
  }
  return { file, target: config.target, settings };
}

/** Validates options for a rule and fills defaults; returns the rule's defaults when none given. */
function ruleOptions(ajv: Ajv, rule: Rule<unknown>, options: Record<string, unknown> | undefined, where: string): unknown {
  const merged = { ...(rule.meta.defaultOptions as Record<string, unknown> | undefined), ...(options ?? {}) };
  if (!rule.meta.schema) {
    if (options && Object.keys(options).length > 0) throw new UsageError(`${where}: rule ${rule.meta.id} takes no options`);
    return rule.meta.defaultOptions;
  }
  let validate = optionValidators.get(rule);
  if (!validate) {
    validate = ajv.compile(rule.meta.schema);
    optionValidators.set(rule, validate);
  }
  if (!validate(merged)) throw new UsageError(`${where}: ${describe(validate.errors ?? [], merged)}`);
  return merged;
}

/** The nearest config file upward from `modelPath`'s directory, or null. */
export function findConfig(modelPath: string): string | null {
  let dir = resolve(dirname(modelPath));
  for (;;) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** One line from ajv errors: the first meaningful error, with its key path and what is allowed. */
function describe(errors: readonly ErrorObject[], data: unknown): string {
  const e = errors.find((x) => x.keyword !== 'anyOf') ?? errors[0];
  if (!e) return 'invalid';
  const path = e.instancePath.split('/').slice(1).map((k, i) => (i === 0 ? k : /^\d+$/.test(k) ? `[${k}]` : `["${k}"]`)).join('') || '(top level)';
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(((e.parentSchema as { properties?: object })?.properties) ?? {}).filter((k) => k !== '$schema');
      const hint = closest(extra, allowed);
      return `${path}: unknown key "${extra}"${hint ? ` (did you mean "${hint}"?)` : ''}; allowed: ${allowed.join(', ')}`;
    }
    case 'enum':
      return `${path}: ${JSON.stringify(valueAt(data, e.instancePath))} is not allowed; use one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`;
    default:
      return `${path}: ${e.message ?? 'invalid'}`;
  }
}

function valueAt(data: unknown, pointer: string): unknown {
  let v: unknown = data;
  for (const k of pointer.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[k.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

/** The candidate within edit distance 3 of `word`, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

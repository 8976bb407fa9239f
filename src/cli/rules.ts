import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../../rules/index.js';
import { UsageError } from '../errors.js';
import { closest } from '../engine/config.js';
import type { TargetId } from '../engine/rule.js';
import { PACKAGE_ROOT } from '../version.js';
import type { CliIo } from './main.js';

/** `graphlint rules [--target T]`: one line per rule. */
export function rulesCommand(target: TargetId | undefined, io: CliIo): number {
  const rules = RULES.filter((r) => !target || r.meta.targets.includes(target));
  const width = Math.max(...rules.map((r) => r.meta.id.length), 2);
  io.stdout(`${'id'.padEnd(width)}  ${'targets'.padEnd(14)}  ${'severity'.padEnd(8)}  ${'fixable'.padEnd(7)}  description\n`);
  for (const { meta } of rules) {
    io.stdout(`${meta.id.padEnd(width)}  ${meta.targets.join(',').padEnd(14)}  ${meta.severity.padEnd(8)}  ${(meta.fixable ?? '-').padEnd(7)}  ${meta.description}\n`);
  }
  return 0;
}

/** `graphlint explain <rule-id>`: the rule's doc. */
export function explainCommand(id: string, io: CliIo): number {
  const rule = RULES.find((r) => r.meta.id === id);
  if (!rule) {
    const hint = closest(id, RULES.map((r) => r.meta.id));
    throw new UsageError(`unknown rule "${id}"${hint ? ` (did you mean "${hint}"?)` : ''}; 'graphlint rules' lists them`);
  }
  const doc = join(PACKAGE_ROOT, 'rules', `${id}.md`);
  if (!existsSync(doc)) throw new Error(`invariant: rule ${id} has no doc at ${doc}`);
  io.stdout(readFileSync(doc, 'utf8'));
  return 0;
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import { REPO_ROOT } from './corpus.js';

const SCHEMA = join(REPO_ROOT, '..', 'shared', 'schemas', 'sarif-schema-2.1.0.json');

/** A validator for the OASIS SARIF 2.1.0 schema in ../shared/schemas, or undefined (with a note) when absent. */
export function sarifValidator(): ((log: unknown) => string[]) | undefined {
  if (!existsSync(SCHEMA)) {
    console.warn(`SKIPPED: ${SCHEMA} not found; SARIF schema validation needs ../shared/schemas`);
    return undefined;
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  return (log) => (validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}


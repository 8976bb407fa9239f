import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/corpus.js';

it('proto/*.schema.ts are up to date with proto/*.proto (npm run proto regenerates them)', () => {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'gen-proto.mjs'), '--check'], { encoding: 'utf8' });
  expect(r.stdout).toBe('');
  expect(r.status).toBe(0);
});

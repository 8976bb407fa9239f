import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'graphlint-test-'));
  made.push(d);
  return d;
}

/**
 * Copies a model file or directory to `dest` and makes the copy writable by its owner, as a
 * user does before editing a model taken from a read-only place (the shared corpus is mode
 * 444/555, and graphlint does not replace what nobody may write).
 */
export function copyWritable(src: string, dest: string): void {
  cpSync(src, dest, { recursive: true });
  const visit = (p: string): void => {
    if (!statSync(p).isDirectory()) {
      chmodSync(p, 0o644);
      return;
    }
    chmodSync(p, 0o755);
    for (const name of readdirSync(p)) visit(join(p, name));
  };
  visit(dest);
}

afterEach(() => {
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
});

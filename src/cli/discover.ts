import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type FastGlob from 'fast-glob';
import { isModelPath } from '../formats/index.js';

/** One thing to process: a model path, or an argument that named nothing usable. */
export type Target = { readonly path: string; readonly problem?: string };

const FILE_PATTERNS = ['**/*.onnx', '**/*.mlmodel', '**/*.mil'];
const PACKAGE_PATTERNS = ['**/*.mlpackage', '**/*.mlmodelc'];

/** fast-glob, loaded only when a directory or a pattern is searched: naming files needs none. */
async function glob(): Promise<typeof FastGlob> {
  return (await import('fast-glob')).default;
}

/**
 * Expands the command line's paths: a model file or package as is, a directory that is
 * not itself a model searched for models (packages count as one model; nothing inside
 * them is listed again), a glob expanded. Order: arguments in order, matches sorted.
 */
export async function discover(args: readonly string[]): Promise<Target[]> {
  const out: Target[] = [];
  const seen = new Set<string>();
  const add = (path: string): void => {
    const key = resolve(path);
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path });
    }
  };
  for (const arg of args) {
    let isDir = false;
    let exists = true;
    try {
      isDir = statSync(arg).isDirectory();
    } catch {
      exists = false;
    }
    if (exists && (!isDir || isModelPath(arg))) {
      add(arg);
      continue;
    }
    if (exists && isDir) {
      const found = searchDirectory(await glob(), arg);
      if (found.length === 0) out.push({ path: arg, problem: 'no models found in this directory' });
      found.forEach(add);
      continue;
    }
    const fg = await glob();
    if (fg.isDynamicPattern(arg)) {
      const matches = fg.sync(arg, { onlyFiles: false, markDirectories: false, dot: false }).sort();
      const models = matches.filter((m) => isModelPath(m));
      if (models.length === 0) out.push({ path: arg, problem: 'the pattern matches no models' });
      models.forEach(add);
      continue;
    }
    out.push({ path: arg, problem: 'no such file or directory' });
  }
  return out;
}

function searchDirectory(fg: typeof FastGlob, dir: string): string[] {
  const packages = fg.sync(PACKAGE_PATTERNS, { cwd: dir, onlyDirectories: true, followSymbolicLinks: false })
    .sort();
  const inside = (p: string): boolean => packages.some((pkg) => p.startsWith(`${pkg}/`));
  const outerPackages = packages.filter((p) => !inside(p));
  const files = fg.sync(FILE_PATTERNS, { cwd: dir, onlyFiles: true, followSymbolicLinks: false })
    .filter((f) => !inside(f));
  return [...outerPackages, ...files].sort().map((p) => join(dir, p));
}

import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ModelError } from '../errors.js';

/**
 * Resolves `location` (as a model names it: external data, a weight file, a package item)
 * inside `baseDir`. Refuses absolute paths, `..` escapes, and symbolic links that lead
 * out of `baseDir`, so a model can never make graphlint read or write elsewhere.
 */
export function resolveInside(baseDir: string, location: string, what: string, file: string): string {
  if (location === '' || location.includes('\0')) {
    throw new ModelError(`${what} has an empty or invalid location`, file);
  }
  if (isAbsolute(location) || /^[A-Za-z]:[\\/]/.test(location) || location.startsWith('\\')) {
    throw new ModelError(`${what} location '${location}' is absolute; only paths inside the model's directory are allowed`, file);
  }
  const base = resolve(baseDir);
  const target = resolve(base, location);
  if (!isWithin(base, target)) {
    throw new ModelError(`${what} location '${location}' leaves the model's directory`, file);
  }
  // Follow links: the real path of the target (or of its nearest existing ancestor) must stay inside.
  const realBase = realpathSync(base);
  let probe = target;
  while (!existsSync(probe) && probe !== base) probe = dirname(probe);
  const realProbe = realpathSync(probe);
  if (!isWithin(realBase, realProbe)) {
    throw new ModelError(`${what} location '${location}' leads out of the model's directory through a symbolic link`, file);
  }
  return target;
}

export function isWithin(base: string, target: string): boolean {
  const rel = relative(base, target);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

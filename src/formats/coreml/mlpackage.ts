import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { ModelError, systemReason } from '../../errors.js';
import type { Model } from '../../ir/model.js';
import { resolveInside } from '../paths.js';
import { ByteSource, READ_NONBLOCK } from '../wire/source.js';
import { WeightFiles } from './blob.js';
import { readSpec } from './mlmodel.js';
import type { CoremlOrigin } from './origin.js';

/**
 * .mlpackage: a directory with Manifest.json naming its items; the root item is the model
 * spec (a Model protobuf). ML Program weights are named by the spec (`@model_path/...`,
 * where @model_path is the directory holding the spec) and resolved inside the package.
 */

export interface ManifestItem {
  readonly path: string;
  readonly name: string;
  readonly author: string;
  readonly description: string;
}

export interface Manifest {
  readonly fileFormatVersion: string;
  readonly itemInfoEntries: Readonly<Record<string, ManifestItem>>;
  readonly rootModelIdentifier: string;
}

export interface PackageInfo {
  readonly dir: string;
  /** Manifest.json exactly as read (kept byte for byte when nothing about the items changes). */
  readonly manifestText: Buffer;
  readonly manifest: Manifest;
  /** The root model spec, relative to the package directory (e.g. Data/com.apple.CoreML/model.mlmodel). */
  readonly modelRel: string;
}

/** Manifest.json is small; a larger one is not a manifest. */
const MAX_MANIFEST = 1 << 20;

export function isPackageDir(path: string): boolean {
  return existsSync(join(path, 'Manifest.json'));
}

export function readMlpackage(dir: string): Model {
  const manifestPath = resolveInside(dir, 'Manifest.json', 'Manifest.json', dir);
  const manifestText = readSmallFile(manifestPath, MAX_MANIFEST, 'Manifest.json');
  const manifest = parseManifest(manifestText, manifestPath);
  const root = manifest.itemInfoEntries[manifest.rootModelIdentifier]!;
  if (!existsSync(join(dir, 'Data'))) throw new ModelError('package has no Data directory', dir);
  if (isAbsolute(root.path) || /^[A-Za-z]:[\\/]/.test(root.path)) {
    throw new ModelError(`package item location '${root.path}' is absolute; only paths inside the package are allowed`, manifestPath);
  }
  const modelPath = resolveInside(dir, join('Data', root.path), `package item '${root.path}'`, manifestPath);
  if (!existsSync(modelPath) || !statSync(modelPath).isFile()) {
    throw new ModelError(`the root model '${root.path}' named by Manifest.json is missing`, dir);
  }
  const modelDir = dirname(modelPath);
  const weights = new WeightFiles((name) => {
    const rel = name.startsWith('@model_path/') ? name.slice('@model_path/'.length) : name;
    const inside = resolveInside(modelDir, rel, `weight file '${name}'`, modelPath);
    // Also inside the package itself (the spec's folder is, but say so explicitly).
    return resolveInside(dir, relative(dir, inside), `weight file '${name}'`, modelPath);
  }, modelPath);
  const source = ByteSource.fromFile(modelPath);
  let model: Model;
  try {
    model = readSpec(source, 'mlpackage', dir, weights);
  } catch (e) {
    source.close();
    weights.close();
    throw e;
  }
  const spec = (model.origin as CoremlOrigin).spec;
  model.origin = {
    spec,
    package: { dir, manifestText, manifest, modelRel: relative(dir, modelPath) },
  } satisfies CoremlOrigin;
  return model;
}

export function readSmallFile(path: string, limit: number, what: string): Buffer {
  let fd: number;
  try {
    // Non-blocking: a FIFO in place of the file is refused below, not waited on forever.
    fd = openSync(path, READ_NONBLOCK);
  } catch (e) {
    throw new ModelError(`cannot open ${what}: ${systemReason(e)}`, path);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ModelError(`${what} is not a regular file`, path);
    if (st.size > limit) throw new ModelError(`${what} is ${st.size} bytes; more than ${limit} is not a real ${what}`, path);
    const buf = Buffer.alloc(st.size);
    let done = 0;
    while (done < st.size) {
      const n = readSync(fd, buf, done, st.size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

export function parseManifest(text: Buffer, file: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (e) {
    throw new ModelError(`Manifest.json is not valid JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`, file);
  }
  const fail = (what: string): never => {
    throw new ModelError(`Manifest.json: ${what}`, file);
  };
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail('not a JSON object');
  const m = json as Record<string, unknown>;
  const version = m.fileFormatVersion;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) fail('fileFormatVersion is not major.minor.patch');
  const [major, minor] = (version as string).split('.').map(Number);
  if (major! > 1 || (major === 1 && minor! > 0)) fail(`fileFormatVersion ${version as string} is newer than 1.0.0`);
  const entries = m.itemInfoEntries;
  if (!entries || typeof entries !== 'object' || Array.isArray(entries)) fail('itemInfoEntries is missing');
  for (const [id, item] of Object.entries(entries as object)) {
    const it = item as Record<string, unknown> | null;
    for (const key of ['path', 'name', 'author', 'description']) {
      if (!it || typeof it[key] !== 'string') fail(`item ${id} has no ${key}`);
    }
  }
  const rootId = m.rootModelIdentifier;
  if (typeof rootId !== 'string' || !Object.hasOwn(entries as object, rootId)) fail('rootModelIdentifier names no item');
  return json as Manifest;
}

/**
 * A new manifest (for packages graphlint creates): spec + weights items, keys sorted,
 * 4-space indentation and a final newline, as Core ML's tools write it.
 */
export function newManifest(withWeights: boolean): { text: string; modelPath: string } {
  // Web Crypto, global and loaded on first use: importing node:crypto costs every run start-up.
  const modelId = crypto.randomUUID().toUpperCase();
  const items: Record<string, ManifestItem> = {
    [modelId]: { author: 'com.apple.CoreML', description: 'CoreML Model Specification', name: 'model.mlmodel', path: 'com.apple.CoreML/model.mlmodel' },
  };
  if (withWeights) {
    items[crypto.randomUUID().toUpperCase()] = { author: 'com.apple.CoreML', description: 'CoreML Model Weights', name: 'weights', path: 'com.apple.CoreML/weights' };
  }
  const sorted = Object.fromEntries(Object.keys(items).sort().map((k) => [k, items[k]]));
  const manifest = { fileFormatVersion: '1.0.0', itemInfoEntries: sorted, rootModelIdentifier: modelId };
  return { text: `${JSON.stringify(manifest, null, 4)}\n`, modelPath: 'Data/com.apple.CoreML/model.mlmodel' };
}

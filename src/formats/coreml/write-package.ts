import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ModelError, WriteError, systemReason } from '../../errors.js';
import type { Model } from '../../ir/model.js';
import { copyToNewFile, flushFile, refuseReadOnly, writeAtomically } from '../atomic-write.js';
import { isWithin, resolveInside } from '../paths.js';
import type { Piece } from '../wire/encode.js';
import { BlobAppender } from './blob-writer.js';
import { milToSpec } from './mil-to-proto.js';
import { newManifest, type Manifest } from './mlpackage.js';
import { coremlOrigin, refuseOnnx } from './origin.js';
import { encodeSpec } from './write.js';

/**
 * Writes `model` as an .mlpackage at `dest`.
 *
 * From a package: Manifest.json and every other item are kept byte for byte, the spec is
 * re-emitted (identical when untouched), weight files are copied, and new large
 * constants are appended to the main weight file. From an .mlmodel: a new package with
 * the spec inside. From a compiled model: the spec converted from model.mil, and the
 * bundle's weights/ copied (the same BLOBFILE offsets stay valid).
 *
 * A new package is built in a temporary directory beside `dest` and renamed into place;
 * an existing package at `dest` is replaced only once the new one is complete.
 */

const MAIN_WEIGHTS = '@model_path/weights/weight.bin';

interface Plan {
  /** Files to write, by path relative to the package. */
  readonly files: Map<string, readonly Piece[] | { copy: string }>;
  readonly manifest: string | Buffer;
}

export function writeMlpackage(model: Model, dest: string): void {
  refuseOnnx(model, dest);
  const plan = planPackage(model);
  const origin = coremlOrigin(model);
  const same = origin.package && resolve(origin.package.dir) === resolve(dest);
  if (same) {
    // In place: only what changed is rewritten, each file atomically (a file nobody may
    // write is refused there), in a package directory its owner has not made read-only.
    const st = statSync(dest, { throwIfNoEntry: false });
    if (st) refuseReadOnly(dest, st.mode);
    for (const [rel, content] of plan.files) {
      if ('copy' in content) continue;
      const path = join(dest, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeAtomically(path, content);
    }
    if (Buffer.isBuffer(plan.manifest) && plan.manifest.equals(origin.package!.manifestText)) return;
    writeAtomically(join(dest, 'Manifest.json'), [Buffer.from(plan.manifest)]);
    return;
  }
  const parent = dirname(resolve(dest));
  if (!existsSync(parent)) throw new WriteError(`cannot write ${dest}: directory ${parent} does not exist`, dest);
  let temp: string;
  try {
    temp = mkdtempSync(join(parent, `.${basename(dest)}.graphlint-tmp-`));
  } catch (e) {
    throw asWriteError(e, dest);
  }
  try {
    writeAtomically(join(temp, 'Manifest.json'), [Buffer.from(plan.manifest)]);
    for (const [rel, content] of plan.files) {
      const path = join(temp, rel);
      if (!isWithin(temp, path)) throw new Error(`invariant: package file ${rel} outside the package`);
      mkdirSync(dirname(path), { recursive: true });
      if ('copy' in content) copyToNewFile(content.copy, path);
      else writeAtomically(path, content);
    }
    replaceDirectory(temp, dest, 'Manifest.json');
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw asWriteError(e, dest);
  }
}

/** A file system error while writing `dest` as a WriteError (user errors pass through). */
export function asWriteError(e: unknown, dest: string): unknown {
  if (e instanceof WriteError || e instanceof ModelError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return code ? new WriteError(`cannot write ${dest}: ${systemReason(e)}`, dest) : e;
}

function planPackage(model: Model): Plan {
  const origin = coremlOrigin(model);
  const files = new Map<string, readonly Piece[] | { copy: string }>();
  if (origin.compiled) {
    const { dir, weights } = origin.compiled;
    // The weights directory is the bundle's like every file it names: a link out is refused, not copied from.
    const weightDir = dir ? resolveInside(dir, 'weights', 'the weights directory', dir) : '';
    const found = weightDir === '' ? undefined : statSync(weightDir, { throwIfNoEntry: false });
    if (found && !found.isDirectory()) throw new ModelError("the bundle's 'weights' is not a directory", dir);
    const hasWeights = found !== undefined;
    if (hasWeights) for (const f of listFiles(weightDir)) files.set(join('Data/com.apple.CoreML/weights', relative(weightDir, f)), { copy: f });
    if (!dir) for (const [name, f] of weights.files()) files.set(packagePath(name), { copy: f.path });
    const { text, modelPath } = newManifest(hasWeights || weights.files().size > 0);
    files.set(modelPath, milToSpec(model).pieces);
    return { files, manifest: text };
  }
  const spec = origin.spec;
  if (!spec) throw new WriteError('graphlint can only write Core ML models it has read');
  const pkg = origin.package;
  const used = spec.weights.files();
  const main = used.get(MAIN_WEIGHTS) ?? [...used.values()][0];
  const mainName = [...used].find(([, f]) => f === main)?.[0] ?? MAIN_WEIGHTS;
  const appender = new BlobAppender(mainName, main);
  const specPieces = encodeSpec(model, (t) => appender.place(t)).pieces;
  if (pkg) {
    // The main weight file where it is, or (a program that had none) beside the spec.
    const weightRel = main ? relative(pkg.dir, main.path) : join(dirname(pkg.modelRel), stripModelPath(mainName));
    for (const f of listFiles(pkg.dir)) {
      const rel = relative(pkg.dir, f);
      if (rel !== 'Manifest.json' && rel !== pkg.modelRel) files.set(rel, { copy: f });
    }
    files.set(pkg.modelRel, specPieces);
    if (appender.changed) files.set(weightRel, appender.pieces());
    const manifest = appender.changed && !main && !hasWeightsItem(pkg.manifest) ? withWeightsItem(pkg.manifest) : pkg.manifestText;
    return { files, manifest };
  }
  // An .mlmodel: weight files it names (beside it) come along under the same names.
  for (const [name, f] of used) if (f !== main || !appender.changed) files.set(packagePath(name), { copy: f.path });
  if (appender.changed) files.set(packagePath(mainName), appender.pieces());
  const { text, modelPath } = newManifest(used.size > 0 || appender.changed);
  files.set(modelPath, specPieces);
  return { files, manifest: text };
}

function stripModelPath(name: string): string {
  return name.startsWith('@model_path/') ? name.slice('@model_path/'.length) : name;
}

function packagePath(name: string): string {
  const rel = join('Data/com.apple.CoreML', stripModelPath(name));
  if (!isWithin('Data/com.apple.CoreML', rel)) throw new WriteError(`weight file '${name}' would leave the package`);
  return rel;
}

function hasWeightsItem(m: Manifest): boolean {
  return Object.values(m.itemInfoEntries).some((i) => i.name === 'weights');
}

function withWeightsItem(m: Manifest): string {
  const root = m.itemInfoEntries[m.rootModelIdentifier]!;
  const { text } = newManifest(true);
  const fresh = JSON.parse(text) as Manifest;
  const weights = Object.entries(fresh.itemInfoEntries).find(([, i]) => i.name === 'weights')!;
  const items: Record<string, unknown> = { ...m.itemInfoEntries, [weights[0]]: { ...weights[1], path: join(dirname(root.path), 'weights') } };
  const sorted = Object.fromEntries(Object.keys(items).sort().map((k) => [k, items[k]]));
  return `${JSON.stringify({ ...m, itemInfoEntries: sorted }, null, 4)}\n`;
}

/** Regular files under `dir`, recursively. Links are never followed (they could lead out). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, depth: number): void => {
    if (depth > 32) throw new WriteError(`${d}: directories nested too deeply`, d);
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) visit(p, depth + 1);
      else if (st.isFile()) out.push(p);
    }
  };
  visit(dir, 0);
  return out;
}

/**
 * Moves the finished directory `temp` to `dest`. An existing `dest` must look like the
 * same kind of model (it holds `marker`); it is set aside, replaced, then removed.
 */
export function replaceDirectory(temp: string, dest: string, marker: string): void {
  let st;
  try {
    st = lstatSync(dest); // the link itself, if dest is one: never followed
  } catch {
    renameSync(temp, dest);
    return;
  }
  if (st.isSymbolicLink()) {
    throw new WriteError(`${dest} is a symbolic link; graphlint does not write through links (remove it or choose another name)`, dest);
  }
  if (!st.isDirectory() || !existsSync(join(dest, marker))) {
    throw new WriteError(`${dest} exists and is not a model graphlint would replace`, dest);
  }
  refuseReadOnly(dest, st.mode);
  // Replacing a model: only by files that are on disk (a power loss must not leave neither).
  for (const f of listFiles(temp)) flushFile(f);
  const aside = `${temp}-old`;
  renameSync(dest, aside);
  try {
    renameSync(temp, dest);
  } catch (e) {
    renameSync(aside, dest);
    throw e;
  }
  rmSync(aside, { recursive: true, force: true });
}

import { closeSync, constants, copyFileSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { WriteError, systemReason } from '../errors.js';
import { beginTask } from '../ir/progress.js';
import { isWithin } from './paths.js';
import type { Piece } from './wire/encode.js';
import { ByteSource } from './wire/source.js';

/** Copy chunk for ranges taken from an input file: bounded memory whatever the weight size. */
const COPY_CHUNK = 8 << 20;

/** Test hook: throw after this many bytes have been written (proves the input survives). */
export const writeFaults = { failAfterBytes: Infinity };

/** How many writes flushed their bytes to disk before renaming (tests read it). */
export const writeStats = { flushed: 0 };

/**
 * Refuses to replace a file or model directory nobody may write (no write permission bit).
 * A rename replaces it whatever its permissions (it asks only the parent directory's), and
 * root is never refused: what its owner made read-only is left alone, as a plain write
 * would leave it.
 */
export function refuseReadOnly(path: string, mode: number): void {
  if ((mode & 0o222) === 0) throw new WriteError(`${path} is read-only: graphlint does not replace it (make it writable, or write elsewhere)`, path);
}

/**
 * Writes `pieces` to `path` atomically: into a temporary file beside it, flushed, then
 * renamed over the target. On any failure the temporary file is removed and the target
 * (which may be the very file being read) is untouched. An existing file's permissions
 * are kept, and a file without write permission is refused. A symbolic link at `path` is
 * replaced, never followed.
 *
 * The temporary file is `.<name>.graphlint-tmp-<pid>-<8 hex digits>`. A process killed
 * while writing leaves it behind, never a partial `path`; the next write of the same `path`
 * removes those whose process is gone (see removeStaleTemps). When `path` exists, the new
 * bytes are flushed to disk (fsync) before the rename, so not even a power loss can leave the
 * old file replaced by an incomplete one; a new file is not flushed (as cp does not: that
 * costs as much as the copy, and a power loss then loses nothing the user had).
 */
export function writeAtomically(path: string, pieces: readonly Piece[]): void {
  const dir = dirname(path);
  let mode: number | undefined;
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) throw new WriteError(`${path} is a directory`, path);
    if (st.isFile()) {
      refuseReadOnly(path, st.mode);
      mode = st.mode & 0o7777;
    }
  } catch (e) {
    if (e instanceof WriteError) throw e;
    // No file there yet: the directory must exist.
    try {
      if (!statSync(dir).isDirectory()) throw new Error();
    } catch {
      throw new WriteError(`cannot write ${path}: directory ${dir} does not exist`, path);
    }
  }
  removeStaleTemps(path);
  // Web Crypto, global and loaded on first use: importing node:crypto costs every run start-up.
  const temp = join(dir, `${tempPrefix(path)}${process.pid}-${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', mode ?? 0o666);
  } catch (e) {
    throw new WriteError(`cannot write in ${dir}: ${systemReason(e)}`);
  }
  let total = 0;
  for (const p of pieces) total += p.length;
  const task = beginTask(`writing ${basename(path)}`, total, 'bytes');
  try {
    const whole = wholeFile(pieces);
    if (whole && writeFaults.failAfterBytes === Infinity) {
      // The output is one input file, whole (a model converted unchanged, an external data
      // file copied along): the kernel copies it (copy_file_range), without passing a
      // gigabyte through our memory twice. The copy must create its file (copyToNewFile), so
      // the one made above only tells the mode a new file gets here, and goes; copyFile gives
      // the copy the source's mode, which that one (or the replaced file's) overrides.
      const created = fstatSync(fd).mode & 0o7777;
      closeSync(fd);
      fd = undefined;
      unlinkSync(temp);
      copyToNewFile(whole, temp);
      chmodSync(temp, mode ?? created);
      if (mode !== undefined) flushFile(temp); // replacing a file: only by bytes that are on disk
      task.update(total);
    } else {
      const out = fd;
      let written = 0;
      let scratch: Buffer | undefined;
      const put = (bytes: Uint8Array): void => {
        // The test hook stops exactly at failAfterBytes, even inside one piece (a whole-file copy).
        const n = Math.min(bytes.length, Math.max(0, writeFaults.failAfterBytes - written));
        let off = 0;
        while (off < n) off += writeSync(out, bytes, off, n - off);
        written += n;
        if (n < bytes.length) throw new WriteError('injected write failure');
        task.update(written);
      };
      for (const p of pieces) {
        if (p instanceof Uint8Array) {
          put(p);
          continue;
        }
        // One buffer for every chunk: fresh 8 MiB buffers cost a page fault per 4 KiB.
        if (!scratch || (scratch.length < COPY_CHUNK && scratch.length < p.length)) {
          scratch = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(p.length, 64 * 1024)));
        }
        for (let at = 0; at < p.length; at += scratch.length) {
          put(p.source.readInto(scratch, p.offset + at, Math.min(scratch.length, p.length - at)));
        }
      }
      if (mode !== undefined) flush(out); // replacing a file: only by bytes that are on disk
      closeSync(out);
      fd = undefined;
      if (mode !== undefined) chmodSync(temp, mode);
    }
    renameSync(temp, path);
    task.end();
  } catch (e) {
    task.end();
    // Closed once only: a number closed twice may by then be another file's.
    if (fd !== undefined) try { closeSync(fd); } catch { /* nothing to close */ }
    try { unlinkSync(temp); } catch { /* nothing to remove */ }
    if (e instanceof WriteError) throw e;
    throw new WriteError(`cannot write ${path}: ${(e as Error).message}`, path);
  }
}

/**
 * Copies `src` to `dest`, which must not exist (the copy creates it, or fails). Node's copy
 * without COPYFILE_EXCL empties the destination with ftruncate before copying, and on ext4 a
 * file truncated to zero is written out to disk as soon as it is closed (the filesystem's
 * guard for programs that rewrite files in place): 0.3 s more for a gigabyte, while cp,
 * which creates its file, leaves the writing to the kernel as we want to.
 */
export function copyToNewFile(src: string, dest: string): void {
  copyFileSync(src, dest, constants.COPYFILE_EXCL);
}

/** Flushes a file already written to disk (fsync), as writeAtomically does when it replaces one. */
export function flushFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    flush(fd);
  } finally {
    closeSync(fd);
  }
}

function flush(fd: number): void {
  fsyncSync(fd);
  writeStats.flushed++;
}

/** The file `pieces` are exactly (one range: all of a file-backed source), if they are. */
function wholeFile(pieces: readonly Piece[]): string | undefined {
  if (pieces.length !== 1) return undefined;
  const p = pieces[0]!;
  if (p instanceof Uint8Array || p.source.inMemory || p.offset !== 0 || p.length !== p.source.size || p.length === 0) return undefined;
  // The file must still be what the source read: the same size (a cheap guard; the source holds it open).
  try {
    if (statSync(p.source.name).size !== p.length) return undefined;
  } catch {
    return undefined;
  }
  return p.source.name;
}

const tempPrefix = (path: string): string => `.${basename(path)}.graphlint-tmp-`;

/** A leftover is removed only when this old: a writer on another machine (a shared disk) may have a live pid we cannot see. */
export const STALE_TEMP_MS = 10 * 60_000;

/**
 * Removes temporary files a killed graphlint left beside `path`: named for `path`, written
 * by a process that no longer runs, and untouched for STALE_TEMP_MS. Returns what it removed.
 */
export function removeStaleTemps(path: string): string[] {
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length)) : null;
    if (!m || Number(m[1]) === process.pid || processRuns(Number(m[1]))) continue;
    const p = join(dir, name);
    try {
      const st = lstatSync(p);
      if (!st.isFile() || Date.now() - st.mtimeMs < STALE_TEMP_MS) continue;
      unlinkSync(p);
      removed.push(p);
    } catch {
      /* removed meanwhile, or not ours to remove */
    }
  }
  return removed;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // runs, under another user
  }
}

/**
 * Copies the file `src` to `rel` inside `dir` (a weight or external data file that goes
 * along with a model written elsewhere) the way writeAtomically writes: a temporary file
 * renamed into place, so a link already at the destination is replaced, never followed.
 * Directories on the way are created; one that exists must be a real directory: a link
 * there could lead the copy out of `dir`, and is refused.
 */
export function copyAtomically(src: string, dir: string, rel: string): void {
  const base = resolve(dir);
  const dest = resolve(base, rel);
  if (dest === base || !isWithin(base, dest)) throw new WriteError(`cannot copy ${src}: '${rel}' is not inside ${dir}`, src);
  let at = base;
  for (const part of relative(base, dirname(dest)).split(sep).filter((p) => p !== '')) {
    at = join(at, part);
    let st;
    try {
      st = lstatSync(at);
    } catch {
      mkdirSync(at);
      continue;
    }
    if (!st.isDirectory()) {
      throw new WriteError(`cannot write ${dest}: ${at} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}, and graphlint does not write through links`, dest);
    }
  }
  const source = ByteSource.fromFile(src);
  try {
    writeAtomically(dest, [{ source, offset: 0, length: source.size }]);
  } finally {
    source.close();
  }
}

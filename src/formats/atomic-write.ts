import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, statSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WriteError } from '../errors.js';
import type { Piece } from './wire/encode.js';

/** Copy chunk for ranges taken from an input file: bounded memory whatever the weight size. */
const COPY_CHUNK = 8 << 20;

/** Test hook: throw after this many bytes have been written (proves the input survives). */
export const writeFaults = { failAfterBytes: Infinity };

/**
 * Writes `pieces` to `path` atomically: into a temporary file beside it, flushed, then
 * renamed over the target. On any failure the temporary file is removed and the target
 * (which may be the very file being read) is untouched. An existing file's permissions
 * are kept. A symbolic link at `path` is replaced, never followed.
 */
export function writeAtomically(path: string, pieces: readonly Piece[]): void {
  const dir = dirname(path);
  let mode: number | undefined;
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) throw new WriteError(`${path} is a directory`);
    if (st.isFile()) mode = st.mode & 0o7777;
  } catch (e) {
    if (e instanceof WriteError) throw e;
    // No file there yet: the directory must exist.
    try {
      if (!statSync(dir).isDirectory()) throw new Error();
    } catch {
      throw new WriteError(`cannot write ${path}: directory ${dir} does not exist`);
    }
  }
  const temp = join(dir, `.${basename(path)}.graphlint-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', mode ?? 0o666);
  } catch (e) {
    throw new WriteError(`cannot write in ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    let written = 0;
    const put = (bytes: Uint8Array): void => {
      let off = 0;
      while (off < bytes.length) {
        if (written >= writeFaults.failAfterBytes) throw new WriteError('injected write failure');
        off += writeSync(fd, bytes, off, bytes.length - off);
      }
      written += bytes.length;
    };
    for (const p of pieces) {
      if (p instanceof Uint8Array) {
        put(p);
        continue;
      }
      for (let at = 0; at < p.length; at += COPY_CHUNK) {
        put(p.source.read(p.offset + at, Math.min(COPY_CHUNK, p.length - at)));
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    if (mode !== undefined) chmodSync(temp, mode);
    renameSync(temp, path);
  } catch (e) {
    try { closeSync(fd); } catch { /* already closed */ }
    try { unlinkSync(temp); } catch { /* nothing to remove */ }
    if (e instanceof WriteError) throw e;
    throw new WriteError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

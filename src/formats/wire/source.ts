import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ModelError, systemReason } from '../../errors.js';

/**
 * Random access to the bytes of one file (or an in-memory buffer).
 *
 * Readers never load a whole model: they ask for the windows they decode and skip the
 * payloads (weights) by offset. A file-backed source reads with positioned reads, so
 * memory stays proportional to what is looked at, not to the file size.
 */
export class ByteSource {
  /** Bytes read from files so far, process-wide: lets tests prove weights stay on disk. */
  static bytesReadFromFiles = 0;

  private constructor(
    /** The file this came from, or a label for in-memory bytes. */
    readonly name: string,
    readonly size: number,
    private fd: number | null,
    private readonly memory: Buffer | null,
  ) {}

  static fromFile(path: string): ByteSource {
    let fd: number;
    try {
      // Non-blocking, so a FIFO named like a model is refused below instead of waiting forever for a writer.
      fd = openSync(path, READ_NONBLOCK);
    } catch (e) {
      throw new ModelError(`cannot open: ${systemReason(e)}`, path);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw new ModelError(st.isDirectory() ? 'is a directory, not a file' : 'not a regular file (a device, FIFO or socket)', path);
    }
    return new ByteSource(path, st.size, fd, null);
  }

  static fromBytes(bytes: Uint8Array, name = '<memory>'): ByteSource {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return new ByteSource(name, buf.length, null, buf);
  }

  /** True when the whole content is already in memory (cheap to slice). */
  get inMemory(): boolean {
    return this.memory !== null;
  }

  /**
   * Bytes [offset, offset+length). A view when the source is in memory, a fresh buffer
   * otherwise. Throws a ModelError when the range leaves the file.
   */
  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new ModelError(
        `truncated: needs bytes ${offset}..${offset + length} but the file has ${this.size}`,
        this.name,
      );
    }
    if (this.memory) return this.memory.subarray(offset, offset + length);
    if (this.fd === null) throw new Error(`ByteSource ${this.name} used after close`);
    const out = Buffer.allocUnsafe(length);
    ByteSource.bytesReadFromFiles += length;
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n === 0) throw new ModelError('file shrank while being read', this.name);
      done += n;
    }
    return out;
  }

  /**
   * Reads bytes [offset, offset+length) into `target` (from its start) and returns the view
   * of them. Lets a copy loop reuse one buffer: a fresh buffer per chunk costs a page fault
   * per 4 KiB, which for a gigabyte of weights is most of the time spent.
   */
  readInto(target: Uint8Array, offset: number, length: number): Uint8Array {
    if (length > target.length) throw new Error(`invariant: readInto ${length} bytes into ${target.length}`);
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new ModelError(
        `truncated: needs bytes ${offset}..${offset + length} but the file has ${this.size}`,
        this.name,
      );
    }
    if (this.memory) return this.memory.subarray(offset, offset + length);
    if (this.fd === null) throw new Error(`ByteSource ${this.name} used after close`);
    ByteSource.bytesReadFromFiles += length;
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, target, done, length - done, offset + done);
      if (n === 0) throw new ModelError('file shrank while being read', this.name);
      done += n;
    }
    return target.subarray(0, length);
  }

  /**
   * A window that starts at `offset` and holds at least `min` bytes (fewer only at the end),
   * `size` bytes when the file has them (default 1 MiB).
   */
  window(offset: number, min: number, size = WINDOW): Buffer {
    if (this.memory) return this.memory.subarray(offset);
    const want = Math.min(Math.max(min, size), this.size - offset);
    return this.read(offset, Math.max(0, want));
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

/** Read-only and non-blocking: opening a FIFO returns at once (regular files are unaffected). */
export const READ_NONBLOCK = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Read granularity for file-backed decoding: big enough to amortise syscalls. */
const WINDOW = 1 << 20;

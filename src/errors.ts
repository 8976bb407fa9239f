/**
 * Errors a user can cause. The CLI prints `message` on one line, names the file, and exits 2;
 * anything else that escapes is an internal error (a broken invariant) and is reported as such.
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(message: string, readonly file?: string) {
    super(oneLine(message));
  }
}

/** A write was refused or failed; the input is untouched. */
export class WriteError extends Error {
  override readonly name = 'WriteError';
  /**
   * @param file the file or directory the message names already, when it names one: a caller
   *   reporting the error need not name it again.
   */
  constructor(message: string, readonly file?: string) {
    super(oneLine(message));
  }
}

/**
 * Messages quote names taken from the file, which may hold anything: control characters
 * (a newline would split the one-line message) and bidirectional overrides (which reorder
 * what a terminal shows) are escaped, and a message made huge by a huge name is shortened.
 */
export function oneLine(message: string): string {
  const m = message.replace(/[\u0000-\u001f\u007f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE - 203)} … ${m.slice(-200)}` : m;
}

const MAX_MESSAGE = 2000;

/** Bad arguments or configuration (exit code 2, no model involved). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What the operating system's error codes mean, in words; the code stays for searching. */
const SYSTEM_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links (a loop?)',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EEXIST: 'it exists already',
  EXDEV: 'it is on another file system',
  EIO: 'input/output error',
  EAGAIN: 'it is not ready (a FIFO or device?)',
  ENXIO: 'no reader or device behind it (a FIFO?)',
};

/** A file system error as words a user can act on: `no such file or directory (ENOENT)`. */
export function systemReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return SYSTEM_REASONS[code] ? `${SYSTEM_REASONS[code]} (${code})` : code;
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

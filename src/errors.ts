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
  constructor(message: string) {
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

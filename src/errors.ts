/**
 * Errors a user can cause. The CLI prints `message` on one line, names the file, and exits 2;
 * anything else that escapes is an internal error (a broken invariant) and is reported as such.
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(message: string, readonly file?: string) {
    super(message);
  }
}

/** A write was refused or failed; the input is untouched. */
export class WriteError extends Error {
  override readonly name = 'WriteError';
}

/** Bad arguments or configuration (exit code 2, no model involved). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

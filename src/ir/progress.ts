/**
 * How long work (reading, rules, writing) says how far it got. Library code reports to
 * whatever sink is installed; none is by default, so libraries and tests print nothing.
 * The CLI installs one that draws on standard error when it is a terminal.
 */
export type ProgressUnit = 'bytes' | 'items';

export interface ProgressSink {
  /** A task starts: `total` units (0 when unknown). */
  begin(label: string, total: number, unit: ProgressUnit): void;
  /** `done` units of the current task so far; `note` says what is being done now. */
  update(done: number, note?: string): void;
  /** The current task is over. */
  end(): void;
}

export interface ProgressTask {
  update(done: number, note?: string): void;
  end(): void;
}

const NONE: ProgressTask = { update: () => undefined, end: () => undefined };
let installed: ProgressSink | undefined;

/** Installs (or with undefined removes) the sink tasks report to. */
export function setProgressSink(sink: ProgressSink | undefined): void {
  installed = sink;
}

/** Starts a task. Cheap when no sink is installed: updates then cost one call that does nothing. */
export function beginTask(label: string, total: number, unit: ProgressUnit = 'items'): ProgressTask {
  const sink = installed;
  if (!sink) return NONE;
  sink.begin(label, total, unit);
  return { update: (done, note) => sink.update(done, note), end: () => sink.end() };
}

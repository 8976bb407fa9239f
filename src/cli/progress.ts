import { setProgressSink, type ProgressSink, type ProgressUnit } from '../ir/progress.js';
import { processIo, type CliIo } from './main.js';

/** The stream progress is drawn on: standard error, or a fake terminal in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** A task shorter than this never shows: quick runs print nothing at all. */
const SHOW_AFTER_MS = 400;
/** At most this many redraws a second. */
const REDRAW_MS = 100;

/**
 * Draws the current task on one line of a terminal, redrawn in place and erased when the
 * task ends: "reading model.onnx  42%  420 MB of 1.0 GB". Tasks that end quickly are
 * never drawn.
 */
export class TerminalProgress implements ProgressSink {
  private label = '';
  private total = 0;
  private unit: ProgressUnit = 'items';
  private started = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly stream: ProgressStream, private readonly now: () => number = Date.now) {}

  begin(label: string, total: number, unit: ProgressUnit): void {
    this.clear();
    this.label = label;
    this.total = total;
    this.unit = unit;
    this.started = this.now();
    this.lastDraw = 0;
  }

  update(done: number, note?: string): void {
    const t = this.now();
    if (t - this.started < SHOW_AFTER_MS || t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    const amount = this.unit === 'bytes' ? `${size(done)}${this.total ? ` of ${size(this.total)}` : ''}` : `${done}${this.total ? `/${this.total}` : ''}`;
    const percent = this.total > 0 ? `${String(Math.min(100, Math.floor((100 * done) / this.total))).padStart(3)}%  ` : '';
    let line = `${this.label}  ${percent}${amount}${note ? `  ${note}` : ''}`;
    const width = (this.stream.columns || 80) - 1; // 0 when the terminal does not say
    if (line.length > width) line = `${line.slice(0, Math.max(0, width - 1))}…`;
    this.stream.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }

  end(): void {
    this.clear();
  }

  /** Erases the line if something is drawn on it. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(0)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

/**
 * Shows progress of long work on standard error while a command runs, when standard error
 * is a terminal and the command writes to the process's own streams; otherwise nothing.
 * Returns the function that stops it (and erases the line).
 */
export function showProgress(io: CliIo, stream: ProgressStream = process.stderr): () => void {
  if (io !== processIo || !stream.isTTY) return () => undefined;
  const sink = new TerminalProgress(stream);
  setProgressSink(sink);
  return () => {
    sink.clear();
    setProgressSink(undefined);
  };
}

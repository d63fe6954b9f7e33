import { LiveOutput, newLiveOutput } from '../notebook/display';

/** Formats seconds like Keras: "45s", "1:02", "1:02:03". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Formats metric logs as Keras does: " - loss: 0.1234 - acc: 0.9600". */
export function formatLogs(logs: Record<string, number>): string {
  // Keras lists training metrics before validation ones.
  return Object.entries(logs)
    .sort(([a], [b]) => Number(a.startsWith('val_')) - Number(b.startsWith('val_')))
    .map(([k, v]) => ` - ${k}: ${v.toFixed(4)}`)
    .join('');
}

function bar(done: number, total: number, width = 30): string {
  const filled = Math.min(width, Math.floor((done / total) * width));
  if (filled >= width) return '='.repeat(width);
  return '='.repeat(filled) + '>' + '.'.repeat(width - filled - 1);
}

/**
 * A Keras-like progress line for one epoch. In a notebook it rewrites one output in place (throttled,
 * since every update is a Jupyter message); headless it prints only the finished line, so logs
 * and CI output stay readable.
 */
export class EpochProgress {
  private readonly out: LiveOutput | null;
  private readonly started = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly header: string,
    private readonly steps: number,
    private readonly print: boolean,
  ) {
    this.out = print ? newLiveOutput() : null;
  }

  /** Called after each step with the running averages of the metrics. */
  update(step: number, logs: Record<string, number>): void {
    if (!this.out) return;
    const now = Date.now();
    if (now - this.lastDraw < 500 && step < this.steps) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const eta = (elapsed / step) * (this.steps - step);
    this.out.text(
      `${this.header}\n${this.counter(step)} [${bar(step, this.steps)}] - ETA: ${formatDuration(eta)}${formatLogs(logs)}`,
    );
  }

  /** Draws (or prints) the finished epoch with its final training and validation metrics. */
  finish(logs: Record<string, number>): void {
    if (!this.print) return;
    const elapsed = (Date.now() - this.started) / 1000;
    const perStep = Math.round((elapsed * 1000) / Math.max(1, this.steps));
    const line = `${this.counter(this.steps)} [${bar(1, 1)}] - ${formatDuration(elapsed)} ${perStep}ms/step${formatLogs(logs)}`;
    if (this.out) this.out.text(`${this.header}\n${line}`);
    else console.log(`${this.header} ${line}`);
  }

  private counter(step: number): string {
    const total = String(this.steps);
    return `${String(step).padStart(total.length)}/${total}`;
  }
}

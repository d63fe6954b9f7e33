/**
 * Live training curves for tfjs's model.fit, in the spirit of d2l's Animator: loss and accuracy
 * redraw in place while the model trains, and the final curves stay in the saved notebook.
 */
import * as tf from '@tensorflow/tfjs';
import { randomId } from '../host';
import { inNotebook, LiveBundleOutput, newLiveBundleOutput } from '../notebook/display';
import { RunningMean, stopOnInterrupt } from '../training/callbacks';
import { sideBySideLayout } from './charts';
import { Figure, PlotlyObject } from './figure';
import { chartNeedsLibrary, figureHtml, figureOutput, FigureOutput, figureTitle } from './plotly';

/** Options for liveCurves. */
export interface LiveCurvesOptions {
  /** Chart title (default 'Training curves'). */
  title?: string;
  /** Shortest time between two redraws in milliseconds (default 1000). */
  minIntervalMs?: number;
  /** Training points kept per curve; older ones are thinned to every other point (default 300). */
  maxPoints?: number;
  /** Chart height in pixels (default 360). */
  height?: number;
}

/**
 * Decides when to redraw, by time rather than by batch count, so a fast model is not slowed by
 * chart messages: at most one redraw per `minIntervalMs`, and the gap is at least 20 times what the
 * last redraw took (a big chart spaces redraws out further, keeping their cost under 5%).
 */
export class RedrawThrottle {
  private last = -Infinity;
  private cost = 0;

  constructor(
    private readonly minIntervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when enough time has passed since the last redraw. */
  due(): boolean {
    return this.now() - this.last >= Math.max(this.minIntervalMs, 20 * this.cost);
  }

  /** Records a redraw that started at `startedAt` and has just finished. */
  drew(startedAt: number): void {
    const end = this.now();
    this.cost = Math.max(0, end - startedAt);
    this.last = end;
  }
}

/** One curve: x (epochs, fractional within an epoch) and y. */
export interface Curve {
  x: number[];
  y: number[];
}

/** The keys tfjs logs accuracy under ('acc' for metrics: ['acc'], 'accuracy' for ['accuracy']). */
const ACCURACY_KEYS = ['acc', 'accuracy'];

/**
 * The points behind the live chart. Training values are the running mean of the current epoch
 * (as Keras's progress bar shows them), at x = epochs done + fraction of this epoch; validation
 * values come once per epoch. Long runs are thinned so each redraw stays small.
 */
export class CurveRecorder {
  readonly train: Record<string, Curve> = {};
  readonly validation: Record<string, Curve> = {};
  private epochsDone = 0;
  private batches = 0;
  private running = new RunningMean();
  private stride = 1;

  constructor(private readonly maxPoints = 300) {}

  /** Adds one batch's logs ({ loss, acc, size }) given how many batches an epoch has (if known). */
  batch(logs: Record<string, number>, batchesPerEpoch?: number): void {
    const size = typeof logs.size === 'number' && logs.size > 0 ? logs.size : 1;
    this.batches += 1;
    // A non-finite value (a diverging batch) is left out of its mean rather than turning the curve into NaN.
    const finite = Object.entries(logs).filter(([k, v]) => k !== 'batch' && k !== 'size' && Number.isFinite(v));
    const means = this.running.add({ size, ...Object.fromEntries(finite) });
    if (this.batches % this.stride !== 0) return;
    const fraction = batchesPerEpoch ? Math.min(1, this.batches / batchesPerEpoch) : 0;
    for (const [key, mean] of Object.entries(means)) this.push(this.train, key, this.epochsDone + fraction, mean);
  }

  /** Closes an epoch with its final logs (training means and val_* values). */
  epochEnd(logs: Record<string, number>): void {
    this.epochsDone += 1;
    const x = this.epochsDone;
    for (const [key, value] of Object.entries(logs)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      if (key.startsWith('val_')) this.push(this.validation, key.slice(4), x, value);
      else {
        const curve = this.train[key];
        // The epoch's own value is the exact end point of its running mean.
        if (curve && curve.x[curve.x.length - 1] === x) curve.y[curve.y.length - 1] = value;
        else this.push(this.train, key, x, value);
      }
    }
    this.batches = 0;
    this.running = new RunningMean();
  }

  /** Metrics that have at least one point, loss first, then accuracy. */
  metrics(): string[] {
    const keys = [...new Set([...Object.keys(this.train), ...Object.keys(this.validation)])];
    const rank = (k: string) => (k === 'loss' ? 0 : ACCURACY_KEYS.includes(k) ? 1 : 2);
    return keys.sort((a, b) => rank(a) - rank(b)).slice(0, 2);
  }

  /** The chart: one panel per metric (loss, accuracy), training solid, validation dashed with markers. */
  figure(title: string): Figure {
    const metrics = this.metrics();
    const data: PlotlyObject[] = [];
    metrics.forEach((metric, panel) => {
      const axes = panel === 0 ? {} : { xaxis: 'x2', yaxis: 'y2' };
      const legend = { showlegend: panel === 0 };
      const train = this.train[metric];
      const val = this.validation[metric];
      if (train)
        data.push({
          type: 'scatter',
          mode: 'lines',
          name: 'train',
          x: train.x,
          y: train.y,
          line: { color: '#1f77b4' },
          legendgroup: 'train',
          ...axes,
          ...legend,
        });
      if (val) {
        data.push({
          type: 'scatter',
          mode: 'lines+markers',
          name: 'validation',
          x: val.x,
          y: val.y,
          line: { color: '#ff7f0e', dash: 'dash' },
          legendgroup: 'val',
          ...axes,
          ...legend,
        });
      }
    });
    const axisTitle = (m: string) => ({ title: { text: ACCURACY_KEYS.includes(m) ? 'accuracy' : m } });
    const layout: PlotlyObject =
      metrics.length === 2
        ? sideBySideLayout(
            title,
            [{ title: { text: 'epoch' } }, axisTitle(metrics[0])],
            [{ title: { text: 'epoch' } }, axisTitle(metrics[1])],
          )
        : { title: { text: title }, xaxis: { title: { text: 'epoch' } }, yaxis: axisTitle(metrics[0] ?? 'loss') };
    return { data, layout: { ...layout, showlegend: true } };
  }

  private push(target: Record<string, Curve>, key: string, x: number, y: number): void {
    const curve = (target[key] ??= { x: [], y: [] });
    curve.x.push(x);
    curve.y.push(Number(y.toPrecision(5)));
    if (target === this.train && curve.x.length > this.maxPoints) {
      // Thin every training curve alike, and record half as often from now on.
      for (const c of Object.values(this.train)) {
        c.x = c.x.filter((_, i) => i % 2 === 1 || i === c.x.length - 1);
        c.y = c.y.filter((_, i) => i % 2 === 1 || i === c.y.length - 1);
      }
      this.stride *= 2;
    }
  }
}

/**
 * A tfjs callback that draws loss and accuracy curves (training, and validation when given) and
 * redraws them in place while model.fit runs, at most about once a second:
 *
 *     await model.fit(x, y, { epochs: 5, validationSplit: 0.1, callbacks: [liveCurves()] });
 *
 * Redraws during training send only the interactive chart; when training ends the output is
 * replaced by a full chart (plotly JSON, HTML with a static picture, PNG), so saved notebooks and
 * handouts keep the final curves. Headless (no Jupyter kernel) it records nothing and prints nothing.
 */
export function liveCurves(options: LiveCurvesOptions = {}): tf.CustomCallback {
  const { title = 'Training curves', minIntervalMs = 1000, maxPoints = 300, height = 360 } = options;
  const recorder = new CurveRecorder(maxPoints);
  const throttle = new RedrawThrottle(minIntervalMs);
  let live: boolean | undefined;
  let output: LiveBundleOutput | null = null;
  let carriesLibrary = false;
  let drawn = false;
  const liveKey = randomId(6);

  // Decided at the first callback, not at construction, so a callback built outside a cell is fine.
  const isLive = () => (live ??= inNotebook());

  const draw = (final: boolean) => {
    if (recorder.metrics().length === 0) return;
    if (!output) {
      output = newLiveBundleOutput();
      if (!output) return;
      carriesLibrary = chartNeedsLibrary();
    }
    const started = Date.now();
    const figure = recorder.figure(title);
    // While training the page is live and has plotly (this output's first draw carried it if the
    // page needed it), so the interactive chart is enough; the final draw is what gets saved.
    const { data, pending }: FigureOutput = final
      ? figureOutput(figure, height, { includeLibrary: carriesLibrary, replaces: liveKey })
      : {
          data: {
            'text/html': figureHtml(figure, height, { includeLibrary: carriesLibrary && !drawn, replaces: liveKey }),
            'text/plain': figureTitle(figure),
          },
        };
    output.show(data, pending);
    drawn = true;
    throttle.drew(started);
  };

  const callback: tf.CustomCallback = new tf.CustomCallback({
    onBatchEnd: async (_batch, logs) => {
      checkInterrupt();
      if (!isLive()) return;
      const params = callback.params as { samples?: number; batchSize?: number; steps?: number | null } | undefined;
      const perEpoch =
        params?.steps ??
        (params?.samples && params?.batchSize ? Math.ceil(params.samples / params.batchSize) : undefined);
      recorder.batch((logs ?? {}) as Record<string, number>, perEpoch);
      if (throttle.due()) draw(false);
    },
    onEpochEnd: async (_epoch, logs) => {
      if (!isLive()) return;
      recorder.epochEnd((logs ?? {}) as Record<string, number>);
      if (throttle.due()) draw(false);
    },
    onTrainEnd: async () => {
      if (isLive()) draw(true);
    },
  });
  const checkInterrupt = stopOnInterrupt(callback);
  return callback;
}

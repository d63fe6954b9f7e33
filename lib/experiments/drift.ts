/**
 * Distribution drift, measured: how the inputs of each activation move while a deep network
 * trains, without and with BN (after Ioffe & Szegedy 2015, Figure 1(b, c)).
 */
import * as tf from '@tensorflow/tfjs';
import type { Figure, PlotlyObject } from '../plots/plotly';
import {
  ARM_COLORS, BatchStream, MlpActivation, ModelBuilder, forEachArm, OptimizerName, buildDeepMlp, crossEntropy, gatherRows,
  keepingMovingStats, makeOptimizer, mean, preActivationTaps, quantileSorted, round, trainStep, translucent,
  yieldToEventLoop,
} from './common';

/** Options for measureDrift. */
export interface DriftOptions {
  /** Training images, e.g. loadMnist(...).train.images. */
  x: tf.Tensor;
  /** Float class ids. */
  y: tf.Tensor;
  /** Training steps (mini-batches) per network; default 1000. */
  steps?: number;
  /** Measure every this many steps (and before the first); default 25. */
  probeEvery?: number;
  batchSize?: number;
  /** The fixed probe batch: the first probeSize rows of x (default 256). */
  probeSize?: number;
  /** Default 'sgd', the optimizer of the original paper's MNIST experiment. */
  optimizer?: OptimizerName;
  /** Default 0.5 with SGD (a sigmoid net needs a large step to move at all in a few hundred steps). */
  learningRate?: number;
  /** Hidden layers and units of the default deep MLP (3 × 100, Ioffe & Szegedy's MNIST net). */
  depth?: number;
  units?: number;
  /** Default 'sigmoid': it saturates, so a drifting input distribution is visible and harmful. */
  activation?: MlpActivation;
  /** Initializer and shuffling seed (both arms use the same). */
  seed?: number;
  /** A custom model (with separate Activation layers); defaults to buildDeepMlp. */
  build?: ModelBuilder;
  /** Called after each probe, e.g. for progress. */
  onProbe?: (arm: DriftArm, step: number, loss: number) => void;
}

/** The two arms of every comparison. */
export type DriftArm = 'plain' | 'bn';

/** Summary statistics of one layer's pre-activations over the probe batch (all units pooled). */
export interface LayerSeries {
  name: string;
  mean: number[];
  std: number[];
  p15: number[];
  p50: number[];
  p85: number[];
  /** Per-unit mean and std over the probe batch at each probe ([probe][unit]). */
  unitMean: number[][];
  unitStd: number[][];
}

/** One network's measurements. */
export interface DriftRun {
  arm: DriftArm;
  model: string;
  /** The step at which each probe was taken (0 = before training). */
  steps: number[];
  /** Training-mode loss on the probe batch at each probe. */
  loss: number[];
  /** Inputs of each activation: Dense output without BN, BN output with BN. */
  preActivation: LayerSeries[];
  /** Outputs of the Dense layers (the same as preActivation without BN; before BN with it). */
  linear: LayerSeries[];
  seconds: number;
}

/** What measureDrift returns. */
export interface DriftResult {
  plain: DriftRun;
  bn: DriftRun;
  options: { steps: number; probeEvery: number; batchSize: number; probeSize: number; optimizer: OptimizerName; learningRate: number; activation: MlpActivation; seed: number };
}

function emptySeries(name: string): LayerSeries {
  return { name, mean: [], std: [], p15: [], p50: [], p85: [], unitMean: [], unitStd: [] };
}

/** Appends one probe's statistics of a [batch, units] (or [batch, ..., channels]) activation. */
function addStats(series: LayerSeries, values: Float32Array, units: number): void {
  const n = values.length / units;
  const sorted = Float64Array.from(values).sort();
  const m = mean(values);
  series.mean.push(m);
  series.std.push(Math.sqrt(mean(values.map((v) => (v - m) ** 2))));
  series.p15.push(quantileSorted(sorted, 0.15));
  series.p50.push(quantileSorted(sorted, 0.5));
  series.p85.push(quantileSorted(sorted, 0.85));
  const um = new Array<number>(units).fill(0);
  const us = new Array<number>(units).fill(0);
  for (let i = 0; i < values.length; i++) um[i % units] += values[i] / n;
  for (let i = 0; i < values.length; i++) us[i % units] += (values[i] - um[i % units]) ** 2 / n;
  series.unitMean.push(um);
  series.unitStd.push(us.map(Math.sqrt));
}

async function runArm(arm: DriftArm, model: tf.LayersModel, opts: Required<Omit<DriftOptions, 'build' | 'onProbe' | 'depth' | 'units'>> & Pick<DriftOptions, 'onProbe'>): Promise<DriftRun> {
  const started = Date.now();
  const taps = preActivationTaps(model);
  // A plain net's pre-activation and linear layers coincide; tfjs wants each output once.
  const tapped = [...new Set([...taps.preActivation, ...taps.linear])];
  const where = (l: tf.layers.Layer) => tapped.indexOf(l);
  const probeModel = tf.model({ inputs: model.inputs, outputs: [...tapped.map((l) => l.output as tf.SymbolicTensor), model.outputs[0]] });
  const probeSize = Math.min(opts.probeSize, opts.x.shape[0]);
  const probeX = opts.x.slice(0, probeSize);
  const probeY = opts.y.slice(0, probeSize);
  const k = taps.preActivation.length;
  const run: DriftRun = {
    arm, model: model.name, steps: [], loss: [],
    preActivation: taps.preActivation.map((l) => emptySeries(l.name)),
    linear: taps.linear.map((l) => emptySeries(l.name)),
    seconds: 0,
  };
  const probe = (step: number) => {
    // Training mode, as the next layer sees them during training; the probe must not move BN's moving averages.
    const values = keepingMovingStats(model, () =>
      tf.tidy(() => {
        const outs = probeModel.apply(probeX, { training: true }) as tf.Tensor[];
        const loss = crossEntropy(outs[outs.length - 1], probeY).dataSync()[0];
        return { loss, acts: outs.slice(0, tapped.length).map((t) => ({ data: t.dataSync() as Float32Array, units: t.shape[t.shape.length - 1] as number })) };
      }),
    );
    run.steps.push(step);
    run.loss.push(values.loss);
    for (let i = 0; i < k; i++) {
      const p = values.acts[where(taps.preActivation[i])];
      const l = values.acts[where(taps.linear[i])];
      addStats(run.preActivation[i], p.data, p.units);
      addStats(run.linear[i], l.data, l.units);
    }
    opts.onProbe?.(arm, step, values.loss);
  };
  const optimizer = makeOptimizer(opts.optimizer, opts.learningRate);
  const stream = new BatchStream(opts.x.shape[0], opts.batchSize, opts.seed);
  try {
    probe(0);
    for (let step = 1; step <= opts.steps; step++) {
      const [xb, yb] = gatherRows(opts.x, opts.y, stream.next());
      trainStep(model, optimizer, xb, yb);
      tf.dispose([xb, yb]);
      if (step % opts.probeEvery === 0 || step === opts.steps) {
        probe(step);
        await yieldToEventLoop();
      }
    }
  } finally {
    optimizer.dispose();
    tf.dispose([probeX, probeY]);
  }
  run.seconds = (Date.now() - started) / 1000;
  return run;
}

/**
 * Trains a deep network twice, without and with BN, from the same seed on the same batches, and
 * records every activation's input statistics (mean, std, 15/50/85th percentiles over a fixed
 * probe batch, all units pooled; plus per-unit means and stds) every `probeEvery` steps.
 */
export async function measureDrift(options: DriftOptions): Promise<DriftResult> {
  const opts = {
    steps: 1000, probeEvery: 25, batchSize: 64, probeSize: 256, optimizer: 'sgd' as OptimizerName, learningRate: 0.5,
    activation: 'sigmoid' as MlpActivation, seed: 1, ...options,
  };
  const build: ModelBuilder = options.build ??
    ((batchNorm) => buildDeepMlp({ batchNorm, depth: options.depth ?? 3, units: options.units ?? 100, activation: opts.activation, seed: opts.seed, inputShape: opts.x.shape.slice(1) as number[] }));
  const runs = await forEachArm(build, (arm, model) => runArm(arm, model, opts));
  const { steps, probeEvery, batchSize, probeSize, optimizer, learningRate, activation, seed } = opts;
  return { ...runs, options: { steps, probeEvery, batchSize, probeSize, optimizer, learningRate, activation, seed } };
}

/** How far one layer's input distribution moved from the first probe to the last. */
export interface LayerDrift {
  layer: number;
  /** Mean over units of |μ_end − μ_start|, divided by the layer's initial pooled std: how far a typical unit's centre moved. */
  plainMeanShift: number;
  bnMeanShift: number;
  /** Mean per-unit std at the end over the same at the start: how much each unit's spread grew. */
  plainStdRatio: number;
  bnStdRatio: number;
  /** Mean over probes of the unit-averaged |μ_t − μ_(t−1)| / σ_start: how much the "target" moves between two probes. */
  plainStepShift: number;
  bnStepShift: number;
  /** The pooled 15–85th percentile band at the start and the end. */
  plainBand: [[number, number], [number, number]];
  bnBand: [[number, number], [number, number]];
  /** The same mean shift measured on the Dense output before BN in the BN net. */
  bnLinearMeanShift: number;
}

/** What driftSummary returns: per-layer numbers and plain sentences. */
export interface DriftSummary {
  layers: LayerDrift[];
  /** Probe-batch loss at the end of training. */
  finalLoss: { plain: number; bn: number };
  lines: string[];
}

function shifts(s: LayerSeries): { meanShift: number; stdRatio: number; stepShift: number } {
  const last = s.unitMean.length - 1;
  // In units of the layer's initial (pooled) spread: a deep sigmoid layer's units can start almost
  // constant over the batch, and dividing by their own tiny std would blow the numbers up.
  const sd0 = Math.max(s.std[0], 1e-6);
  const meanShift = mean(s.unitMean[last].map((m, j) => Math.abs(m - s.unitMean[0][j]))) / sd0;
  const stdRatio = mean(s.unitStd[last]) / Math.max(mean(s.unitStd[0]), 1e-6);
  const steps: number[] = [];
  for (let t = 1; t <= last; t++) steps.push(mean(s.unitMean[t].map((m, j) => Math.abs(m - s.unitMean[t - 1][j]))) / sd0);
  return { meanShift, stdRatio, stepShift: steps.length ? mean(steps) : 0 };
}

/** States in numbers what the drift measurement supports, layer by layer. */
export function driftSummary(result: DriftResult): DriftSummary {
  const layers: LayerDrift[] = result.plain.preActivation.map((p, i) => {
    const b = result.bn.preActivation[i];
    const sp = shifts(p);
    const sb = shifts(b);
    const band = (s: LayerSeries): [[number, number], [number, number]] => [
      [round(s.p15[0], 3), round(s.p85[0], 3)], [round(s.p15.at(-1)!, 3), round(s.p85.at(-1)!, 3)],
    ];
    return {
      layer: i + 1,
      plainMeanShift: round(sp.meanShift, 3), bnMeanShift: round(sb.meanShift, 3),
      plainStdRatio: round(sp.stdRatio, 3), bnStdRatio: round(sb.stdRatio, 3),
      plainStepShift: round(sp.stepShift, 4), bnStepShift: round(sb.stepShift, 4),
      plainBand: band(p), bnBand: band(b),
      bnLinearMeanShift: round(shifts(result.bn.linear[i]).meanShift, 3),
    };
  });
  const finalLoss = { plain: round(result.plain.loss.at(-1)!, 4), bn: round(result.bn.loss.at(-1)!, 4) };
  const lines = layers.map((l) =>
    `layer ${l.layer}: unit centres moved ${l.plainMeanShift} initial std (plain) vs ${l.bnMeanShift} (BN; ` +
    `${l.bnLinearMeanShift} before BN); spread ×${l.plainStdRatio} vs ×${l.bnStdRatio}; ` +
    `15–85% band ${fmtBand(l.plainBand)} (plain) vs ${fmtBand(l.bnBand)} (BN)`,
  );
  lines.push(`probe-batch loss after ${result.options.steps} steps: plain ${finalLoss.plain}, BN ${finalLoss.bn}`);
  return { layers, finalLoss, lines };
}

const fmtBand = (b: [[number, number], [number, number]]) => `[${b[0][0]}, ${b[0][1]}] → [${b[1][0]}, ${b[1][1]}]`;

/**
 * Small multiples: one row per layer, plain (left) and BN (right) on a shared y axis per row; a
 * shaded 15–85th percentile band and the median line over training steps.
 */
export function driftFigure(result: DriftResult, title = 'Inputs of each activation during training (15/50/85th percentiles)'): Figure {
  const rows = result.plain.preActivation.length;
  const data: PlotlyObject[] = [];
  const layout: PlotlyObject = {
    title: { text: title },
    grid: { rows, columns: 2, pattern: 'independent', roworder: 'top to bottom', ygap: 0.25 },
    showlegend: true,
    legend: { orientation: 'h', y: -0.08 },
    annotations: [
      { text: 'without BN', x: 0.22, y: 1.0, xref: 'paper', yref: 'paper', yanchor: 'bottom', showarrow: false },
      { text: 'with BN', x: 0.78, y: 1.0, xref: 'paper', yref: 'paper', yanchor: 'bottom', showarrow: false },
    ],
  };
  for (let r = 0; r < rows; r++) {
    (['plain', 'bn'] as const).forEach((arm, c) => {
      const run = result[arm];
      const s = run.preActivation[r];
      const idx = r * 2 + c + 1;
      const ax = { xaxis: `x${idx === 1 ? '' : idx}`, yaxis: `y${idx === 1 ? '' : idx}` };
      const color = ARM_COLORS[arm];
      const legend = r === 0;
      const r3 = (v: number[]) => v.map((x) => round(x, 3));
      data.push({ type: 'scatter', mode: 'lines', x: run.steps, y: r3(s.p15), line: { width: 0 }, hoverinfo: 'skip', showlegend: false, legendgroup: arm, ...ax });
      data.push({
        type: 'scatter', mode: 'lines', x: run.steps, y: r3(s.p85), fill: 'tonexty', fillcolor: translucent(color, 0.25), line: { width: 0 },
        name: `${arm === 'bn' ? 'BN' : 'plain'} 15–85%`, showlegend: legend, legendgroup: arm, ...ax,
      });
      data.push({ type: 'scatter', mode: 'lines', x: run.steps, y: r3(s.p50), line: { color, width: 1.5 }, name: `${arm === 'bn' ? 'BN' : 'plain'} median`, showlegend: legend, legendgroup: `${arm}-m`, ...ax });
      layout[`xaxis${idx === 1 ? '' : idx}`] = { title: r === rows - 1 ? { text: 'step' } : undefined };
      layout[`yaxis${idx === 1 ? '' : idx}`] = c === 0 ? { title: { text: `layer ${r + 1}` } } : { matches: `y${r * 2 + 1 === 1 ? '' : r * 2 + 1}` };
    });
  }
  return { data, layout };
}

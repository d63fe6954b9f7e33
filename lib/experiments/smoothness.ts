/**
 * Smoothness of the loss along the gradient, after Santurkar et al. 2018 (arXiv:1805.11604),
 * Figure 4: at each training step, step along −g by several sizes η and see how much the loss
 * and the gradient change there.
 */
import * as tf from '@tensorflow/tfjs';
import type { Figure, PlotlyObject } from '../plots/plotly';
import { sideBySideLayout } from '../plots/charts';
import {
  ARM_COLORS, BatchStream, MlpActivation, ModelBuilder, forEachArm, OptimizerName, buildDeepMlp, gatherRows, keepingMovingStats,
  makeOptimizer, median, round, trainingLoss, translucent, yieldToEventLoop,
} from './common';

/** What one probe along the gradient found. */
export interface GradientProbe {
  /** The training-mode loss at the current weights. */
  loss: number;
  /** ||g||, the gradient's L2 norm over all trainable weights. */
  gradNorm: number;
  /** The step sizes probed. */
  etas: number[];
  /** L(w − η g) for each η. */
  losses: number[];
  /** ||∇L(w − η g) − g|| for each η. */
  gradDiffs: number[];
}

function globalNorm(tensors: tf.Tensor[]): number {
  return tf.tidy(() => Math.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t)))).dataSync()[0]));
}

/**
 * Computes the gradient g of the training-mode loss on (x, y) at the current weights, then for each
 * η the loss and gradient at w − η g. Leaves the model exactly as it found it: trainable weights
 * and BN's moving statistics are restored. Returns g too when `keepGradient` is set (the caller
 * disposes it), so a training step can reuse it.
 */
export function probeAlongGradient(
  model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, etas: number[], keepGradient = false,
): GradientProbe & { gradient?: tf.NamedTensorMap } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return keepingMovingStats(model, () => {
    const base = tf.variableGrads(() => trainingLoss(model, x, y), vars);
    const names = vars.map((v) => v.name);
    const g = names.map((n) => base.grads[n]);
    const saved = vars.map((v) => v.clone());
    const losses: number[] = [];
    const gradDiffs: number[] = [];
    try {
      for (const eta of etas) {
        vars.forEach((v, i) => {
          const moved = tf.tidy(() => saved[i].sub(g[i].mul(eta)));
          v.assign(moved); // assign copies; the temporary is ours to free
          moved.dispose();
        });
        const moved = tf.variableGrads(() => trainingLoss(model, x, y), vars);
        losses.push(moved.value.dataSync()[0]);
        gradDiffs.push(tf.tidy(() => globalNorm(names.map((n, i) => moved.grads[n].sub(g[i])))));
        tf.dispose([moved.value, ...Object.values(moved.grads)]);
      }
    } finally {
      vars.forEach((v, i) => v.assign(saved[i]));
      tf.dispose(saved);
    }
    const result = { loss: base.value.dataSync()[0], gradNorm: globalNorm(g), etas: [...etas], losses, gradDiffs };
    base.value.dispose();
    if (keepGradient) return { ...result, gradient: base.grads };
    tf.dispose(Object.values(base.grads));
    return result;
  });
}

/** Options for measureSmoothness. */
export interface SmoothnessOptions {
  x: tf.Tensor;
  y: tf.Tensor;
  /** Training steps per network (each is probed); default 200. */
  steps?: number;
  batchSize?: number;
  /** SGD's learning rate for the actual training step; default 0.1. */
  learningRate?: number;
  optimizer?: OptimizerName;
  /** Step sizes along −g (default [0.05, 0.1, 0.2, 0.4]: half to four times the training step). */
  etas?: number[];
  /** The default model: a deep MLP (6 × 100, ReLU). */
  depth?: number;
  units?: number;
  activation?: MlpActivation;
  seed?: number;
  build?: ModelBuilder;
}

/** One network's smoothness series. */
export interface SmoothnessRun {
  arm: 'plain' | 'bn';
  model: string;
  steps: number[];
  /** Training-mode batch loss before each step. */
  loss: number[];
  gradNorm: number[];
  /** Range of L(w − η g) over the step sizes (the loss-landscape band). */
  lossMin: number[];
  lossMax: number[];
  /** Range of ||∇L(w − η g) − g|| over the step sizes (gradient predictiveness). */
  gradDiffMin: number[];
  gradDiffMax: number[];
  /** max over η of ||∇L(w − η g) − g|| / (η ||g||): the paper's "effective β-smoothness". */
  beta: number[];
  seconds: number;
}

/** What measureSmoothness returns. */
export interface SmoothnessResult {
  plain: SmoothnessRun;
  bn: SmoothnessRun;
  options: { steps: number; batchSize: number; learningRate: number; optimizer: OptimizerName; etas: number[]; seed: number };
}

async function runArm(arm: 'plain' | 'bn', model: tf.LayersModel, o: Required<Pick<SmoothnessOptions, 'x' | 'y' | 'steps' | 'batchSize' | 'learningRate' | 'optimizer' | 'etas' | 'seed'>>): Promise<SmoothnessRun> {
  const started = Date.now();
  const run: SmoothnessRun = { arm, model: model.name, steps: [], loss: [], gradNorm: [], lossMin: [], lossMax: [], gradDiffMin: [], gradDiffMax: [], beta: [], seconds: 0 };
  const optimizer = makeOptimizer(o.optimizer, o.learningRate);
  const stream = new BatchStream(o.x.shape[0], o.batchSize, o.seed);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  try {
    for (let step = 1; step <= o.steps; step++) {
      const [xb, yb] = gatherRows(o.x, o.y, stream.next());
      const p = probeAlongGradient(model, xb, yb, o.etas);
      run.steps.push(step);
      run.loss.push(p.loss);
      run.gradNorm.push(p.gradNorm);
      run.lossMin.push(Math.min(...p.losses));
      run.lossMax.push(Math.max(...p.losses));
      run.gradDiffMin.push(Math.min(...p.gradDiffs));
      run.gradDiffMax.push(Math.max(...p.gradDiffs));
      run.beta.push(Math.max(...p.gradDiffs.map((d, i) => d / (p.etas[i] * p.gradNorm || 1))));
      // The real step, in training mode, moving BN's statistics as fit() would.
      const cost = optimizer.minimize(() => trainingLoss(model, xb, yb), false, vars);
      cost?.dispose();
      tf.dispose([xb, yb]);
      if (step % 10 === 0) await yieldToEventLoop();
    }
  } finally {
    optimizer.dispose();
  }
  run.seconds = (Date.now() - started) / 1000;
  return run;
}

/**
 * Trains a network without and with BN (same seed, same batches) and, before every step, probes
 * the loss and gradient along −g at several step sizes (probeAlongGradient).
 */
export async function measureSmoothness(options: SmoothnessOptions): Promise<SmoothnessResult> {
  const o = {
    steps: 200, batchSize: 64, learningRate: 0.1, optimizer: 'sgd' as OptimizerName, etas: [0.05, 0.1, 0.2, 0.4], seed: 1,
    ...options,
  };
  const build: ModelBuilder = options.build ??
    ((batchNorm) => buildDeepMlp({ batchNorm, depth: options.depth ?? 6, units: options.units ?? 100, activation: options.activation ?? 'relu', seed: o.seed, inputShape: o.x.shape.slice(1) as number[] }));
  const runs = await forEachArm(build, (arm, model) => runArm(arm, model, o));
  const { steps, batchSize, learningRate, optimizer, etas, seed } = o;
  return { ...runs, options: { steps, batchSize, learningRate, optimizer, etas, seed } };
}

/** The smoothness measurement in numbers (medians over training steps). */
export interface SmoothnessSummary {
  /** Median over steps of (max − min) loss along the gradient. */
  lossRange: { plain: number; bn: number };
  /** Median over steps of the largest gradient change. */
  gradChange: { plain: number; bn: number };
  /** Median over steps of the effective β-smoothness. */
  beta: { plain: number; bn: number };
  /** Median gradient norm (the gradient change scales with it). */
  gradNorm: { plain: number; bn: number };
  /** Mean batch loss over the last tenth of the steps. */
  finalLoss: { plain: number; bn: number };
  lines: string[];
}

/** States in numbers what the smoothness measurement supports. */
export function smoothnessSummary(result: SmoothnessResult): SmoothnessSummary {
  const pick = (f: (r: SmoothnessRun) => number) => ({ plain: round(f(result.plain), 4), bn: round(f(result.bn), 4) });
  const tail = (xs: number[]) => xs.slice(-Math.max(1, Math.floor(xs.length / 10)));
  const lossRange = pick((r) => median(r.lossMax.map((v, i) => v - r.lossMin[i])));
  const gradChange = pick((r) => median(r.gradDiffMax));
  const beta = pick((r) => median(r.beta));
  const gradNorm = pick((r) => median(r.gradNorm));
  const finalLoss = pick((r) => tail(r.loss).reduce((a, b) => a + b, 0) / tail(r.loss).length);
  const ratio = (p: number, b: number) => (b > 0 ? `${(p / b).toFixed(1)}×` : 'n/a');
  const lines = [
    `loss range along the gradient (median over steps): plain ${lossRange.plain}, BN ${lossRange.bn} (plain/BN ${ratio(lossRange.plain, lossRange.bn)})`,
    `largest gradient change: plain ${gradChange.plain}, BN ${gradChange.bn} (plain/BN ${ratio(gradChange.plain, gradChange.bn)})`,
    `effective β-smoothness: plain ${beta.plain}, BN ${beta.bn}; gradient norm: plain ${gradNorm.plain}, BN ${gradNorm.bn}`,
    `batch loss over the last tenth of ${result.options.steps} steps: plain ${finalLoss.plain}, BN ${finalLoss.bn}`,
  ];
  return { lossRange, gradChange, beta, gradNorm, finalLoss, lines };
}

function band(x: number[], lo: number[], hi: number[], name: string, color: string, axes: PlotlyObject, showlegend: boolean): PlotlyObject[] {
  const r = (v: number[]) => v.map((n) => round(n, 4));
  return [
    { type: 'scatter', mode: 'lines', x, y: r(lo), line: { color, width: 0.5 }, hoverinfo: 'skip', showlegend: false, legendgroup: name, ...axes },
    { type: 'scatter', mode: 'lines', x, y: r(hi), line: { color, width: 0.5 }, fill: 'tonexty', fillcolor: translucent(color, 0.35), name, legendgroup: name, showlegend, ...axes },
  ];
}

/**
 * Santurkar et al.'s Figure 4 (a, b): for each training step, the band between the smallest and
 * largest loss (left) and gradient change (right) along −g, without and with BN.
 */
export function smoothnessFigure(result: SmoothnessResult, title = 'Loss landscape and gradient predictiveness along the gradient'): Figure {
  const data: PlotlyObject[] = [];
  (['plain', 'bn'] as const).forEach((arm) => {
    const run = result[arm];
    const name = arm === 'bn' ? 'with BN' : 'without BN';
    data.push(...band(run.steps, run.lossMin, run.lossMax, name, ARM_COLORS[arm], {}, true));
    data.push(...band(run.steps, run.gradDiffMin, run.gradDiffMax, name, ARM_COLORS[arm], { xaxis: 'x2', yaxis: 'y2' }, false));
  });
  return {
    data,
    layout: {
      ...sideBySideLayout(
        title,
        [{ title: { text: 'training step' } }, { title: { text: 'loss L(w − ηg)' } }],
        [{ title: { text: 'training step' } }, { title: { text: '‖∇L(w − ηg) − g‖' }, type: 'log' }],
      ),
      annotations: [
        { text: 'loss landscape', x: 0.22, y: 1.0, xref: 'paper', yref: 'paper', yanchor: 'bottom', showarrow: false },
        { text: 'gradient predictiveness', x: 0.78, y: 1.0, xref: 'paper', yref: 'paper', yanchor: 'bottom', showarrow: false },
      ],
    },
  };
}

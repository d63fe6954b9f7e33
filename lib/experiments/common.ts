/**
 * Plumbing shared by the "why BN works and where it fails" experiments: a deep MLP builder whose
 * activations are separate layers (so their inputs can be measured), a seeded custom training
 * loop, weight snapshots, and small statistics helpers.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNorm as bnLayer, sequential, softmaxHead } from '../models/blocks';
import { SeedStream } from '../models/seeds';
import { seededPermutation } from '../training/shuffle';

/** Activations the deep MLP can use; sigmoid shows distribution drift best. */
export type MlpActivation = 'sigmoid' | 'tanh' | 'relu';

/** Options for buildDeepMlp. */
export interface DeepMlpOptions {
  /** BN between every hidden Dense layer and its activation (the original paper's placement). */
  batchNorm?: boolean;
  /** Number of hidden layers (default 4). */
  depth?: number;
  /** Units per hidden layer (default 100, as in Ioffe & Szegedy's MNIST experiment). */
  units?: number;
  activation?: MlpActivation;
  /** Input shape without the batch dimension (default MNIST padded to 32×32×1). */
  inputShape?: number[];
  classes?: number;
  /** Initializer seed. */
  seed?: number;
}

/**
 * A deep fully connected classifier: flatten, then `depth` × (Dense → [BN] → activation), then
 * softmax. The activation is a layer of its own, so the value that enters it (the
 * pre-activation) is a layer output a sub-model can expose.
 */
export function buildDeepMlp(options: DeepMlpOptions = {}): tf.Sequential {
  const { batchNorm = false, depth = 4, units = 100, activation = 'sigmoid', inputShape = [32, 32, 1], classes = 10, seed = 1 } = options;
  const seeds = new SeedStream(seed);
  const layers: tf.layers.Layer[] = [tf.layers.flatten({ inputShape })];
  for (let i = 0; i < depth; i++) {
    layers.push(tf.layers.dense({ units, kernelInitializer: seeds.glorotUniform() }));
    if (batchNorm) layers.push(bnLayer());
    layers.push(tf.layers.activation({ activation }));
  }
  layers.push(softmaxHead(classes, seeds));
  return sequential(`deep_mlp_${activation}${batchNorm ? '_bn' : ''}`, layers);
}

/** Builds the model for one arm of an experiment (without or with BN). */
export type ModelBuilder = (batchNorm: boolean) => tf.LayersModel;

/** The two networks every experiment compares: without and with BN. */
export type Arm = 'plain' | 'bn';

/**
 * Builds the plain model and then the BN model, runs `run` on each in turn and disposes each model
 * afterwards, even when `run` throws (one at a time, so two models never hold memory together).
 */
export async function forEachArm<T>(build: ModelBuilder, run: (arm: Arm, model: tf.LayersModel) => Promise<T>): Promise<Record<Arm, T>> {
  const results: Partial<Record<Arm, T>> = {};
  for (const arm of ['plain', 'bn'] as const) {
    const model = build(arm === 'bn');
    try {
      results[arm] = await run(arm, model);
    } finally {
      model.dispose();
    }
  }
  return results as Record<Arm, T>;
}

/** The layers whose outputs enter each separate activation layer, and the Dense layer behind each. */
export interface PreActivationTaps {
  /** The layer feeding each activation layer (Dense in a plain net, BN in a BN net). */
  preActivation: tf.layers.Layer[];
  /** The nearest Dense/Conv2D before each of those (the same layer in a plain net). */
  linear: tf.layers.Layer[];
}

/** Finds the pre-activation layers of a Sequential model whose activations are separate layers. */
export function preActivationTaps(model: tf.LayersModel): PreActivationTaps {
  const preActivation: tf.layers.Layer[] = [];
  const linear: tf.layers.Layer[] = [];
  model.layers.forEach((layer, i) => {
    if (layer.getClassName() !== 'Activation' || i === 0) return;
    preActivation.push(model.layers[i - 1]);
    let j = i - 1;
    while (j > 0 && !['Dense', 'Conv2D'].includes(model.layers[j].getClassName())) j--;
    linear.push(model.layers[j]);
  });
  if (!preActivation.length) {
    throw new Error(`${model.name} has no separate Activation layers, so its pre-activations cannot be tapped; use buildDeepMlp.`);
  }
  return { preActivation, linear };
}

/** Mean sparse categorical cross-entropy of softmax outputs against float class ids. */
export function crossEntropy(probs: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = probs.shape[probs.shape.length - 1] as number;
    const oneHot = tf.oneHot(labels.toInt().flatten(), classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probs, 1e-7, 1))), -1))) as tf.Scalar;
  });
}

/** The training-mode loss of a model on one batch (BN uses the batch's statistics). */
export function trainingLoss(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y);
}

/** Optimizers the experiments can train with. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

/** A fresh tfjs optimizer (momentum means SGD with momentum 0.9). */
export function makeOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  if (name === 'sgd') return tf.train.sgd(learningRate);
  if (name === 'momentum') return tf.train.momentum(learningRate, 0.9);
  if (name === 'adam') return tf.train.adam(learningRate);
  throw new Error(`unknown optimizer '${name}'; use sgd, momentum or adam.`);
}

/**
 * Seeded mini-batches: an endless stream of row indices, reshuffled every epoch with the same
 * seeded permutations fit() uses, so a run is reproducible.
 */
export class BatchStream {
  private epoch = 0;
  private pos = 0;
  private perm: Int32Array;
  constructor(private readonly n: number, private readonly batchSize: number, private readonly seed: number | string) {
    if (n < 1) throw new Error('BatchStream: no training samples.');
    this.perm = seededPermutation(n, `${seed}:0`);
  }
  /** The next batch's rows (a short batch at the end of an epoch, like fit()). */
  next(): Int32Array {
    if (this.pos >= this.n) {
      this.epoch++;
      this.pos = 0;
      this.perm = seededPermutation(this.n, `${this.seed}:${this.epoch}`);
    }
    const rows = this.perm.slice(this.pos, Math.min(this.n, this.pos + this.batchSize));
    this.pos += rows.length;
    return rows;
  }
  /** Epochs completed so far (fractional). */
  get epochs(): number {
    return this.epoch + this.pos / this.n;
  }
}

/** Gathers rows of x and y as new tensors. */
export function gatherRows(x: tf.Tensor, y: tf.Tensor, rows: Int32Array): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const idx = tf.tensor1d(rows, 'int32');
    return [tf.gather(x, idx), tf.gather(y, idx)];
  });
}

/** One SGD/Adam step on a batch in training mode; returns the batch loss before the step. */
export function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, y: tf.Tensor): number {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const cost = optimizer.minimize(() => trainingLoss(model, x, y), true, vars);
  const value = cost ? cost.dataSync()[0] : NaN;
  cost?.dispose();
  return value;
}

/** Copies of every weight (trainable and BN's moving statistics), to put back later. */
export function snapshotWeights(model: tf.LayersModel): tf.Tensor[] {
  return model.weights.map((w) => w.read().clone());
}

/** Writes a snapshot back (the snapshot stays valid; dispose it with tf.dispose when done). */
export function restoreWeights(model: tf.LayersModel, snapshot: tf.Tensor[]): void {
  // write() copies the value into the variable (assign), so the snapshot stays ours.
  model.weights.forEach((w, i) => w.write(snapshot[i]));
}

/** Runs fn, then restores BN's moving statistics (and every other non-trainable weight). */
export function keepingMovingStats<T>(model: tf.LayersModel, fn: () => T): T {
  const saved = model.nonTrainableWeights.map((w) => w.read().clone());
  try {
    return fn();
  } finally {
    model.nonTrainableWeights.forEach((w, i) => w.write(saved[i]));
    tf.dispose(saved);
  }
}

/** Inference-mode accuracy and loss over a dataset, in chunks. */
export function evaluateModel(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, chunk = 500): { loss: number; acc: number } {
  const n = x.shape[0];
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const [l, c] = tf.tidy(() => {
      const xb = x.slice(start, size);
      const yb = y.slice(start, size);
      const probs = model.predict(xb) as tf.Tensor;
      const loss = crossEntropy(probs, yb).mul(size);
      const hits = tf.sum(tf.equal(tf.argMax(probs, -1), yb.toInt()).toFloat());
      return [loss.dataSync()[0], hits.dataSync()[0]];
    });
    lossSum += l;
    correct += c;
  }
  return { loss: lossSum / n, acc: correct / n };
}

/** The q-th quantile (0..1) of sorted values, with linear interpolation (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Mean of numbers. */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Median of numbers. */
export function median(xs: ArrayLike<number>): number {
  return quantileSorted(Float64Array.from(xs as ArrayLike<number>).sort(), 0.5);
}

/** Rounds for records and summaries (keeps figure JSON and recorded values short). */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}

/** Plotly colours for the two arms of every comparison. */
export const ARM_COLORS = { plain: '#1f77b4', bn: '#d62728' } as const;

/** A translucent version of a #rrggbb colour, for bands. */
export function translucent(hex: string, alpha = 0.2): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255},${(v >> 8) & 255},${v & 255},${alpha})`;
}

/** Lets the event loop breathe (live notebook output, Ctrl-C) during long synchronous loops. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The one training loop every experiment notebook shares: optimizer steps on seeded mini-batches,
 * with a measurement (the notebook's own `probe`) taken at chosen steps, collected in one Trace.
 */
import * as tf from '@tensorflow/tfjs';
import { seededPermutation, takeRows } from '../training/shuffle';

/** One run's measurements: the step of each probe and one series per measured quantity. */
export interface Trace {
  /** The run's name in tables and legends, e.g. 'BN' or 'lr 0.1'. */
  label: string;
  /** Steps already taken when each probe ran (0 = before training). */
  steps: number[];
  /** One value per probe for every key the probe returned. */
  series: Record<string, number[]>;
  /** The training loss of every step (length = steps taken). */
  loss: number[];
  seconds: number;
}

/** What a probe sees: the steps taken so far and the batch the next step will train on. */
export type Probe = (step: number, x: tf.Tensor, y: tf.Tensor) => Record<string, number>;

/** Options for trainSteps. */
export interface StepLoopOptions {
  /** Optimizer steps to take. */
  steps: number;
  batchSize: number;
  /** Seed of the batch order: two models trained with the same seed see the same batches. */
  seed: number;
  /** Probe before the first step and then every `every` steps (and after the last); default 1. */
  every?: number;
  probe?: Probe;
  label?: string;
}

/**
 * Seeded mini-batch rows: an endless stream of row indices, reshuffled every epoch, ending each
 * epoch with a short batch as model.fit does.
 */
export class BatchStream {
  private epoch = 0;
  private pos = 0;
  private perm: Int32Array;
  constructor(
    private readonly n: number,
    private readonly batchSize: number,
    private readonly seed: number,
  ) {
    if (!(n >= 1)) throw new Error('BatchStream: no training samples; pass at least one row.');
    if (!(batchSize >= 1)) throw new Error(`BatchStream: batchSize must be at least 1 (got ${batchSize}).`);
    this.perm = seededPermutation(n, `${seed}:0`);
  }

  /** The next batch's row indices. */
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
}

/**
 * Trains a compiled model for `steps` steps with `model.trainOnBatch` (training mode: BN uses the
 * batch statistics and updates its moving ones, as in model.fit) and returns the probes' Trace.
 */
export async function trainSteps(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  options: StepLoopOptions,
): Promise<Trace> {
  const { steps, batchSize, seed, every = 1, probe, label = model.name } = options;
  if (!model.optimizer)
    throw new Error(`trainSteps: compile ${model.name} first (model.compile({ optimizer, loss })).`);
  if (!(every >= 1)) throw new Error(`trainSteps: every must be at least 1 (got ${every}).`);
  const started = Date.now();
  const trace: Trace = { label, steps: [], series: {}, loss: [], seconds: 0 };
  const stream = new BatchStream(x.shape[0], batchSize, seed);
  for (let step = 0; ; step++) {
    const [xb, yb] = takeRows([x, y], stream.next());
    try {
      if (probe && (step % every === 0 || step === steps)) {
        const values = probe(step, xb, yb);
        trace.steps.push(step);
        for (const [key, value] of Object.entries(values)) (trace.series[key] ??= []).push(value);
      }
      if (step === steps) break;
      const loss = await model.trainOnBatch(xb, yb);
      trace.loss.push(Array.isArray(loss) ? loss[0] : loss);
    } finally {
      tf.dispose([xb, yb]);
    }
  }
  trace.seconds = (Date.now() - started) / 1000;
  return trace;
}

/** Runs fn, then puts back BN's moving statistics (every non-trainable weight) as they were. */
export function keepingMovingStats<T>(model: tf.LayersModel, fn: () => T): T {
  const saved = model.nonTrainableWeights.map((w) => w.read().clone());
  try {
    return fn();
  } finally {
    model.nonTrainableWeights.forEach((w, i) => w.write(saved[i]));
    tf.dispose(saved);
  }
}

/** Mean cross-entropy of softmax outputs against float class ids (what 'sparseCategoricalCrossentropy' computes). */
export function crossEntropy(probs: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels.toInt().flatten(), probs.shape[probs.rank - 1] as number);
    // Clipped as Keras clips (epsilon 1e-7), so a confident wrong answer gives a large, finite loss.
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probs, 1e-7, 1))), -1))) as tf.Scalar;
  });
}

/**
 * The training-mode loss on (x, y) and its gradient for each of model.trainableWeights; BN's moving
 * statistics are left as they were. The caller disposes the gradients.
 */
export function lossAndGradients(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
): { loss: number; grads: tf.Tensor[] } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return keepingMovingStats(model, () => {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y),
      vars,
    );
    const loss = value.dataSync()[0];
    value.dispose();
    return { loss, grads: vars.map((v) => grads[v.name]) };
  });
}

/** The L2 norm of several tensors taken as one vector (e.g. a whole gradient). */
export function globalNorm(tensors: tf.Tensor[]): number {
  return tf.tidy(() => Math.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t)))).dataSync()[0]));
}

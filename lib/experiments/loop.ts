/**
 * The one training loop every experiment notebook shares: optimizer steps on seeded mini-batches,
 * with a measurement (the notebook's own `probe`) taken at chosen steps, collected in one Trace.
 */
import * as tf from '@tensorflow/tfjs';
import { takeRows } from '../training/shuffle';

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
  /** Probe before the first step and then every `every` steps (and after the last); default 1. */
  every?: number;
  probe?: Probe;
  label?: string;
}

/**
 * Mini-batch rows shuffled as model.fit shuffles them: one index array, reshuffled in place with
 * tf.util.shuffle (Math.random, which setSeed seeds) at the start of every epoch, each epoch
 * ending with a short batch. After the same setSeed, the same models draw the same batches.
 */
export class BatchStream {
  private pos = 0;
  private readonly perm: Int32Array;
  constructor(
    private readonly n: number,
    private readonly batchSize: number,
  ) {
    if (!(n >= 1)) throw new Error('BatchStream: no training samples; pass at least one row.');
    if (!(batchSize >= 1)) throw new Error(`BatchStream: batchSize must be at least 1 (got ${batchSize}).`);
    this.perm = Int32Array.from({ length: n }, (_, i) => i);
    tf.util.shuffle(this.perm);
  }

  /** The next batch's row indices. */
  next(): Int32Array {
    if (this.pos >= this.n) {
      this.pos = 0;
      tf.util.shuffle(this.perm);
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
  const { steps, batchSize, every = 1, probe, label = model.name } = options;
  if (!model.optimizer)
    throw new Error(`trainSteps: compile ${model.name} first (model.compile({ optimizer, loss })).`);
  if (!(every >= 1)) throw new Error(`trainSteps: every must be at least 1 (got ${every}).`);
  const started = Date.now();
  const trace: Trace = { label, steps: [], series: {}, loss: [], seconds: 0 };
  const stream = new BatchStream(x.shape[0], batchSize);
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

/**
 * The loss the model was compiled with, as model.fit and model.evaluate compute it (mean over the
 * batch), so the experiments' losses are the same numbers Keras-style training reports.
 */
export function compiledLoss(model: tf.LayersModel): (labels: tf.Tensor, probs: tf.Tensor) => tf.Scalar {
  // tf.Sequential keeps its compiled functions on the functional model inside it.
  type Compiled = { lossFunctions?: ((y: tf.Tensor, p: tf.Tensor) => tf.Tensor)[]; model?: Compiled };
  const compiled = model as unknown as Compiled;
  const fns = compiled.model?.lossFunctions ?? compiled.lossFunctions;
  if (!fns?.length)
    throw new Error(`${model.name} has no loss: compile it first (model.compile({ optimizer, loss })).`);
  return (labels, probs) => tf.tidy(() => tf.mean(fns[0](labels, probs)) as tf.Scalar);
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
  const lossOf = compiledLoss(model);
  return keepingMovingStats(model, () => {
    const { value, grads } = tf.variableGrads(() => lossOf(y, model.apply(x, { training: true }) as tf.Tensor), vars);
    const loss = value.dataSync()[0];
    value.dispose();
    return { loss, grads: vars.map((v) => grads[v.name]) };
  });
}

/** The L2 norm of several tensors taken as one vector (e.g. a whole gradient). */
export function globalNorm(tensors: tf.Tensor[]): number {
  return tf.tidy(() => Math.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t)))).dataSync()[0]));
}

import * as tf from '@tensorflow/tfjs';
import { newLiveOutput } from '../notebook/display';
import { EpochProgress, formatDuration, formatLogs } from './progress';
import { seededPermutation, takeRows } from './shuffle';

/** Which labels a classifier is trained on: integer class ids or one-hot rows. */
export type LabelKind = 'sparse' | 'onehot';

/** Options for compileClassifier. */
export interface CompileOptions {
  /** Adam's learning rate (Keras's default is 1e-3). */
  learningRate?: number;
  labels?: LabelKind;
}

/**
 * Compiles a softmax classifier with Adam, cross-entropy and accuracy. With sparse labels tfjs maps
 * 'acc' to sparse categorical accuracy, the metric seed 000 meant to use.
 */
export function compileClassifier(model: tf.LayersModel, options: CompileOptions = {}): void {
  const { learningRate = 1e-3, labels = 'sparse' } = options;
  model.compile({
    optimizer: tf.train.adam(learningRate),
    loss: labels === 'sparse' ? 'sparseCategoricalCrossentropy' : 'categoricalCrossentropy',
    metrics: ['acc'],
  });
}

/**
 * Keras's progress bar shows each metric averaged over the epoch so far, weighted by batch size;
 * tfjs's onBatchEnd reports only the last batch (plus its index and size).
 */
export class RunningMean {
  private readonly sums: Record<string, number> = {};
  private seen = 0;
  add(logs: Record<string, number>): Record<string, number> {
    const { batch: _batch, size = 1, ...metrics } = logs;
    this.seen += size;
    const means: Record<string, number> = {};
    for (const [key, value] of Object.entries(metrics)) {
      this.sums[key] = (this.sums[key] ?? 0) + value * size;
      means[key] = this.sums[key] / this.seen;
    }
    return means;
  }
}

/** Options for fit, mirroring Keras's model.fit where they overlap. */
export interface FitOptions {
  epochs: number;
  batchSize?: number;
  /** Held-out data evaluated after every epoch. */
  validationData?: [tf.Tensor, tf.Tensor];
  /** Like Keras: the LAST fraction of the samples (before shuffling) becomes validation data. */
  validationSplit?: number;
  /** Reshuffle the training samples every epoch with a seeded permutation. */
  shuffle?: boolean;
  seed?: number;
  /**
   * 1: a Keras progress bar per epoch; 2: one line per epoch without a bar (in a notebook a single
   * line rewritten in place, so 1000 epochs do not flood the output); 0: silent.
   */
  verbose?: 0 | 1 | 2;
  /** Printed before each epoch's progress line, e.g. the model's name. */
  label?: string;
  /** Called after every epoch with its logs, e.g. to update a live chart. */
  onEpochEnd?: (epoch: number, logs: Record<string, number>) => void | Promise<void>;
}

/** What fit returns: Keras's History shape plus the wall time. */
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
  seconds: number;
}

function splitTail(x: tf.Tensor, y: tf.Tensor, fraction: number): { train: [tf.Tensor, tf.Tensor]; val: [tf.Tensor, tf.Tensor] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`validationSplit must be between 0 and 1 (got ${fraction}).`);
  const n = x.shape[0];
  const nTrain = Math.floor(n * (1 - fraction));
  const rows = (t: tf.Tensor, start: number, size: number) => t.slice(start, size);
  return {
    train: [rows(x, 0, nTrain), rows(y, 0, nTrain)],
    val: [rows(x, nTrain, n - nTrain), rows(y, nTrain, n - nTrain)],
  };
}

/**
 * Trains like Keras's model.fit, but reproducibly: each epoch's order comes from a seeded
 * permutation instead of Math.random, and progress shows as a Keras-style bar.
 */
export async function fit(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: FitOptions): Promise<History> {
  const { epochs, batchSize = 32, shuffle = true, seed = 1, verbose = 1, label } = options;
  if (x.shape[0] !== y.shape[0]) {
    throw new Error(`fit: x has ${x.shape[0]} samples but y has ${y.shape[0]}; they must match.`);
  }
  const owned: tf.Tensor[] = [];
  let trainX = x;
  let trainY = y;
  let validation = options.validationData;
  if (options.validationSplit) {
    const split = splitTail(x, y, options.validationSplit);
    [trainX, trainY] = split.train;
    validation = split.val;
    owned.push(...split.train, ...split.val);
  }
  const n = trainX.shape[0];
  const steps = Math.ceil(n / batchSize);
  const history: History = { epoch: [], history: {}, seconds: 0 };
  const started = Date.now();
  const summaryLine = verbose === 2 ? newLiveOutput() : null;
  const printEvery = Math.max(1, Math.round(epochs / 10));
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const [ex, ey] = shuffle ? takeRows([trainX, trainY], seededPermutation(n, `${seed}:${epoch}`)) : [trainX, trainY];
      const header = `${label ? `[${label}] ` : ''}Epoch ${epoch + 1}/${epochs}`;
      const progress = new EpochProgress(header, steps, verbose === 1);
      let step = 0;
      const running = new RunningMean();
      const result = await model.fit(ex, ey, {
        epochs: 1,
        batchSize,
        shuffle: false,
        validationData: validation,
        verbose: 0,
        yieldEvery: 'never',
        callbacks: {
          onBatchEnd: async (_batch, logs) => progress.update(++step, running.add((logs ?? {}) as Record<string, number>)),
        },
      });
      if (shuffle) tf.dispose([ex, ey]);
      const logs: Record<string, number> = {};
      for (const [key, values] of Object.entries(result.history)) {
        logs[key] = values[0] as number;
        (history.history[key] ??= []).push(logs[key]);
      }
      history.epoch.push(epoch);
      progress.finish(logs);
      if (verbose === 2) {
        const text = `${header} - ${formatDuration((Date.now() - started) / 1000)}${formatLogs(logs)}`;
        if (summaryLine) summaryLine.text(text);
        else if ((epoch + 1) % printEvery === 0 || epoch === epochs - 1) console.log(text);
      }
      await options.onEpochEnd?.(epoch, logs);
    }
  } finally {
    tf.dispose(owned);
  }
  history.seconds = (Date.now() - started) / 1000;
  if (verbose > 0) console.log(`${label ? `[${label}] ` : ''}trained ${epochs} epoch(s) in ${formatDuration(history.seconds)}`);
  return history;
}

/** Test loss and accuracy, as Keras's model.evaluate returns them. */
export interface Evaluation {
  loss: number;
  acc: number;
}

/** Evaluates a compiled classifier and returns plain numbers. */
export function evaluate(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, batchSize = 32): Evaluation {
  const out = model.evaluate(x, y, { batchSize }) as tf.Scalar[];
  const [loss, acc] = out.map((t) => t.dataSync()[0]);
  tf.dispose(out);
  return { loss, acc };
}

/** Class probabilities for one input (batch of one), as a plain array. */
export function predictProbabilities(model: tf.LayersModel, input: tf.Tensor): number[] {
  return tf.tidy(() => Array.from((model.predict(input) as tf.Tensor).dataSync()));
}

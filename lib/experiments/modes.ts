/**
 * Training mode vs inference mode of batch normalization: what changes when a BN model normalizes
 * with the current batch's statistics instead of its moving averages, and how fast those moving
 * averages catch up with the data for different momenta.
 */
import * as tf from '@tensorflow/tfjs';
import type { LabeledImages } from '../data/mnist';
import type { Figure, PlotlyObject } from '../plots/plotly';
import { sideBySideLayout } from '../plots/charts';
import { seededPermutation } from '../training/shuffle';
import { buildNormMlp } from '../layers/small-batch';

const isNormLayer = (l: tf.layers.Layer) => ['BatchNormalization', 'BatchRenormalization'].includes(l.getClassName());

/**
 * Class probabilities computed in training mode (each chunk of `batchSize` rows, in the given
 * order, normalized with its own mean and variance), the way model.apply(x, { training: true })
 * does it. Training mode also updates the moving statistics (and would switch on dropout); they
 * are restored afterwards, so the model is left exactly as it was.
 */
export function predictWithBatchStatistics(model: tf.LayersModel, x: tf.Tensor, batchSize: number, order?: Int32Array): tf.Tensor2D {
  const saved = model.nonTrainableWeights.map((w) => w.read().clone());
  try {
    return tf.tidy(() => {
      const n = x.shape[0];
      const rows = order ?? Int32Array.from({ length: n }, (_, i) => i);
      const parts: tf.Tensor[] = [];
      for (let start = 0; start < n; start += batchSize) {
        const idx = tf.tensor1d(rows.slice(start, Math.min(n, start + batchSize)), 'int32');
        parts.push(model.apply(tf.gather(x, idx), { training: true }) as tf.Tensor);
      }
      // Back in the original row order.
      const probs = tf.concat(parts, 0);
      const inverse = new Int32Array(n);
      rows.forEach((r, i) => { inverse[r] = i; });
      return tf.gather(probs, tf.tensor1d(inverse, 'int32')) as tf.Tensor2D;
    });
  } finally {
    model.nonTrainableWeights.forEach((w, i) => w.write(saved[i]));
  }
}

function accuracy(probs: tf.Tensor, labels: tf.Tensor): number {
  return tf.tidy(() => tf.mean(tf.equal(tf.argMax(probs, -1), labels.toInt()).toFloat()).dataSync()[0]);
}

/** Options for compareModes. */
export interface ModesOptions {
  /** Batch sizes for the training-mode predictions (default [1, 2, 8, 32, 256]). */
  batchSizes?: number[];
  /** Seed of the shuffled ("mixed") batch order. */
  seed?: number;
}

/** Accuracy with batch statistics at one batch size. */
export interface BatchModeRow {
  batchSize: number;
  /** Shuffled batches: every batch holds a mix of classes. */
  mixedAcc: number;
  /** Batches sorted by label: (almost) every batch holds one class only. */
  oneClassAcc: number;
  /** Fraction of test images whose predicted class is the same as in inference mode (mixed batches). */
  agreement: number;
}

/** What compareModes returns. */
export interface ModesResult {
  /** Proper inference: moving statistics (model.predict). */
  inferenceAcc: number;
  rows: BatchModeRow[];
  batchSizes: number[];
}

/**
 * Compares a trained BN model's test accuracy in inference mode with its accuracy in training
 * mode (batch statistics) for several batch sizes, in shuffled batches and in one-class batches.
 * The model's weights and moving statistics are unchanged afterwards.
 */
export function compareModes(model: tf.LayersModel, test: LabeledImages, options: ModesOptions = {}): ModesResult {
  const { batchSizes = [1, 2, 8, 32, 256], seed = 1 } = options;
  const n = test.images.shape[0];
  const inference = tf.tidy(() => model.predict(test.images, { batchSize: 256 }) as tf.Tensor);
  const inferenceAcc = accuracy(inference, test.labels);
  const predicted = tf.tidy(() => tf.argMax(inference, -1));
  const mixed = seededPermutation(n, `modes:${seed}`);
  const byLabel = Int32Array.from([...Array(n).keys()].sort((a, b) => test.labelBytes[a] - test.labelBytes[b] || a - b));
  const rows = batchSizes.map((batchSize) => {
    const pm = predictWithBatchStatistics(model, test.images, batchSize, mixed);
    const po = predictWithBatchStatistics(model, test.images, batchSize, byLabel);
    const agreement = tf.tidy(() => tf.mean(tf.equal(tf.argMax(pm, -1), predicted).toFloat()).dataSync()[0]);
    const row = { batchSize, mixedAcc: accuracy(pm, test.labels), oneClassAcc: accuracy(po, test.labels), agreement };
    tf.dispose([pm, po]);
    return row;
  });
  tf.dispose([inference, predicted]);
  return { inferenceAcc, rows, batchSizes };
}

/** Accuracy against batch size: training mode in mixed and one-class batches, inference mode as a line. */
export function modesFigure(result: ModesResult, title = 'Training mode (batch statistics) vs inference mode'): Figure {
  const xs = result.batchSizes;
  const labels = xs.map(String);
  return {
    data: [
      { type: 'scatter', mode: 'lines+markers', name: 'training mode, mixed batches', x: labels, y: result.rows.map((r) => r.mixedAcc), line: { color: '#1f77b4' } },
      { type: 'scatter', mode: 'lines+markers', name: 'training mode, one-class batches', x: labels, y: result.rows.map((r) => r.oneClassAcc), line: { color: '#d62728' } },
      { type: 'scatter', mode: 'lines', name: 'inference mode (moving statistics)', x: labels, y: xs.map(() => result.inferenceAcc), line: { color: 'black', dash: 'dash' } },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: 'batch size used for the batch statistics' }, type: 'category' },
      yaxis: { title: { text: 'test accuracy' }, range: [0, 1.02] },
    },
  };
}

/** Options for trackMovingMean. */
export interface MovingMeanOptions {
  /** BN momenta to compare (default [0.9, 0.99, 0.999]). */
  momenta?: number[];
  /** Training steps (default 300). */
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  /** Record the true mean and test accuracy every this many steps (default 10). */
  every?: number;
  /** Training images over which the "true" mean is computed (default 1000). */
  referenceCount?: number;
  hidden?: number[];
  seed?: number;
}

/** What trackMovingMean returns. */
export interface MovingMeanResult {
  momenta: number[];
  /** The BN unit (of the first BN layer) that is traced. */
  unit: number;
  /** Steps at which everything below was recorded (0 = before training). */
  steps: number[];
  /** That unit's input mean over the reference images, with the weights of that step. */
  trueMean: number[];
  /** Its moving mean, per momentum. */
  movingMean: number[][];
  /** Mean |moving mean − true mean| over all units of the layer, per momentum. */
  meanGap: number[][];
  /** Inference-mode test accuracy, per momentum. */
  testAcc: number[][];
  /** Largest difference between the models' Dense weights at the end (0: momentum did not change training). */
  weightDifference: number;
}

/**
 * Trains one BN MLP per momentum from the same seed on the same batches (Keras's trainOnBatch)
 * and records how the first BN layer's moving mean follows the true mean of its input. In
 * training mode BN uses only batch statistics, so the models' weights stay identical: only
 * their moving statistics, and so their inference-mode accuracy, differ.
 */
export async function trackMovingMean(data: { train: LabeledImages; test: LabeledImages }, options: MovingMeanOptions = {}): Promise<MovingMeanResult> {
  const { momenta = [0.9, 0.99, 0.999], steps = 300, batchSize = 32, learningRate = 1e-3, every = 10, referenceCount = 1000, hidden = [100, 100], seed = 1 } = options;
  const n = data.train.images.shape[0];
  const inputShape = data.train.images.shape.slice(1);
  const models = momenta.map((momentum) => {
    const m = buildNormMlp({ normalization: 'batch', momentum, hidden, inputShape, seed });
    m.compile({ optimizer: tf.train.adam(learningRate), loss: 'sparseCategoricalCrossentropy' });
    return m;
  });
  const bnOf = (m: tf.LayersModel) => m.layers.find(isNormLayer)!;
  const probe = tf.model({ inputs: models[0].inputs, outputs: bnOf(models[0]).input as tf.SymbolicTensor });
  const reference = data.train.images.slice(0, Math.min(n, referenceCount));
  const trueMeans = () => tf.tidy(() => Array.from(tf.mean(probe.predict(reference) as tf.Tensor, 0).dataSync()));
  const movingMeans = (m: tf.LayersModel) => Array.from(bnOf(m).getWeights()[2].dataSync());
  const testSlice = data.test;

  const first = trueMeans();
  const unit = first.reduce((best, v, j) => (Math.abs(v) > Math.abs(first[best]) ? j : best), 0);
  const result: MovingMeanResult = {
    momenta, unit, steps: [], trueMean: [], movingMean: momenta.map(() => []), meanGap: momenta.map(() => []), testAcc: momenta.map(() => []),
    weightDifference: 0,
  };
  const recordStep = (step: number) => {
    const truth = trueMeans();
    result.steps.push(step);
    result.trueMean.push(truth[unit]);
    models.forEach((m, i) => {
      const mm = movingMeans(m);
      result.movingMean[i].push(mm[unit]);
      result.meanGap[i].push(mm.reduce((s, v, j) => s + Math.abs(v - truth[j]), 0) / mm.length);
      const probs = tf.tidy(() => m.predict(testSlice.images, { batchSize: 256 }) as tf.Tensor);
      result.testAcc[i].push(accuracy(probs, testSlice.labels));
      probs.dispose();
    });
  };

  try {
    recordStep(0);
    let perm = seededPermutation(n, `${seed}:0`);
    let pos = 0;
    for (let step = 1; step <= steps; step++) {
      if (pos + batchSize > n) {
        perm = seededPermutation(n, `${seed}:${step}`);
        pos = 0;
      }
      const idx = tf.tensor1d(perm.slice(pos, pos + batchSize), 'int32');
      pos += batchSize;
      const xb = tf.gather(data.train.images, idx);
      const yb = tf.gather(data.train.labels, idx);
      for (const m of models) await m.trainOnBatch(xb, yb);
      tf.dispose([idx, xb, yb]);
      if (step % every === 0 || step === steps) recordStep(step);
    }
    const kernels = models.map((m) => m.layers.find((l) => l.getClassName() === 'Dense')!.getWeights()[0]);
    result.weightDifference = Math.max(0, ...kernels.slice(1).map((k) => tf.tidy(() => tf.max(tf.abs(tf.sub(k, kernels[0]))).dataSync()[0])));
  } finally {
    reference.dispose();
    models.forEach((m) => m.dispose());
  }
  return result;
}

const MOMENTUM_COLORS = ['#2ca02c', '#1f77b4', '#d62728', '#9467bd', '#ff7f0e'];

/**
 * Two panels: the traced unit's moving mean per momentum with the true mean (dashed), and each
 * model's inference-mode test accuracy over the same steps.
 */
export function movingMeanFigure(result: MovingMeanResult, title = 'Moving mean vs true mean, by BN momentum'): Figure {
  const data: PlotlyObject[] = [
    { type: 'scatter', mode: 'lines', name: 'true mean', x: result.steps, y: result.trueMean, line: { color: 'black', dash: 'dash' } },
  ];
  result.momenta.forEach((m, i) => {
    const color = MOMENTUM_COLORS[i % MOMENTUM_COLORS.length];
    data.push({ type: 'scatter', mode: 'lines', name: `momentum ${m}`, legendgroup: String(m), x: result.steps, y: result.movingMean[i], line: { color } });
    data.push({ type: 'scatter', mode: 'lines', name: `momentum ${m}`, legendgroup: String(m), showlegend: false, x: result.steps, y: result.testAcc[i], xaxis: 'x2', yaxis: 'y2', line: { color } });
  });
  return {
    data,
    layout: {
      ...sideBySideLayout(
        title,
        [{ title: { text: 'training step' } }, { title: { text: `BN input mean, unit ${result.unit}` } }],
        [{ title: { text: 'training step' } }, { title: { text: 'test accuracy (inference mode)' }, range: [0, 1] }],
      ),
    },
  };
}

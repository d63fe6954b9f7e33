/**
 * Batch normalization vs batch renormalization at small batch sizes: the same seeded MLP,
 * the same number of training samples, only the normalization layer and the batch size differ.
 */
import * as tf from '@tensorflow/tfjs';
import { SeedStream } from '../models/seeds';
import { compileClassifier, evaluate, fit } from '../training/fit';
import type { Figure } from '../plots/plotly';
import type { LabeledImages } from '../data/mnist';
import { BatchRenormalization, BatchRenormalizationArgs, renormClipping } from './batch-renorm';

/** Which normalization layer a model uses. */
export type Normalization = 'batch' | 'renorm';

/** Options for buildNormMlp. */
export interface NormMlpOptions {
  normalization?: Normalization;
  /** Hidden layer sizes (default [100, 100]). */
  hidden?: number[];
  /** Input shape without the batch axis (default MNIST padded to 32×32×1). */
  inputShape?: number[];
  classes?: number;
  /** Moving-average momentum of every BN/renorm layer (default 0.99, Keras's). */
  momentum?: number;
  /** Renorm's clipping bounds and warm-up (only with normalization 'renorm'). */
  renorm?: BatchRenormalizationArgs;
  seed?: number;
}

/**
 * A small MLP: flatten, then (Dense → BN or renorm → ReLU) per hidden layer, softmax. BN sits
 * before the activation, as in Ioffe & Szegedy's MNIST experiment. The same seed gives the same
 * initial Dense weights whichever normalization is chosen.
 */
export function buildNormMlp(options: NormMlpOptions = {}): tf.Sequential {
  const { normalization = 'batch', hidden = [100, 100], inputShape = [32, 32, 1], classes = 10, momentum = 0.99, renorm = {}, seed = 1 } = options;
  const seeds = new SeedStream(seed);
  const model = tf.sequential({ name: `mlp_${normalization}` });
  model.add(tf.layers.flatten({ inputShape }));
  for (const units of hidden) {
    model.add(tf.layers.dense({ units, kernelInitializer: seeds.glorotUniform() }));
    model.add(normalization === 'renorm'
      ? new BatchRenormalization({ momentum, ...renorm })
      : tf.layers.batchNormalization({ momentum }));
    model.add(tf.layers.activation({ activation: 'relu' }));
  }
  model.add(tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: seeds.glorotUniform() }));
  return model;
}

/**
 * A copy of a Sequential model with every BatchNormalization replaced by BatchRenormalization
 * (same momentum and epsilon, plus `config`) and every weight copied, so both start from the same
 * point. Works for any of the project's Sequential builders, e.g.
 * withBatchRenorm(buildSmallCifarCnn({ seed }), { rmax: 3, dmax: 5, ... }).
 */
export function withBatchRenorm(model: tf.Sequential, config: BatchRenormalizationArgs = {}): tf.Sequential {
  const registry = tf.serialization.SerializationMap.getMap().classNameMap;
  const copy = tf.sequential({ name: `${model.name}_renorm` });
  for (const layer of model.layers) {
    const c = layer.getConfig();
    if (layer.getClassName() === 'BatchNormalization') {
      if (c.center === false || c.scale === false || (c.axis !== -1 && c.axis !== (layer.inputSpec?.[0]?.ndim ?? 0) - 1)) {
        throw new Error(`withBatchRenorm: ${layer.name} normalizes another axis or has no gamma/beta; not supported.`);
      }
      const { name, batchInputShape } = c as { name: string; batchInputShape?: tf.Shape };
      copy.add(new BatchRenormalization({ name, batchInputShape, momentum: c.momentum as number, epsilon: c.epsilon as number, ...config }));
    } else {
      const [cls, fromConfig] = registry[layer.getClassName()];
      copy.add(fromConfig(cls, c) as tf.layers.Layer);
    }
  }
  copy.layers.forEach((layer, i) => {
    const weights = model.layers[i].getWeights();
    layer.setWeights(layer instanceof BatchRenormalization ? [...weights, tf.zeros([1])] : weights);
  });
  return copy;
}

/** Options for compareSmallBatches. */
export interface SmallBatchOptions {
  /** Batch sizes to compare (default [2, 4, 8, 32]). */
  batchSizes?: number[];
  /** Training samples each run sees, whatever its batch size (default: one pass over the data). */
  samples?: number;
  /** Adam's learning rate (default 1e-3). */
  learningRate?: number;
  /** Moving-average momentum for both BN and renorm (default 0.9, short runs need a short memory). */
  momentum?: number;
  /** Final renorm clipping bounds (default the paper's 3 and 5). */
  rmax?: number;
  dmax?: number;
  /**
   * Renorm warm-up as fractions of each run's steps (runs with small batches take more steps):
   * plain BN until `start`, rmax final at `rmaxEnd`, dmax final at `dmaxEnd`. Default
   * 0.05 / 0.5 / 0.3, roughly the paper's 5k / 40k / 25k steps out of its run.
   */
  warmup?: { start: number; rmaxEnd: number; dmaxEnd: number };
  hidden?: number[];
  seed?: number;
  /** Called after each run, e.g. to print progress. */
  onRun?: (run: SmallBatchRun) => void;
}

/** One training run of the comparison. */
export interface SmallBatchRun {
  method: Normalization;
  batchSize: number;
  steps: number;
  /** Inference-mode (moving statistics) test accuracy and loss. */
  testAcc: number;
  testLoss: number;
  seconds: number;
}

/** What compareSmallBatches returns. */
export interface SmallBatchResult {
  runs: SmallBatchRun[];
  /** Test accuracy per method, in batchSizes order. */
  acc: Record<Normalization, number[]>;
  batchSizes: number[];
  samples: number;
}

/**
 * Trains the MLP with BN and with batch renorm at each batch size on the same sample budget
 * (the first `samples` training images, or several seeded passes if there are fewer) and
 * evaluates each in inference mode on the test set.
 */
export async function compareSmallBatches(data: { train: LabeledImages; test: LabeledImages }, options: SmallBatchOptions = {}): Promise<SmallBatchResult> {
  const { batchSizes = [2, 4, 8, 32], learningRate = 1e-3, momentum = 0.9, rmax = 3, dmax = 5, hidden = [100, 100], seed = 1 } = options;
  const warmup = options.warmup ?? { start: 0.05, rmaxEnd: 0.5, dmaxEnd: 0.3 };
  const n = data.train.images.shape[0];
  const samples = options.samples ?? n;
  const rows = Math.min(n, samples);
  const epochs = Math.max(1, Math.round(samples / rows));
  const x = data.train.images.slice(0, rows);
  const y = data.train.labels.slice(0, rows);
  const inputShape = data.train.images.shape.slice(1);
  const classes = Math.max(...data.train.labelBytes) + 1;
  const runs: SmallBatchRun[] = [];
  try {
    for (const method of ['batch', 'renorm'] as const) {
      for (const batchSize of batchSizes) {
        const steps = epochs * Math.ceil(rows / batchSize);
        const at = (f: number) => Math.round(f * steps);
        const renorm = { rmax, dmax, rmaxStartStep: at(warmup.start), rmaxEndStep: at(warmup.rmaxEnd), dmaxStartStep: at(warmup.start), dmaxEndStep: at(warmup.dmaxEnd) };
        const model = buildNormMlp({ normalization: method, hidden, inputShape, classes, momentum, renorm, seed });
        compileClassifier(model, { learningRate });
        const h = await fit(model, x, y, { epochs, batchSize, seed, verbose: 0 });
        const test = evaluate(model, data.test.images, data.test.labels, 256);
        const run = { method, batchSize, steps, testAcc: test.acc, testLoss: test.loss, seconds: h.seconds };
        runs.push(run);
        options.onRun?.(run);
        model.dispose();
      }
    }
  } finally {
    tf.dispose([x, y]);
  }
  const acc = {
    batch: runs.filter((r) => r.method === 'batch').map((r) => r.testAcc),
    renorm: runs.filter((r) => r.method === 'renorm').map((r) => r.testAcc),
  };
  return { runs, acc, batchSizes, samples: rows * epochs };
}

const METHOD_STYLE: Record<Normalization, { name: string; color: string }> = {
  batch: { name: 'BatchNormalization', color: '#1f77b4' },
  renorm: { name: 'BatchRenormalization', color: '#d62728' },
};

/** Test accuracy against batch size (log axis), one line per method. */
export function smallBatchFigure(result: SmallBatchResult, title = 'Test accuracy vs batch size (same sample budget)'): Figure {
  return {
    data: (['batch', 'renorm'] as const).map((m) => ({
      type: 'scatter',
      mode: 'lines+markers',
      name: METHOD_STYLE[m].name,
      x: result.batchSizes,
      y: result.acc[m],
      text: result.acc[m].map((a) => a.toFixed(3)),
      textposition: 'top center',
      line: { color: METHOD_STYLE[m].color },
    })),
    layout: {
      title: { text: title },
      xaxis: { title: { text: 'batch size' }, type: 'log', tickvals: result.batchSizes, ticktext: result.batchSizes.map(String) },
      yaxis: { title: { text: 'test accuracy (inference mode)' } },
    },
  };
}

/** The renorm warm-up (rmax and dmax against the training step), for explaining the schedule. */
export function renormScheduleFigure(schedule: Partial<Pick<BatchRenormalizationArgs, 'rmax' | 'dmax' | 'rmaxStartStep' | 'rmaxEndStep' | 'dmaxStartStep' | 'dmaxEndStep'>>, steps: number, title = 'Batch renorm warm-up'): Figure {
  const xs = Array.from({ length: 101 }, (_, i) => Math.round((i * steps) / 100));
  const values = xs.map((s) => renormClipping(s, schedule));
  return {
    data: [
      { type: 'scatter', mode: 'lines', name: 'rmax', x: xs, y: values.map((v) => v.rmax) },
      { type: 'scatter', mode: 'lines', name: 'dmax', x: xs, y: values.map((v) => v.dmax) },
    ],
    layout: { title: { text: title }, xaxis: { title: { text: 'training step' } }, yaxis: { title: { text: 'clipping bound' } } },
  };
}

/**
 * Learning-rate robustness: the same network trained without and with BN for a fixed small budget
 * at learning rates spread over several orders of magnitude.
 */
import * as tf from '@tensorflow/tfjs';
import type { Figure } from '../plots/plotly';
import {
  ARM_COLORS, BatchStream, MlpActivation, ModelBuilder, forEachArm, OptimizerName, buildDeepMlp, evaluateModel, gatherRows,
  makeOptimizer, round, trainStep, yieldToEventLoop,
} from './common';

/** Options for lrSweep. */
export interface LrSweepOptions {
  xTrain: tf.Tensor;
  yTrain: tf.Tensor;
  /** Held-out data the final accuracy is measured on. */
  xTest: tf.Tensor;
  yTest: tf.Tensor;
  /** Default [0.001, 0.01, 0.1, 1, 10]. */
  learningRates?: number[];
  /** Training budget per run, in epochs over xTrain (default 1). */
  epochs?: number;
  batchSize?: number;
  /** Default plain SGD: its step is the learning rate times the raw gradient, so the rate's effect is undiluted. */
  optimizer?: OptimizerName;
  /** The default model: a deep MLP (6 × 100, ReLU). */
  depth?: number;
  units?: number;
  activation?: MlpActivation;
  seed?: number;
  build?: ModelBuilder;
  /** Called after each run, e.g. for progress. */
  onRun?: (row: { arm: 'plain' | 'bn'; learningRate: number; acc: number; trainLoss: number }) => void;
}

/** One learning rate's outcome for both networks. */
export interface LrSweepRow {
  learningRate: number;
  /** Final held-out accuracy. */
  plain: number;
  bn: number;
  /** Mean training-batch loss over the last tenth of the steps (NaN or huge = diverged). */
  plainTrainLoss: number;
  bnTrainLoss: number;
  plainDiverged: boolean;
  bnDiverged: boolean;
}

/** What lrSweep returns. */
export interface LrSweepResult {
  rows: LrSweepRow[];
  options: { learningRates: number[]; epochs: number; batchSize: number; optimizer: OptimizerName; seed: number; trainCount: number; testCount: number };
  seconds: number;
}

async function trainOnce(model: tf.LayersModel, o: { xTrain: tf.Tensor; yTrain: tf.Tensor; epochs: number; batchSize: number; optimizer: OptimizerName; seed: number }, lr: number): Promise<number> {
  const optimizer = makeOptimizer(o.optimizer, lr);
  const stream = new BatchStream(o.xTrain.shape[0], o.batchSize, o.seed);
  const steps = Math.ceil((o.xTrain.shape[0] / o.batchSize) * o.epochs);
  const losses: number[] = [];
  try {
    for (let step = 1; step <= steps; step++) {
      const [xb, yb] = gatherRows(o.xTrain, o.yTrain, stream.next());
      losses.push(trainStep(model, optimizer, xb, yb));
      tf.dispose([xb, yb]);
      if (step % 20 === 0) await yieldToEventLoop();
    }
  } finally {
    optimizer.dispose();
  }
  const tail = losses.slice(-Math.max(1, Math.floor(losses.length / 10)));
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

/**
 * Trains the network without and with BN from the same initial weights on the same batches at each
 * learning rate, for the same budget, and measures held-out accuracy.
 */
export async function lrSweep(options: LrSweepOptions): Promise<LrSweepResult> {
  const o = { learningRates: [0.001, 0.01, 0.1, 1, 10], epochs: 1, batchSize: 64, optimizer: 'sgd' as OptimizerName, seed: 1, ...options };
  const build: ModelBuilder = options.build ??
    ((batchNorm) => buildDeepMlp({ batchNorm, depth: options.depth ?? 6, units: options.units ?? 100, activation: options.activation ?? 'relu', seed: o.seed, inputShape: o.xTrain.shape.slice(1) as number[] }));
  const started = Date.now();
  const rows: LrSweepRow[] = [];
  for (const lr of o.learningRates) {
    const row: Partial<LrSweepRow> = { learningRate: lr };
    await forEachArm(build, async (arm, model) => {
      const trainLoss = await trainOnce(model, o, lr);
      const { acc } = evaluateModel(model, o.xTest, o.yTest);
      // A diverged net may still score chance accuracy by predicting one class; say so.
      const diverged = !Number.isFinite(trainLoss) || trainLoss > 10;
      row[arm] = acc;
      row[`${arm}TrainLoss`] = trainLoss;
      row[`${arm}Diverged`] = diverged;
      o.onRun?.({ arm, learningRate: lr, acc, trainLoss });
    });
    rows.push(row as LrSweepRow);
  }
  return {
    rows,
    options: { learningRates: o.learningRates, epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer, seed: o.seed, trainCount: o.xTrain.shape[0], testCount: o.xTest.shape[0] },
    seconds: (Date.now() - started) / 1000,
  };
}

/** The sweep in numbers: best rate and the range of rates reaching a share of the best accuracy. */
export interface LrSweepSummary {
  best: { plain: { learningRate: number; acc: number }; bn: { learningRate: number; acc: number } };
  /** Learning rates at which each network reached at least `fraction` of the better network's best accuracy. */
  workingRates: { plain: number[]; bn: number[] };
  fraction: number;
  lines: string[];
}

/** States in numbers what the sweep supports. */
export function lrSweepSummary(result: LrSweepResult, fraction = 0.9): LrSweepSummary {
  const bestOf = (arm: 'plain' | 'bn') => {
    const row = result.rows.reduce((a, b) => (b[arm] > a[arm] ? b : a));
    return { learningRate: row.learningRate, acc: round(row[arm], 4) };
  };
  const best = { plain: bestOf('plain'), bn: bestOf('bn') };
  const target = fraction * Math.max(best.plain.acc, best.bn.acc);
  const working = (arm: 'plain' | 'bn') => result.rows.filter((r) => r[arm] >= target && !r[`${arm}Diverged`]).map((r) => r.learningRate);
  const workingRates = { plain: working('plain'), bn: working('bn') };
  const lines = result.rows.map((r) =>
    `lr ${r.learningRate}: plain ${r.plain.toFixed(3)}${r.plainDiverged ? ' (diverged)' : ''}, BN ${r.bn.toFixed(3)}${r.bnDiverged ? ' (diverged)' : ''}`,
  );
  lines.push(`best: plain ${best.plain.acc} at lr ${best.plain.learningRate}, BN ${best.bn.acc} at lr ${best.bn.learningRate}`);
  lines.push(`rates within ${Math.round(fraction * 100)}% of the best accuracy: plain [${workingRates.plain.join(', ')}], BN [${workingRates.bn.join(', ')}]`);
  return { best, workingRates, fraction, lines };
}

/** Final accuracy against learning rate (log x axis): one line without BN, one with. */
export function lrSweepFigure(result: LrSweepResult, title = 'Accuracy after a fixed budget vs learning rate'): Figure {
  const x = result.rows.map((r) => r.learningRate);
  return {
    data: (['plain', 'bn'] as const).map((arm) => ({
      type: 'scatter', mode: 'lines+markers', x, y: result.rows.map((r) => round(r[arm], 4)),
      name: arm === 'bn' ? 'with BN' : 'without BN', line: { color: ARM_COLORS[arm] },
      marker: { symbol: result.rows.map((r) => (r[`${arm}Diverged`] ? 'x' : 'circle')), size: 9 },
      text: result.rows.map((r) => (r[`${arm}Diverged`] ? 'diverged' : '')),
    })),
    layout: {
      title: { text: title },
      xaxis: { title: { text: `learning rate (${result.options.optimizer})` }, type: 'log' },
      yaxis: { title: { text: 'test accuracy' }, range: [0, 1.02] },
    },
  };
}

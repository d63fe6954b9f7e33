/**
 * BN vs dropout on notebook 4's VGG-style CNN: four variants (none, dropout, BN, both) trained the
 * same way, compared by their generalization gap per epoch.
 */
import * as tf from '@tensorflow/tfjs';
import { buildVggCnn } from '../models/cifar';
import type { Figure, PlotlyObject } from '../plots/plotly';
import { History, compileClassifier, fit } from '../training/fit';
import { evaluateModel, round } from './common';

/** The four variants. */
export type DropoutVariant = 'none' | 'dropout' | 'bn' | 'both';

export const DROPOUT_VARIANTS: readonly DropoutVariant[] = ['none', 'dropout', 'bn', 'both'];

const LABELS: Record<DropoutVariant, string> = { none: 'neither', dropout: 'dropout', bn: 'BN', both: 'BN + dropout' };
const COLORS: Record<DropoutVariant, string> = { none: '#7f7f7f', dropout: '#2ca02c', bn: '#d62728', both: '#9467bd' };

/** Options for compareDropout. */
export interface DropoutOptions {
  xTrain: tf.Tensor;
  yTrain: tf.Tensor;
  xVal: tf.Tensor;
  yVal: tf.Tensor;
  /** Default 3. */
  epochs?: number;
  batchSize?: number;
  /** Adam's learning rate (default 1e-3; notebook 4 uses 1e-4 over 30 epochs). */
  learningRate?: number;
  /** Dropout rate of the dropout variants (after each pooling stage and before the head); default 0.3. */
  dropoutRate?: number;
  variants?: DropoutVariant[];
  seed?: number;
  /** 0 silent (default), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Any model builder taking the same options as buildVggCnn (e.g. buildSmallCifarCnn for a faster run). */
  build?: (options: { batchNorm: boolean; dropout: number; seed: number }) => tf.LayersModel;
}

/** One variant's training run. */
export interface DropoutRun {
  variant: DropoutVariant;
  label: string;
  /** fit()'s history: training metrics averaged over each epoch with dropout active, plus val_loss/val_acc. */
  history: History;
  /** Accuracy and loss on the training images after each epoch, in inference mode (no dropout, BN's moving statistics). */
  trainEval: { loss: number[]; acc: number[] };
  /** trainEval.acc − val_acc per epoch. */
  accGap: number[];
  /** val_loss − trainEval.loss per epoch. */
  lossGap: number[];
}

/** What compareDropout returns. */
export interface DropoutResult {
  runs: DropoutRun[];
  options: { epochs: number; batchSize: number; learningRate: number; dropoutRate: number; seed: number; trainCount: number; valCount: number };
  seconds: number;
}

/**
 * Trains the VGG-style CNN in up to four variants from the same seed on the same batches, and
 * after every epoch measures training accuracy in inference mode, so the gap to validation
 * accuracy is not inflated by dropout being active during the training pass.
 */
export async function compareDropout(options: DropoutOptions): Promise<DropoutResult> {
  const { epochs = 3, batchSize = 32, learningRate = 1e-3, dropoutRate = 0.3, variants = [...DROPOUT_VARIANTS], seed = 1, verbose = 0 } = options;
  const build = options.build ?? ((o: { batchNorm: boolean; dropout: number; seed: number }) => buildVggCnn(o));
  const started = Date.now();
  const runs: DropoutRun[] = [];
  for (const variant of variants) {
    const batchNorm = variant === 'bn' || variant === 'both';
    const dropout = variant === 'dropout' || variant === 'both' ? dropoutRate : 0;
    const model = build({ batchNorm, dropout, seed });
    try {
      compileClassifier(model, { learningRate });
      const trainEval = { loss: [] as number[], acc: [] as number[] };
      const history = await fit(model, options.xTrain, options.yTrain, {
        epochs, batchSize, seed, verbose, label: LABELS[variant], validationData: [options.xVal, options.yVal],
        onEpochEnd: () => {
          const e = evaluateModel(model, options.xTrain, options.yTrain, 100);
          trainEval.loss.push(e.loss);
          trainEval.acc.push(e.acc);
        },
      });
      const valAcc = history.history.val_acc;
      const valLoss = history.history.val_loss;
      runs.push({
        variant, label: LABELS[variant], history, trainEval,
        accGap: trainEval.acc.map((a, i) => a - valAcc[i]),
        lossGap: trainEval.loss.map((l, i) => valLoss[i] - l),
      });
    } finally {
      model.dispose();
    }
  }
  return {
    runs,
    options: { epochs, batchSize, learningRate, dropoutRate, seed, trainCount: options.xTrain.shape[0], valCount: options.xVal.shape[0] },
    seconds: (Date.now() - started) / 1000,
  };
}

/** The last epoch's numbers per variant. */
export interface DropoutSummaryRow {
  variant: DropoutVariant;
  label: string;
  trainAcc: number;
  valAcc: number;
  accGap: number;
  lossGap: number;
  bestValAcc: number;
}

/** States in numbers what the comparison supports. */
export function dropoutSummary(result: DropoutResult): { rows: DropoutSummaryRow[]; lines: string[] } {
  const rows = result.runs.map((r) => ({
    variant: r.variant,
    label: r.label,
    trainAcc: round(r.trainEval.acc.at(-1)!, 4),
    valAcc: round(r.history.history.val_acc.at(-1)!, 4),
    accGap: round(r.accGap.at(-1)!, 4),
    lossGap: round(r.lossGap.at(-1)!, 4),
    bestValAcc: round(Math.max(...r.history.history.val_acc), 4),
  }));
  const lines = rows.map((r) =>
    `${r.label}: train acc ${r.trainAcc}, val acc ${r.valAcc} (best ${r.bestValAcc}), gap ${(r.accGap * 100).toFixed(1)} pp, val − train loss ${r.lossGap}`,
  );
  lines.push(`(${result.options.trainCount} training images, ${result.options.valCount} validation images, ${result.options.epochs} epochs, ${result.seconds.toFixed(0)} s)`);
  return { rows, lines };
}

/** The generalization gap per epoch for each variant: accuracy gap (left) and loss gap (right). */
export function dropoutGapFigure(result: DropoutResult, title = 'Generalization gap per epoch'): Figure {
  const data: PlotlyObject[] = [];
  for (const r of result.runs) {
    const x = r.accGap.map((_, i) => i + 1);
    const common = { type: 'scatter', mode: 'lines+markers', x, name: r.label, legendgroup: r.variant, line: { color: COLORS[r.variant] } };
    data.push({ ...common, y: r.accGap.map((v) => round(v, 4)) });
    data.push({ ...common, y: r.lossGap.map((v) => round(v, 4)), xaxis: 'x2', yaxis: 'y2', showlegend: false });
  }
  return {
    data,
    layout: {
      title: { text: title },
      grid: { rows: 1, columns: 2, pattern: 'independent' },
      xaxis: { title: { text: 'epoch' }, dtick: 1 },
      yaxis: { title: { text: 'train acc − val acc' } },
      xaxis2: { title: { text: 'epoch' }, dtick: 1 },
      yaxis2: { title: { text: 'val loss − train loss' } },
      annotations: [
        { text: 'accuracy gap', x: 0.22, y: 1.0, xref: 'paper', yref: 'paper', yanchor: 'bottom', showarrow: false },
        { text: 'loss gap', x: 0.78, y: 1.0, xref: 'paper', yref: 'paper', yanchor: 'bottom', showarrow: false },
      ],
    },
  };
}

/** The one evaluation the experiment notebooks share, in inference mode or in training mode. */
import * as tf from '@tensorflow/tfjs';
import { takeRows } from '../training/shuffle';
import { compiledLoss, keepingMovingStats } from './loop';

/** Options for evaluateModel. */
export interface EvaluateOptions {
  /** Rows per forward pass; in training mode also the batch whose statistics BN uses (default 256). */
  batchSize?: number;
  /**
   * Evaluate as model.apply(x, { training: true }) does: BN normalizes each batch with its own
   * statistics (and dropout is on). The moving statistics are restored afterwards. Default false.
   */
  training?: boolean;
  /** Row order in which the batches are cut (training mode: which images share a batch). */
  order?: Int32Array;
}

/** Loss, accuracy and predicted class of every row (in the original row order). */
export interface Evaluation {
  loss: number;
  acc: number;
  predicted: Int32Array;
}

/**
 * Loss (the model's compiled loss, as model.evaluate reports it), accuracy and predicted classes of
 * a softmax classifier on (x, y), in inference mode or, unlike model.evaluate, in training mode.
 */
export function evaluateModel(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  options: EvaluateOptions = {},
): Evaluation {
  const { batchSize = 256, training = false } = options;
  const n = x.shape[0];
  if (n !== y.shape[0]) throw new Error(`evaluateModel: ${n} images but ${y.shape[0]} labels.`);
  const order = options.order ?? Int32Array.from({ length: n }, (_, i) => i);
  if (order.length !== n) throw new Error(`evaluateModel: order has ${order.length} rows, the data ${n}.`);
  const predicted = new Int32Array(n);
  const lossOf = compiledLoss(model);
  let lossSum = 0;
  keepingMovingStats(model, () => {
    for (let start = 0; start < n; start += batchSize) {
      const rows = order.slice(start, Math.min(n, start + batchSize));
      const [loss, classes] = tf.tidy(() => {
        const [xb, yb] = takeRows([x, y], rows);
        const probs = model.apply(xb, { training }) as tf.Tensor;
        return [lossOf(yb, probs).dataSync()[0], tf.argMax(probs, -1).dataSync()];
      });
      lossSum += loss * rows.length;
      rows.forEach((r, i) => (predicted[r] = classes[i]));
    }
  });
  const labels = y.dataSync();
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === labels[i]) correct++;
  return { loss: lossSum / n, acc: correct / n, predicted };
}

import * as tf from '@tensorflow/tfjs';
import { host } from '../host';
import { newLiveOutput } from '../notebook/display';
import { EpochProgress, formatDuration, formatLogs } from './progress';

/** Options for progressBar. */
export interface ProgressBarOptions {
  /** Printed before each epoch's line, e.g. the model's name. */
  label?: string;
  /**
   * 'batch' (Keras's verbose=1): a bar per epoch, redrawn as batches finish. 'epoch' (verbose=2):
   * one line per epoch, rewritten in place in a notebook so 1000 epochs do not flood the output.
   */
  every?: 'batch' | 'epoch';
}

/**
 * Keras's progress bar weights each running metric by batch size over the epoch so far; tfjs's
 * onBatchEnd reports only the last batch (with its size).
 */
export class RunningMean {
  private readonly sums: Record<string, number> = {};
  private seen = 0;

  /** Adds one batch's logs and returns the epoch-so-far mean of every metric seen this epoch. */
  add(logs: tf.Logs): Record<string, number> {
    const { batch: _batch, size = 1, ...metrics } = logs;
    this.seen += size;
    for (const [key, value] of Object.entries(metrics)) this.sums[key] = (this.sums[key] ?? 0) + value * size;
    return Object.fromEntries(Object.entries(this.sums).map(([key, sum]) => [key, sum / this.seen]));
  }
}

/**
 * Makes `callback` stop model.fit after the current batch once the user pressed stop (a browser
 * kernel cannot interrupt running JavaScript, so callbacks ask the host between batches); call the
 * returned function in onBatchEnd. tfjs's CustomCallback does not keep its model, so this does.
 */
export function stopOnInterrupt(callback: tf.CustomCallback): () => void {
  let model: { stopTraining: boolean } | undefined;
  callback.setModel = (m) => {
    model = m as unknown as { stopTraining: boolean };
  };
  return () => {
    if (model && host().interrupted()) model.stopTraining = true;
  };
}

/**
 * A Keras-style progress bar as a `model.fit` callback: `callbacks: [progressBar()]`. In a notebook
 * it redraws one output in place; headless (scripts, CI) it prints one line per epoch, so scripted
 * runs show progress as it happens.
 */
export function progressBar(options: ProgressBarOptions | string = {}): tf.CustomCallback {
  const { label, every = 'batch' } = typeof options === 'string' ? { label: options } : options;
  const prefix = label ? `[${label}] ` : '';
  let epochs = 0;
  let steps = 0;
  let started = 0;
  let progress: EpochProgress | null = null;
  let running = new RunningMean();
  let step = 0;
  const epochLine = every === 'epoch' ? newLiveOutput() : null;
  const header = (epoch: number) => `${prefix}Epoch ${epoch + 1}/${epochs}`;
  const callback: tf.CustomCallback = new tf.CustomCallback({
    onTrainBegin: async () => {
      const { epochs: e, samples, batchSize } = callback.params as Record<string, number>;
      epochs = e;
      steps = Math.ceil(samples / batchSize);
      started = Date.now();
    },
    onEpochBegin: async (epoch) => {
      running = new RunningMean();
      step = 0;
      progress = every === 'batch' ? new EpochProgress(header(epoch), steps, true) : null;
    },
    onBatchEnd: async (_batch, logs) => {
      checkInterrupt();
      step += 1;
      progress?.update(step, running.add(logs ?? {}));
    },
    onEpochEnd: async (epoch, logs = {}) => {
      if (progress) return progress.finish(logs);
      const text = `${header(epoch)} - ${formatDuration((Date.now() - started) / 1000)}${formatLogs(logs)}`;
      if (epochLine) epochLine.text(text);
      else if ((epoch + 1) % Math.max(1, Math.round(epochs / 10)) === 0 || epoch === epochs - 1) console.log(text);
    },
    onTrainEnd: async () => {
      console.log(`${prefix}trained ${epochs} epoch(s) in ${formatDuration((Date.now() - started) / 1000)}`);
    },
  });
  const checkInterrupt = stopOnInterrupt(callback);
  return callback;
}

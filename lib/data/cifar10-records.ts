import * as tf from '@tensorflow/tfjs';
import type { LabeledImages } from './mnist';

/** CIFAR-10's classes in label order, as the official batches.meta.txt lists them. */
export const CIFAR10_CLASS_NAMES: readonly string[] = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];

/** One binary record: a label byte, then 32×32 red, green and blue planes, row-major. */
export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;

const PIXELS = 32 * 32;

/**
 * Fills one split from CIFAR-10 record files, file by file, so a caller reads only the files it
 * needs: the first `count` records across them, in order. Both hosts read bytes their own way and
 * decode them here.
 */
export class Cifar10SplitBuilder {
  private readonly images: Float32Array;
  private readonly labelBytes: Uint8Array;
  private readonly k: number;
  /** Records decoded so far. */
  filled = 0;

  constructor(
    private readonly count: number,
    scale: boolean,
  ) {
    this.images = new Float32Array(count * PIXELS * 3);
    this.labelBytes = new Uint8Array(count);
    this.k = scale ? 1 / 255 : 1;
  }

  /** Decodes records from one file's bytes (a whole number of records) until the split is full. */
  add(bytes: Uint8Array, name: string): void {
    const take = Math.min(Math.floor(bytes.length / CIFAR10_RECORD_BYTES), this.count - this.filled);
    const { images, labelBytes, k } = this;
    for (let r = 0; r < take; r++, this.filled++) {
      const i = this.filled;
      const rec = r * CIFAR10_RECORD_BYTES;
      const label = bytes[rec];
      if (label > 9) throw new Error(`${name}: record ${r} has label ${label}, not a class 0..9; the file is not CIFAR-10.`);
      labelBytes[i] = label;
      // Records store whole colour planes; tfjs wants channels last (NHWC), as Keras's load_data returns.
      const out = i * PIXELS * 3;
      for (let p = 0; p < PIXELS; p++) {
        images[out + 3 * p] = bytes[rec + 1 + p] * k;
        images[out + 3 * p + 1] = bytes[rec + 1 + PIXELS + p] * k;
        images[out + 3 * p + 2] = bytes[rec + 1 + 2 * PIXELS + p] * k;
      }
    }
  }

  /** The split as tensors [count, 32, 32, 3] with float32 class ids. */
  tensors(): LabeledImages {
    return {
      images: tf.tensor4d(this.images, [this.count, 32, 32, 3], 'float32'),
      labels: tf.tensor1d(Float32Array.from(this.labelBytes), 'float32'),
      labelBytes: this.labelBytes,
    };
  }
}

/** The class names in batches.meta.txt (one per line); `name` names the file in errors. */
export function parseCifar10ClassNames(text: string, name: string): string[] {
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (names.length !== 10) throw new Error(`${name} lists ${names.length} class names; CIFAR-10 has 10.`);
  return names;
}

/** Tensors standardized with the training set's statistics, and those statistics. */
export interface Standardized<T extends tf.Tensor> {
  /** The training tensor first, then the others, in the order given. */
  tensors: T[];
  /** Per-channel mean of the training tensor. */
  mean: number[];
  /** Per-channel population standard deviation (numpy's np.std) of the training tensor. */
  std: number[];
}

/**
 * Standardizes channels-last tensors with the TRAINING tensor's per-channel mean and standard
 * deviation, as seed 003 does with np.mean/np.std over axes (0, 1, 2): using the test set's own
 * statistics would leak it into preprocessing. Statistics are summed in float64 because float32
 * sums over millions of 0..255 pixels lose digits.
 */
export function standardizePerChannel<T extends tf.Tensor>(train: T, ...others: T[]): Standardized<T> {
  const channels = train.shape[train.rank - 1];
  if (train.rank < 2 || train.size === 0) throw new Error(`standardizePerChannel needs a non-empty channels-last tensor (got shape [${train.shape}]).`);
  for (const t of others) {
    if (t.shape[t.rank - 1] !== channels) {
      throw new Error(`standardizePerChannel: tensor of shape [${t.shape}] does not have the training set's ${channels} channels.`);
    }
  }
  const values = train.dataSync();
  const count = values.length / channels;
  const sum = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) sum[i % channels] += values[i];
  const mean = Array.from(sum, (s) => s / count);
  const sq = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const d = values[i] - mean[i % channels];
    sq[i % channels] += d * d;
  }
  const std = Array.from(sq, (s) => Math.sqrt(s / count));
  const flat = std.findIndex((s) => s === 0);
  if (flat >= 0) throw new Error(`standardizePerChannel: channel ${flat} is constant in the training set (std 0), so it cannot be standardized.`);
  const tensors = tf.tidy(() => {
    const m = tf.tensor1d(mean, 'float32');
    const s = tf.tensor1d(std, 'float32');
    return [train, ...others].map((t) => t.sub(m).div(s) as T);
  });
  return { tensors, mean, std };
}

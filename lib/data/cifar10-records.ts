import * as tf from '@tensorflow/tfjs';
import type { LabeledImages } from './mnist';

/** CIFAR-10's classes in label order, as the official batches.meta.txt lists them. */
export const CIFAR10_CLASS_NAMES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
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
      if (label > 9)
        throw new Error(`${name}: record ${r} has label ${label}, not a class 0..9; the file is not CIFAR-10.`);
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
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (names.length !== 10) throw new Error(`${name} lists ${names.length} class names; CIFAR-10 has 10.`);
  return names;
}

/** loadCifar10's counts and scaling with their defaults, checked the same way in Node and in a browser. */
export function resolveCifar10Counts(options: { trainCount?: number; testCount?: number; scale?: boolean }): {
  trainCount: number;
  testCount: number;
  scale: boolean;
} {
  const { trainCount = 50000, testCount = 10000, scale = true } = options;
  for (const [name, value] of [
    ['trainCount', trainCount],
    ['testCount', testCount],
  ] as const) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`${name} must be a non-negative integer (got ${value}).`);
  }
  return { trainCount, testCount, scale };
}

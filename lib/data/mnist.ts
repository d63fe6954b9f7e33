import * as tf from '@tensorflow/tfjs';
import { host } from '../host';
import type { SourceOptions } from './files';

/** IDX magic numbers: two zero bytes, type 0x08 (unsigned byte), then the number of dimensions. */
export const IDX_IMAGES_MAGIC = 2051;
/** Magic number of an IDX label file (unsigned bytes, one dimension). */
export const IDX_LABELS_MAGIC = 2049;

/** The official MNIST file names, one per split and kind. */
export const MNIST_FILES = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
} as const;

/** A parsed IDX file: its dimensions and the unsigned bytes that follow the header. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an (uncompressed) IDX file: a big-endian header of magic number and dimension sizes, then
 * unsigned bytes. Checks the magic number and that exactly as many bytes follow as the header
 * promises, so a truncated or wrong file fails here with its name instead of yielding garbage.
 */
export function parseIdx(bytes: Uint8Array, expectedMagic: number, name = 'IDX file'): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = expectedMagic === IDX_IMAGES_MAGIC ? 'image' : expectedMagic === IDX_LABELS_MAGIC ? 'label' : 'IDX';
  if (bytes.length < 4) throw new Error(`${name} is truncated: ${bytes.length} bytes, too short for an IDX header.`);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    throw new Error(
      `${name} has the wrong magic number ${magic} (0x${magic.toString(16).padStart(8, '0')}); ` +
        `an IDX ${kind} file starts with ${expectedMagic}. Is it the right file, and was it gunzipped once?`,
    );
  }
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(`${name} is truncated: the header needs ${headerBytes} bytes, the file has ${bytes.length}.`);
  }
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual < expected) {
    throw new Error(
      `${name} is truncated: its header promises ${dims.join('×')} = ${expected} bytes of data, but only ${actual} follow.`,
    );
  }
  if (actual > expected) {
    throw new Error(`${name} has ${actual - expected} unexpected bytes after its ${dims.join('×')} data; it is not a valid IDX file.`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** One split of an image dataset, as tensors plus the raw label bytes. */
export interface LabeledImages {
  /** [n, height, width, channels] float32, 0..1 when scaled, 0..255 otherwise. */
  images: tf.Tensor4D;
  /** [n] float32 class ids (tfjs's sparse cross-entropy wants float labels). */
  labels: tf.Tensor1D;
  /** The same class ids as bytes, without a tensor round trip. */
  labelBytes: Uint8Array;
}

/** One MNIST split: tensors plus the original 28×28 pixels. */
export interface MnistSplit extends LabeledImages {
  /** [n, 28, 28] unsigned bytes exactly as in the file (no padding, no scaling). */
  pixels: Uint8Array;
}

/** What loadMnist returns. */
export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
  /** Image height and width after padding (32 with the default pad of 2). */
  size: number;
}

/** Options for loadMnist. */
export interface MnistOptions extends SourceOptions {
  /** The first N training images, like Keras's `x_train[:N]`; default all 60,000. */
  trainCount?: number;
  /** The first N test images; default all 10,000. */
  testCount?: number;
  /** Zero border added on each side; 2 turns 28×28 into LeNet's 32×32 (seed 000's np.pad). */
  pad?: number;
  /** Divide by 255 so pixels are 0..1; default true. */
  scale?: boolean;
}

function checkCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${what} must be a non-negative integer (got ${value}).`);
}

async function loadSplit(split: 'train' | 'test', count: number, pad: number, scale: boolean, options: SourceOptions): Promise<MnistSplit> {
  const files = MNIST_FILES[split];
  const images = await host().readDatasetFile('mnist', files.images, options);
  const labels = await host().readDatasetFile('mnist', files.labels, options);
  const imageIdx = parseIdx(await host().gunzip(images.bytes, images.path), IDX_IMAGES_MAGIC, images.path);
  const labelIdx = parseIdx(await host().gunzip(labels.bytes, labels.path), IDX_LABELS_MAGIC, labels.path);
  const [n, rows, cols] = imageIdx.dims;
  if (labelIdx.dims[0] !== n) {
    throw new Error(`${images.path} holds ${n} images but ${labels.path} holds ${labelIdx.dims[0]} labels; they must come from the same release.`);
  }
  if (count > n) {
    throw new Error(
      `MNIST: asked for ${count} ${split} images, but ${images.path} holds only ${n}. ` +
        `The official MNIST has 60,000 training and 10,000 test images; ask for at most ${n}.`,
    );
  }
  const pixels = imageIdx.data.slice(0, count * rows * cols);
  const labelBytes = labelIdx.data.slice(0, count);
  const bad = labelBytes.findIndex((l) => l > 9);
  if (bad >= 0) throw new Error(`${labels.path}: label ${labelBytes[bad]} at index ${bad} is not a digit 0..9.`);
  const h = rows + 2 * pad;
  const w = cols + 2 * pad;
  const out = new Float32Array(count * h * w);
  const k = scale ? 1 / 255 : 1;
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < rows; r++) {
      const src = (i * rows + r) * cols;
      const dst = (i * h + r + pad) * w + pad;
      for (let c = 0; c < cols; c++) out[dst + c] = pixels[src + c] * k;
    }
  }
  return {
    images: tf.tensor4d(out, [count, h, w, 1], 'float32'),
    labels: tf.tensor1d(Float32Array.from(labelBytes), 'float32'),
    labelBytes,
    pixels,
  };
}

/**
 * Loads MNIST from the official gzipped IDX files (see datasetFile for where they are looked up),
 * keeping the first N images of each split, padded and scaled for LeNet. Asking for more images
 * than the files hold is an error that says how many there are.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<MnistData> {
  const { trainCount = 60000, testCount = 10000, pad = 2, scale = true } = options;
  checkCount(trainCount, 'trainCount');
  checkCount(testCount, 'testCount');
  checkCount(pad, 'pad');
  const train = await loadSplit('train', trainCount, pad, scale, options);
  try {
    const test = await loadSplit('test', testCount, pad, scale, options);
    return { train, test, size: train.images.shape[1] };
  } catch (err) {
    tf.dispose([train.images, train.labels]);
    throw err;
  }
}

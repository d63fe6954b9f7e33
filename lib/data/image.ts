import * as tf from '@tensorflow/tfjs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';

/** Options for loadImageTensor: the model's input size. */
export interface ImageTensorOptions {
  height: number;
  width: number;
  /** 1 for grayscale (MNIST), 3 for RGB; default 1. */
  channels?: 1 | 3;
  /** Divide by 255 so pixels are 0..1 (as the seed's `test_img / 255.0`); default true. */
  scale?: boolean;
  /**
   * How a picture of another shape is resized: 'fill' stretches (default), 'contain' keeps the aspect
   * ratio and pads with black (MNIST's background), 'cover' crops.
   */
  fit?: 'fill' | 'contain' | 'cover';
}

/**
 * Reads an image file (PNG, JPEG, WebP, GIF, TIFF, ...) into a batch of one, [1, height, width,
 * channels], resized to the model's input and scaled to 0..1, like seed 000's
 * `cv2.imread(path, IMREAD_GRAYSCALE) / 255`. Transparent pixels become black, MNIST's background.
 */
export async function loadImageTensor(file: string, options: ImageTensorOptions): Promise<tf.Tensor4D> {
  const { height, width, channels = 1, scale = true, fit = 'fill' } = options;
  for (const [name, value] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`loadImageTensor: ${name} must be a positive integer (got ${value}).`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`loadImageTensor: channels must be 1 or 3 (got ${channels}).`);
  const absolute = path.resolve(file);
  let isFile = false;
  try {
    isFile = (await stat(absolute)).isFile();
  } catch {
    // Reported below with the resolved path, which is what users need when a relative path misleads.
  }
  if (!isFile) throw new Error(`Image not found: ${absolute} (from "${file}", relative to ${process.cwd()}).`);
  let pixels: Buffer;
  let info: { width: number; height: number; channels: number };
  try {
    let pipeline = sharp(absolute).flatten({ background: '#000000' }).resize(width, height, { fit, background: '#000000' });
    pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
    ({ data: pixels, info } = await pipeline.raw().toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw new Error(`Cannot read image ${absolute}: ${(err as Error).message}. It is corrupt or not an image format sharp reads (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG).`);
  }
  if (info.width !== width || info.height !== height || info.channels !== channels) {
    throw new Error(`Cannot read image ${absolute}: decoded ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×${channels}.`);
  }
  const k = scale ? 1 / 255 : 1;
  const values = Float32Array.from(pixels, (v) => v * k);
  return tf.tensor4d(values, [1, height, width, channels], 'float32');
}

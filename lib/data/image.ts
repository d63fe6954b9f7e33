import * as tf from '@tensorflow/tfjs';
import { open, stat } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { resolveImageTensorOptions } from './image-options';

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
  const { height, width, channels, scale, fit } = resolveImageTensorOptions(options);
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
    let pipeline = sharp(absolute)
      .flatten({ background: '#000000' })
      .resize(width, height, { fit, background: '#000000' });
    pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
    ({ data: pixels, info } = await pipeline.raw().toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw unreadableImageError(absolute, err as Error, await readHead(absolute));
  }
  if (info.width !== width || info.height !== height || info.channels !== channels) {
    throw new Error(
      `Cannot read image ${absolute}: decoded ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×${channels}.`,
    );
  }
  const k = scale ? 1 / 255 : 1;
  const values = Float32Array.from(pixels, (v) => v * k);
  return tf.tensor4d(values, [1, height, width, channels], 'float32');
}

/** The first bytes of a file (empty if it cannot be read), to tell what an unreadable "image" really is. */
export async function readHead(file: string, bytes = 512): Promise<Buffer> {
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}

/** What the first bytes of a file that sharp could not decode suggest it is. */
function sniff(head: Buffer): string {
  if (head.length === 0) return 'the file is empty';
  const text = head.toString('utf8');
  if (/^\s*<(!doctype html|html|head|body)/i.test(text)) {
    return 'it is an HTML page, not an image (a web page saved under an image name?)';
  }
  if (/^\s*</.test(text) && !/<svg/i.test(text)) return 'it is an XML/HTML text file, not an image';
  const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (head.subarray(0, 8).equals(pngSignature)) return 'it starts like a PNG but is damaged or cut short';
  if (head[0] === 0xff && head[1] === 0xd8) return 'it starts like a JPEG but is damaged or cut short';
  // Control characters other than tab, newline and carriage return mean binary data, not text.
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x08\x0e-\x1f]/.test(text)) return 'it is a text file, not an image';
  return 'it is not in an image format sharp reads';
}

/**
 * The error for an image file that exists but cannot be decoded: names the file, says what it
 * appears to be, and what to do, instead of sharp's bare "Input file contains unsupported image format".
 */
export function unreadableImageError(file: string, cause: Error, head: Buffer): Error {
  return new Error(
    `Cannot read image ${file}: ${sniff(head)} (sharp: ${cause.message}). ` +
      `It is corrupt or not an image format sharp reads (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG): ` +
      `open it in an image viewer, or export it again as PNG or JPEG, ` +
      `and pass that file's path (for example as the notebook's imagePath parameter).`,
  );
}

import type * as tf from '@tensorflow/tfjs';
import type { BackendInfo, BackendName, BackendPath } from '../backend/select';
import type { BenchFamily } from '../backend/speed';
import type { Cifar10Data, Cifar10Options } from '../data/cifar10';
import type { ImageTensorOptions } from '../data/image';
import { host } from './index';

// The public functions whose whole body differs by host; lib/index.ts exports these, so the same
// names and types serve notebooks in Node and in the browser.

/**
 * Picks and activates the tfjs backend, so every notebook trains on the fastest one present and can
 * say which. In Node: 'auto' honours BN_LAB_BACKEND, then tries tensorflow > wasm-dnnl >
 * wasm-threads > wasm-1thread > cpu (see lib/backend/select.ts). In a browser: webgpu > webgl >
 * wasm > cpu, a GPU backend only if it trains a small conv+BN model like cpu does. A name forces
 * that backend and throws with the fix if it cannot start.
 */
export function initBackend(
  preferred: BackendName | BackendPath | 'auto' | (string & {}) = 'auto',
): Promise<BackendInfo> {
  return host().initBackend(preferred);
}

/** One line for a notebook header or log, so every recorded result says what it ran on. */
export function describeBackend(info: BackendInfo): string {
  return host().describeBackend(info);
}

/** One Korean sentence on how fast this model trains here, from `npm run bench` (Node) or saying it is not measured (browser). */
export function benchSpeedNote(info: BackendInfo, family: BenchFamily): string {
  return host().benchSpeedNote(info, family);
}

/**
 * Loads CIFAR-10 as NHWC float tensors [n, 32, 32, 3] with float32 class ids, taking the first N
 * records of each split (see lib/data/cifar10.ts for Node's lookup, lib/host/README.md for the browser's).
 */
export function loadCifar10(options: Cifar10Options = {}): Promise<Cifar10Data> {
  return host().loadCifar10(options);
}

/**
 * Reads an image file into a batch of one, [1, height, width, channels], resized to the model's
 * input and scaled to 0..1; transparent pixels become black, MNIST's background.
 */
export function loadImageTensor(file: string, options: ImageTensorOptions): Promise<tf.Tensor4D> {
  return host().loadImageTensor(file, options);
}

/** Shows an image file in the notebook, scaled up without smoothing so small digits stay crisp. */
export function showImage(file: string, width = 112, caption = ''): Promise<void> {
  return host().showImage(file, width, caption);
}

import * as tf from '@tensorflow/tfjs';
import { BlockOptions, convBlock, denseBlock, sequential, softmaxHead } from './blocks';
import { SeedStream } from './seeds';

/** Options shared by the CIFAR-10 CNN builders. */
export interface CifarCnnOptions {
  batchNorm?: boolean;
  /** Dropout rate after each pooling stage and before the head (0 = none), for the BN-vs-dropout comparison. */
  dropout?: number;
  seed?: number;
}

function dropoutLayer(rate: number, seeds: SeedStream): tf.layers.Layer[] {
  return rate > 0 ? [tf.layers.dropout({ rate, seed: seeds.next() })] : [];
}

/**
 * Seed 001's small CNN: conv 8, 8, pool, 16, 16, pool, dense 256, softmax 10; every conv and the
 * dense layer is ReLU then BN.
 */
export function buildSmallCifarCnn(options: CifarCnnOptions = {}): tf.Sequential {
  const { batchNorm = true, dropout = 0, seed = 1 } = options;
  const seeds = new SeedStream(seed);
  const opts: BlockOptions = { batchNorm, order: 'activation-then-bn', activation: 'relu', seeds };
  const conv = (filters: number, inputShape?: number[]) =>
    convBlock({ filters, kernelSize: 3, padding: 'same', inputShape }, opts);
  const pool = () => [tf.layers.maxPooling2d({ poolSize: 2 }), ...dropoutLayer(dropout, seeds)];
  return sequential(batchNorm ? 'small_cnn_bn' : 'small_cnn', [
    ...conv(8, [32, 32, 3]), ...conv(8), ...pool(),
    ...conv(16), ...conv(16), ...pool(),
    tf.layers.flatten(),
    ...denseBlock(256, opts),
    softmaxHead(10, seeds),
  ]);
}

/**
 * Seed 003's VGG-style CNN: (conv, conv, pool) with 32, 64 and 128 filters, dense 256, softmax 10;
 * each conv and the dense layer is followed by BN then ReLU.
 */
export function buildVggCnn(options: CifarCnnOptions = {}): tf.Sequential {
  const { batchNorm = true, dropout = 0, seed = 1 } = options;
  const seeds = new SeedStream(seed);
  const opts: BlockOptions = { batchNorm, order: 'bn-then-activation', activation: 'relu', seeds };
  const stage = (filters: number, inputShape?: number[]) => [
    ...convBlock({ filters, kernelSize: 3, padding: 'same', inputShape }, opts),
    ...convBlock({ filters, kernelSize: 3, padding: 'same' }, opts),
    tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }),
    ...dropoutLayer(dropout, seeds),
  ];
  return sequential(batchNorm ? 'vgg_cnn_bn' : 'vgg_cnn', [
    ...stage(32, [32, 32, 3]), ...stage(64), ...stage(128),
    tf.layers.flatten(),
    ...denseBlock(256, opts),
    ...dropoutLayer(dropout, seeds),
    softmaxHead(10, seeds),
  ]);
}

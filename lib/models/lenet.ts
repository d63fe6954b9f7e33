import * as tf from '@tensorflow/tfjs';
import { BlockOptions, convBlock, denseBlock, sequential, softmaxHead } from './blocks';
import { SeedStream } from './seeds';

/** Options for the LeNet variants of seeds 000 and 004. */
export interface LeNetOptions {
  /** BN after each of the three convolutions (after their tanh), as in the seeds' exercise. */
  batchNorm?: boolean;
  /**
   * The third convolution. Seed 000 uses 5×5 with stride 1; seed 004's shuffle experiment uses an
   * odd 1×1 kernel with stride 5, which sees only one pixel in each 5×5 window.
   */
  conv3?: { kernelSize: number; strides: number };
  /** Initializer seed. */
  seed?: number;
}

/** The deeper LeNet variant on 32×32×1 inputs: conv-pool-conv-pool-conv, dense 84, softmax 10. */
export function buildLeNet(options: LeNetOptions = {}): tf.Sequential {
  const { batchNorm = false, conv3 = { kernelSize: 5, strides: 1 }, seed = 1 } = options;
  const opts: BlockOptions = { batchNorm, order: 'activation-then-bn', activation: 'tanh', seeds: new SeedStream(seed) };
  const pool = () => tf.layers.averagePooling2d({ poolSize: 2, strides: 2 });
  return sequential(batchNorm ? 'lenet_bn' : 'lenet', [
    ...convBlock({ filters: 6, kernelSize: 5, inputShape: [32, 32, 1] }, opts),
    pool(),
    ...convBlock({ filters: 16, kernelSize: 5 }, opts),
    pool(),
    ...convBlock({ filters: 120, ...conv3 }, opts),
    tf.layers.flatten(),
    ...denseBlock(84, { ...opts, batchNorm: false }),
    softmaxHead(10, opts.seeds),
  ]);
}

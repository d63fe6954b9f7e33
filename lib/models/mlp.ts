import * as tf from '@tensorflow/tfjs';
import { BlockOptions, batchNorm as bnLayer, denseBlock, sequential, softmaxHead } from './blocks';
import { SeedStream } from './seeds';

/** Options for seed 002's iris MLP. */
export interface IrisMlpOptions {
  batchNorm?: boolean;
  seed?: number;
}

/**
 * Seed 002's deep MLP for iris: dense 64-128-128-64-64 (ReLU) and softmax 3. With BN, one after
 * every hidden layer; the last one uses the seed's custom settings (momentum 0.95, epsilon 0.005,
 * beta ~ N(0, 0.05), gamma = 0.9).
 */
export function buildIrisMlp(options: IrisMlpOptions = {}): tf.Sequential {
  const { batchNorm = false, seed = 1 } = options;
  const seeds = new SeedStream(seed);
  const plain: BlockOptions = { batchNorm: false, order: 'activation-then-bn', activation: 'relu', seeds };
  const hidden = [64, 128, 128, 64, 64];
  const layers = hidden.flatMap((units, i) => {
    const dense = denseBlock(units, plain, i === 0 ? [4] : undefined);
    if (!batchNorm) return dense;
    const last = i === hidden.length - 1;
    return [
      ...dense,
      last
        ? bnLayer({
            momentum: 0.95,
            epsilon: 0.005,
            betaInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: seeds.next() }),
            gammaInitializer: tf.initializers.constant({ value: 0.9 }),
          })
        : bnLayer(),
    ];
  });
  return sequential(batchNorm ? 'iris_mlp_bn' : 'iris_mlp', [...layers, softmaxHead(3, seeds)]);
}

import * as tf from '@tensorflow/tfjs';
import { SeedStream } from './seeds';

/** Where BN sits relative to the activation: the seeds use both orders. */
export type BnOrder = 'activation-then-bn' | 'bn-then-activation';

/** Options shared by the layer helpers below. */
export interface BlockOptions {
  batchNorm: boolean;
  order: BnOrder;
  activation: 'relu' | 'tanh';
  seeds: SeedStream;
}

/** Keras's BatchNormalization(), with tfjs's identical defaults (momentum 0.99, epsilon 1e-3). */
export function batchNorm(config: Parameters<typeof tf.layers.batchNormalization>[0] = {}): tf.layers.Layer {
  return tf.layers.batchNormalization(config);
}

/**
 * The layers after a weight layer: its activation and, when enabled, BN in the seed's order.
 * With 'activation-then-bn' the activation is fused into the weight layer as Keras's
 * `activation=` argument does, so layer lists and summaries match the seeds.
 */
function withActivation(
  weightLayer: (activation: 'relu' | 'tanh' | 'linear') => tf.layers.Layer,
  opts: BlockOptions,
): tf.layers.Layer[] {
  if (opts.order === 'activation-then-bn') {
    return [weightLayer(opts.activation), ...(opts.batchNorm ? [batchNorm()] : [])];
  }
  if (!opts.batchNorm) return [weightLayer(opts.activation)];
  return [weightLayer('linear'), batchNorm(), tf.layers.activation({ activation: opts.activation })];
}

/** A Conv2D followed by its activation and optional BN. */
export function convBlock(
  conv: { filters: number; kernelSize: number; strides?: number; padding?: 'valid' | 'same'; inputShape?: number[] },
  opts: BlockOptions,
): tf.layers.Layer[] {
  return withActivation(
    (activation) =>
      tf.layers.conv2d({
        ...conv,
        strides: conv.strides ?? 1,
        padding: conv.padding ?? 'valid',
        activation,
        kernelInitializer: opts.seeds.glorotUniform(),
      }),
    opts,
  );
}

/** A Dense layer followed by its activation and optional BN. */
export function denseBlock(units: number, opts: BlockOptions, inputShape?: number[]): tf.layers.Layer[] {
  return withActivation(
    (activation) => tf.layers.dense({ units, activation, inputShape, kernelInitializer: opts.seeds.glorotUniform() }),
    opts,
  );
}

/** The softmax classifier head every seed ends with. */
export function softmaxHead(classes: number, seeds: SeedStream): tf.layers.Layer {
  return tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: seeds.glorotUniform() });
}

/** Builds a Sequential model from a flat list of layers. */
export function sequential(name: string, layers: tf.layers.Layer[]): tf.Sequential {
  const model = tf.sequential({ name });
  for (const layer of layers) model.add(layer);
  return model;
}

/**
 * Training workloads for the tests and the kernel bench: a LeNet-5 with optional batch norm and a
 * VGG-style CIFAR CNN, the two conv nets whose training these kernels were written for, and a
 * small conv net with their layer patterns for quick training tests.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

/** Seeds every unseeded tfjs random op (initializers, shuffles draw from Math.random). */
export function seedAll(seed: number): void {
  seedrandom(String(seed), { global: true });
}

/**
 * A small conv net with the layer patterns of the collection, on 12×12×2 inputs:
 * conv(linear) -> BN -> ReLU (the fused conv), max pool, a strided conv(tanh), softmax over 3.
 */
export function smallConvNet(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [12, 12, 2],
        filters: 8,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: init(1),
      }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'tanh', kernelInitializer: init(2) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
}

/** LeNet-5 on 32×32×1 images: tanh convolutions, average pools, BN after each conv if asked. */
export function lenet(batchNorm: boolean): tf.Sequential {
  const model = tf.sequential();
  const conv = (filters: number, inputShape?: number[]) => {
    model.add(tf.layers.conv2d({ inputShape, filters, kernelSize: 5, activation: 'tanh' }));
    if (batchNorm) model.add(tf.layers.batchNormalization());
  };
  conv(6, [32, 32, 1]);
  model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }));
  conv(16);
  model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }));
  conv(120);
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 84, activation: 'tanh' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

/** A VGG-style CNN on 32×32×3 images: three blocks of two 3×3 conv + BN + ReLU, then max pools. */
export function vggCnn(): tf.Sequential {
  const model = tf.sequential();
  for (const [i, filters] of [32, 64, 128].entries()) {
    for (const first of [true, false]) {
      const inputShape = i === 0 && first ? [32, 32, 3] : undefined;
      model.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', inputShape }));
      model.add(tf.layers.batchNormalization());
      model.add(tf.layers.activation({ activation: 'relu' }));
    }
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }));
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 256 }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.activation({ activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

/** Adam and sparse cross-entropy, as a classifier is usually compiled. */
export function compileClassifier(model: tf.LayersModel): void {
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
}

/**
 * The seeds' architectures for the bench and the tests, written the way the notebooks write them
 * (tf.sequential + model.add, BN where the seed puts it). The notebooks keep their own inline
 * copies: there the model is the lesson; here it is a workload. tests/unit/models.test.ts holds
 * these to Keras's parameter counts, and tests/integration/notebooks.test.ts holds each notebook's
 * own model summary to its copy here.
 */
import * as tf from '@tensorflow/tfjs';

/** Seed 000's LeNet variant (notebooks 1 and 5); seed 004 uses a 1×1, stride-5 third convolution. */
export function lenet(batchNorm: boolean, conv3 = { kernelSize: 5, strides: 1 }): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [32, 32, 1], filters: 6, kernelSize: 5, strides: 1, activation: 'tanh' }));
  if (batchNorm) model.add(tf.layers.batchNormalization());
  model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, strides: 1, activation: 'tanh' }));
  if (batchNorm) model.add(tf.layers.batchNormalization());
  model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ filters: 120, ...conv3, activation: 'tanh' }));
  if (batchNorm) model.add(tf.layers.batchNormalization());
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 84, activation: 'tanh' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

/** Seed 001's small CIFAR-10 CNN (notebook 2): ReLU convolutions, each followed by BN. */
export function smallCifarCnn(): tf.Sequential {
  const model = tf.sequential();
  const conv = (filters: number, inputShape?: number[]) => {
    model.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', inputShape, activation: 'relu' }));
    model.add(tf.layers.batchNormalization());
  };
  conv(8, [32, 32, 3]);
  conv(8);
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  conv(16);
  conv(16);
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 256, activation: 'relu' }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

/** Seed 003's VGG-style CNN (notebook 4): convolution, BN, then ReLU; same-padded pools. */
export function vggCnn(batchNorm = true): tf.Sequential {
  const model = tf.sequential();
  const convBnRelu = (filters: number, inputShape?: number[]) => {
    model.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', inputShape }));
    if (batchNorm) model.add(tf.layers.batchNormalization());
    model.add(tf.layers.activation({ activation: 'relu' }));
  };
  for (const [i, filters] of [32, 64, 128].entries()) {
    convBnRelu(filters, i === 0 ? [32, 32, 3] : undefined);
    convBnRelu(filters);
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }));
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 256 }));
  if (batchNorm) model.add(tf.layers.batchNormalization());
  model.add(tf.layers.activation({ activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

/** Seed 002's deep iris MLP (notebook 3): BN after every hidden layer, the last with the seed's settings. */
export function irisMlp(batchNorm: boolean): tf.Sequential {
  const model = tf.sequential();
  const units = [64, 128, 128, 64, 64];
  units.forEach((n, i) => {
    model.add(tf.layers.dense({ units: n, activation: 'relu', ...(i === 0 ? { inputShape: [4] } : {}) }));
    if (!batchNorm) return;
    const last = i === units.length - 1;
    model.add(
      tf.layers.batchNormalization(
        last
          ? {
              momentum: 0.95,
              epsilon: 0.005,
              betaInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.05 }),
              gammaInitializer: tf.initializers.constant({ value: 0.9 }),
            }
          : {},
      ),
    );
  });
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  return model;
}

/** Compiles a classifier as the notebooks do: Adam, cross-entropy for integer or one-hot labels, accuracy. */
export function compileClassifier(
  model: tf.LayersModel,
  labels: 'sparse' | 'onehot' = 'sparse',
  learningRate = 1e-3,
): void {
  const loss = labels === 'sparse' ? 'sparseCategoricalCrossentropy' : 'categoricalCrossentropy';
  model.compile({ optimizer: tf.train.adam(learningRate), loss, metrics: ['accuracy'] });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { irisMlp, lenet, smallCifarCnn, vggCnn } from '../../scripts/reference-models';
import { countParams, summaryRows, summaryText } from '../../lib/notebook/summary';

// The bench's reference models against what Keras's model.summary() reports for the seeds' models
// (derived by hand: conv k*k*cin*cout+cout, dense in*out+out, BN 4 per channel, 2 non-trainable);
// the notebook tests check the notebooks' own summaries against the same numbers.
const types = (m: tf.LayersModel) => summaryRows(m).map((r) => r.type);

test('LeNet without BN: seed 000 layer order and Keras parameter count', () => {
  const m = lenet(false);
  assert.deepEqual(types(m), [
    'Conv2D',
    'AveragePooling2D',
    'Conv2D',
    'AveragePooling2D',
    'Conv2D',
    'Flatten',
    'Dense',
    'Dense',
  ]);
  assert.deepEqual(countParams(m), { total: 61706, trainable: 61706, nonTrainable: 0 });
  assert.deepEqual(m.outputs[0].shape, [null, 10]);
  const conv = m.layers[0].getConfig();
  assert.equal(conv.activation, 'tanh');
});

test('LeNet with BN: BN right after each tanh convolution', () => {
  const m = lenet(true);
  assert.deepEqual(types(m), [
    'Conv2D',
    'BatchNormalization',
    'AveragePooling2D',
    'Conv2D',
    'BatchNormalization',
    'AveragePooling2D',
    'Conv2D',
    'BatchNormalization',
    'Flatten',
    'Dense',
    'Dense',
  ]);
  assert.deepEqual(countParams(m), { total: 62274, trainable: 61990, nonTrainable: 284 });
});

test("seed 004's LeNet: 1x1 conv with stride 5 still yields 1x1x120", () => {
  const m = lenet(true, { kernelSize: 1, strides: 5 });
  assert.equal(countParams(m).total, 16194);
  assert.equal(summaryRows(m)[6].outputShape, '(None, 1, 1, 120)');
});

test('small CIFAR CNN (seed 001): ReLU then BN, Keras parameter count', () => {
  const m = smallCifarCnn();
  assert.deepEqual(types(m).slice(0, 5), [
    'Conv2D',
    'BatchNormalization',
    'Conv2D',
    'BatchNormalization',
    'MaxPooling2D',
  ]);
  assert.deepEqual(countParams(m), { total: 270482, trainable: 270482 - 608, nonTrainable: 608 });
  assert.equal(m.layers[0].getConfig().activation, 'relu');
});

test('VGG-style CNN (seed 003): conv, BN, then ReLU; same-padded pools', () => {
  const m = vggCnn();
  assert.deepEqual(types(m).slice(0, 7), [
    'Conv2D',
    'BatchNormalization',
    'Activation',
    'Conv2D',
    'BatchNormalization',
    'Activation',
    'MaxPooling2D',
  ]);
  assert.equal(m.layers[0].getConfig().activation, 'linear');
  assert.deepEqual(countParams(m), { total: 816938, trainable: 816938 - 1408, nonTrainable: 1408 });
  const plain = vggCnn(false);
  assert.ok(!types(plain).includes('BatchNormalization'));
  assert.equal(countParams(plain).total, 816938 - 1408 * 2);
});

test("iris MLP (seed 002): BN after every hidden layer, the last with the seed's settings", () => {
  assert.equal(countParams(irisMlp(false)).total, 37763);
  const m = irisMlp(true);
  assert.deepEqual(countParams(m), { total: 39555, trainable: 39555 - 896, nonTrainable: 896 });
  const bns = m.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  assert.equal(bns.length, 5);
  const last = bns[4].getConfig();
  assert.equal(last.momentum, 0.95);
  assert.equal(last.epsilon, 0.005);
  assert.equal(bns[0].getConfig().momentum, 0.99);
  const gamma = bns[4].getWeights()[0].dataSync();
  assert.ok(Array.from(gamma).every((g) => Math.abs(g - 0.9) < 1e-7));
  const beta = Array.from(bns[4].getWeights()[1].dataSync());
  assert.ok(beta.some((b) => b !== 0) && beta.every((b) => Math.abs(b) < 0.3));
});

test('summaries name layers as Keras does, counted per model, keeping names a user chose', () => {
  tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] }); // bumps tfjs's global counters
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.conv2d({ filters: 2, kernelSize: 3 }));
  m.add(tf.layers.batchNormalization({ name: 'my_bn' }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3 }));
  const names = summaryRows(m).map((r) => r.name);
  assert.deepEqual(names, ['conv2d', 'batch_normalization', 'conv2d_1', 'my_bn', 'flatten', 'dense']);
  assert.match(summaryText(m), /conv2d_1 \(Conv2D\)\s+\(None, 4, 4, 2\)\s+38/);
});

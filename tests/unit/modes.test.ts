import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { projectPath } from '../../lib/project';
import { loadMnist } from '../../lib/data/mnist';
import { evaluateModel } from '../../lib/experiments/evaluate';
import { trainSteps } from '../../lib/experiments/loop';
import { batchRenorm } from '../../lib/layers/batch-renorm';
import { setSeed } from '../../lib/training/seed';

const mnistFixture = { dir: projectPath('data', 'fixtures', 'mnist') };

async function data() {
  await tf.setBackend('cpu');
  return loadMnist({ ...mnistFixture, trainCount: 64, testCount: 40 });
}

function bnMlp(renorm = false): tf.Sequential {
  setSeed(2);
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [32, 32, 1] }));
  model.add(tf.layers.dense({ units: 16 }));
  model.add(
    renorm
      ? batchRenorm({ rmaxStartStep: 0, rmaxEndStep: 4, dmaxStartStep: 0, dmaxEndStep: 4 })
      : tf.layers.batchNormalization(),
  );
  model.add(tf.layers.activation({ activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

const stats = (m: tf.LayersModel) => m.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));

test('evaluateModel in training mode equals model.apply(training) per batch, in the given order, and restores the moving statistics', async () => {
  const mn = await data();
  const model = bnMlp();
  const x = mn.test.images.slice(0, 8);
  const y = mn.test.labels.slice(0, 8);
  const before = stats(model);
  const order = Int32Array.from([7, 6, 5, 4, 3, 2, 1, 0]);
  const e = evaluateModel(model, x, y, { training: true, batchSize: 4, order });
  assert.deepEqual(stats(model), before);
  // Rows 7..4 form one batch and 3..0 the other; predictions come back in the original order.
  const first = tf.argMax(model.apply(tf.gather(x, [7, 6, 5, 4]), { training: true }) as tf.Tensor, -1).dataSync();
  const second = tf.argMax(model.apply(tf.gather(x, [3, 2, 1, 0]), { training: true }) as tf.Tensor, -1).dataSync();
  assert.deepEqual(Array.from(e.predicted), [
    second[3],
    second[2],
    second[1],
    second[0],
    first[3],
    first[2],
    first[1],
    first[0],
  ]);
  model.dispose();
});

test('a batch of one in training mode: every image gets the same class (BN outputs β)', async () => {
  const mn = await data();
  const model = bnMlp();
  await trainSteps(model, mn.train.images, mn.train.labels, { steps: 8, batchSize: 16 });
  const single = evaluateModel(model, mn.test.images, mn.test.labels, { training: true, batchSize: 1 });
  assert.equal(new Set(single.predicted).size, 1);
  const inference = evaluateModel(model, mn.test.images, mn.test.labels);
  assert.ok(new Set(inference.predicted).size > 1, 'inference mode still tells images apart');
  model.dispose();
});

test('batch renormalization inside the shared loop: the step counter counts training steps only', async () => {
  const mn = await data();
  const model = bnMlp(true);
  const layer = model.layers[2];
  const trace = await trainSteps(model, mn.train.images, mn.train.labels, {
    steps: 6,
    batchSize: 8,
    every: 3,
    probe: () => ({ counter: layer.getWeights()[4].dataSync()[0] }),
  });
  assert.deepEqual(trace.series.counter, [0, 3, 6]);
  evaluateModel(model, mn.test.images, mn.test.labels, { training: true, batchSize: 8 });
  assert.equal(layer.getWeights()[4].dataSync()[0], 6, 'a training-mode evaluation must not advance the warm-up');
  model.dispose();
});

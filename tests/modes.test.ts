import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { join, resolve } from 'node:path';
import { loadMnist } from '../lib/data';
import { buildNormMlp, compareSmallBatches, smallBatchFigure, withBatchRenorm } from '../lib/layers/small-batch';
import { BatchRenormalization } from '../lib/layers/batch-renorm';
import { compareModes, modesFigure, movingMeanFigure, predictWithBatchStatistics, trackMovingMean } from '../lib/experiments/modes';
import { buildSmallCifarCnn } from '../lib/models';

const mnistFixture = { dir: join(resolve(__dirname, '..', '..'), 'data', 'fixtures', 'mnist') };

async function data() {
  await tf.setBackend('cpu');
  return loadMnist({ ...mnistFixture, trainCount: 64, testCount: 40 });
}

test('predictWithBatchStatistics equals model.apply(training) per batch and leaves the moving statistics alone', async () => {
  const mn = await data();
  const model = buildNormMlp({ hidden: [16], seed: 2 });
  const before = model.getWeights().map((w) => Array.from(w.dataSync()));
  const x = mn.test.images.slice(0, 8);
  const got = predictWithBatchStatistics(model, x, 4).arraySync();
  const after = model.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(after, before);
  const expected = (tf.concat([model.apply(x.slice(0, 4), { training: true }) as tf.Tensor, model.apply(x.slice(4, 4), { training: true }) as tf.Tensor]) as tf.Tensor2D).arraySync();
  got.flat().forEach((v, i) => assert.ok(Math.abs(v - expected.flat()[i]) < 1e-6));
});

test('compareModes: a batch of one makes every prediction the same', async () => {
  const mn = await data();
  const model = buildNormMlp({ hidden: [16], seed: 2 });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await model.fit(mn.train.images, mn.train.labels, { epochs: 2, batchSize: 16, verbose: 0 });
  const r = compareModes(model, mn.test, { batchSizes: [1, 40] });
  const probs = predictWithBatchStatistics(model, mn.test.images, 1);
  assert.equal(new Set(Array.from(tf.argMax(probs, -1).dataSync())).size, 1);
  assert.equal(r.rows.length, 2);
  assert.ok(r.inferenceAcc >= 0 && r.inferenceAcc <= 1);
  assert.equal(modesFigure(r).data.length, 3);
});

test('trackMovingMean: momentum changes only the moving statistics, not the weights', async () => {
  const mn = await data();
  const r = await trackMovingMean(mn, { momenta: [0.5, 0.99], steps: 6, batchSize: 16, every: 3, referenceCount: 64, hidden: [8] });
  assert.deepEqual(r.steps, [0, 3, 6]);
  assert.equal(r.weightDifference, 0);
  // Momentum 0.5 follows the data faster than 0.99 (both start at 0).
  assert.ok(r.meanGap[0][2] < r.meanGap[1][2]);
  assert.equal(movingMeanFigure(r).data.length, 5);
});

test('withBatchRenorm swaps every BN layer and keeps the initial weights', async () => {
  await tf.setBackend('cpu');
  const bn = buildSmallCifarCnn({ seed: 4 });
  const rn = withBatchRenorm(bn, { rmax: 2, dmax: 1 });
  assert.equal(rn.layers.filter((l) => l instanceof BatchRenormalization).length, bn.layers.filter((l) => l.getClassName() === 'BatchNormalization').length);
  assert.ok(!rn.layers.some((l) => l.getClassName() === 'BatchNormalization'));
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5);
  const a = (bn.predict(x) as tf.Tensor).dataSync();
  const b = (rn.predict(x) as tf.Tensor).dataSync();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6));
});

test('compareSmallBatches runs both methods at each batch size', async () => {
  const mn = await data();
  const r = await compareSmallBatches(mn, { batchSizes: [4, 16], samples: 32, hidden: [8] });
  assert.equal(r.runs.length, 4);
  assert.deepEqual(r.runs.map((x) => x.steps), [8, 2, 8, 2]);
  assert.equal(smallBatchFigure(r).data.length, 2);
});

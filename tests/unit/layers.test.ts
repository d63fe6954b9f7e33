import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import {
  BatchRenormalization,
  batchRenorm,
  renormClipping,
  PAPER_RENORM_SCHEDULE,
} from '../../lib/layers/batch-renorm';

const EPS = 1e-3;

async function cpu() {
  await tf.setBackend('cpu');
  await tf.ready();
}

function randomMatrix(rows: number, cols: number, seed: string, scale = 1, shift = 0): number[][] {
  const rng = seedrandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => shift + scale * (rng() * 2 - 1)));
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4, what = '') {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= tol * (1 + Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** The layer's training-mode computation in plain JS, on rows × channels. */
function reference(
  x: number[][],
  p: { gamma: number[]; beta: number[]; mm: number[]; mv: number[]; rmax: number; dmax: number; momentum?: number },
) {
  const n = x.length;
  const c = x[0].length;
  const mu = Array.from({ length: c }, (_, j) => x.reduce((s, row) => s + row[j], 0) / n);
  const vb = Array.from({ length: c }, (_, j) => x.reduce((s, row) => s + (row[j] - mu[j]) ** 2, 0) / n);
  const sb = vb.map((v) => Math.sqrt(v + EPS));
  const s = p.mv.map((v) => Math.sqrt(v + EPS));
  const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const r = sb.map((v, j) => clip(v / s[j], 1 / p.rmax, p.rmax));
  const d = mu.map((v, j) => clip((v - p.mm[j]) / s[j], -p.dmax, p.dmax));
  const y = x.map((row) => row.map((v, j) => p.gamma[j] * (((v - mu[j]) / sb[j]) * r[j] + d[j]) + p.beta[j]));
  const decay = 1 - (p.momentum ?? 0.99);
  return {
    y,
    r,
    d,
    mm: p.mm.map((m, j) => m - (m - mu[j]) * decay),
    mv: p.mv.map((m, j) => m - (m - vb[j]) * decay),
    inference: x.map((row) => row.map((v, j) => (p.gamma[j] * (v - p.mm[j])) / s[j] + p.beta[j])),
  };
}

/** A built layer on [n, c] inputs with the given weights (step counter set to `step`). */
function layerWith(
  c: number,
  w: { gamma: number[]; beta: number[]; mm: number[]; mv: number[]; step?: number },
  config = {},
) {
  const layer = batchRenorm({ rmaxStartStep: 0, rmaxEndStep: 0, dmaxStartStep: 0, dmaxEndStep: 0, ...config });
  layer.build([null, c]);
  layer.setWeights([
    tf.tensor1d(w.gamma),
    tf.tensor1d(w.beta),
    tf.tensor1d(w.mm),
    tf.tensor1d(w.mv),
    tf.tensor1d([w.step ?? 0]),
  ]);
  return layer;
}

const flat = (m: number[][]) => m.flat();

// x's channels: mean ≈ 2 and spread ≈ 3 (so with moving mean 0 / variance 1 both r and d clip),
// then small ones.
const X = randomMatrix(8, 3, 'x', 3, 2);
const W = { gamma: [1.5, 0.7, 1.1], beta: [0.2, -0.1, 0.05], mm: [0, 0, 0], mv: [1, 1, 1] };

test('renorm schedule: rmax 1→final and dmax 0→final, linear over the configured steps', () => {
  const s = { rmax: 3, dmax: 5, rmaxStartStep: 100, rmaxEndStep: 300, dmaxStartStep: 100, dmaxEndStep: 200 };
  assert.deepEqual(renormClipping(0, s), { rmax: 1, dmax: 0 });
  assert.deepEqual(renormClipping(100, s), { rmax: 1, dmax: 0 });
  assert.deepEqual(renormClipping(150, s), { rmax: 1.5, dmax: 2.5 });
  assert.deepEqual(renormClipping(200, s), { rmax: 2, dmax: 5 });
  assert.deepEqual(renormClipping(1000, s), { rmax: 3, dmax: 5 });
  // The paper's defaults: plain BN for 5k steps, rmax 3 at 40k, dmax 5 at 25k.
  assert.equal(renormClipping(22500).rmax, 2);
  assert.equal(renormClipping(15000).dmax, 2.5);
  assert.deepEqual(renormClipping(40000), { rmax: PAPER_RENORM_SCHEDULE.rmax, dmax: PAPER_RENORM_SCHEDULE.dmax });
});

test('training output matches the plain-JS formula, with r and d clipped and not clipped', async () => {
  await cpu();
  for (const [rmax, dmax] of [
    [1.5, 0.5],
    [100, 100],
  ]) {
    const layer = layerWith(3, W, { rmax, dmax });
    const ref = reference(X, { ...W, rmax, dmax });
    const clipped = ref.r.some((r) => r === rmax || r === 1 / rmax) && ref.d.some((d) => Math.abs(d) === dmax);
    assert.equal(clipped, rmax === 1.5, 'the test data clips only with the tight bounds');
    const y = layer.apply(tf.tensor2d(X), { training: true }) as tf.Tensor;
    close(y.dataSync(), flat(ref.y), 1e-4, `y (rmax ${rmax})`);
  }
});

test('gradients treat r and d as constants (stop_gradient), clipped or not', async () => {
  await cpu();
  const w = randomMatrix(8, 3, 'w');
  for (const [rmax, dmax] of [
    [1.5, 0.5],
    [100, 100],
  ]) {
    const ref = reference(X, { ...W, rmax, dmax });
    // Reference: BN written out with tf ops, r and d entered as constants.
    const r = tf.tensor1d(ref.r);
    const d = tf.tensor1d(ref.d);
    const expected = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, 0);
      const xhat = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS))), r), d);
      return tf.sum(tf.mul(tf.add(tf.mul(xhat, g), b), tf.tensor2d(w)));
    })([tf.tensor2d(X), tf.tensor1d(W.gamma), tf.tensor1d(W.beta)]);

    const layer = layerWith(3, W, { rmax, dmax });
    const [gammaVar, betaVar] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const x = tf.tensor2d(X);
    const dx = tf.grad((xi: tf.Tensor) =>
      tf.sum(tf.mul(layer.apply(xi, { training: true }) as tf.Tensor, tf.tensor2d(w))),
    )(x);
    layer.setWeights([
      tf.tensor1d(W.gamma),
      tf.tensor1d(W.beta),
      tf.tensor1d(W.mm),
      tf.tensor1d(W.mv),
      tf.tensor1d([0]),
    ]);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, tf.tensor2d(w))) as tf.Scalar,
      [gammaVar, betaVar],
    );
    close(dx.dataSync(), expected[0].dataSync(), 1e-4, `dx (rmax ${rmax})`);
    close(grads[gammaVar.name].dataSync(), expected[1].dataSync(), 1e-4, `dgamma (rmax ${rmax})`);
    close(grads[betaVar.name].dataSync(), expected[2].dataSync(), 1e-4, `dbeta (rmax ${rmax})`);
  }
});

test('inference uses the moving statistics; training updates them with the momentum', async () => {
  await cpu();
  const mv = [0.5, 2, 1.3];
  const mm = [0.3, -0.2, 1];
  const layer = layerWith(3, { ...W, mm, mv }, { rmax: 2, dmax: 1, momentum: 0.9 });
  const ref0 = reference(X, { ...W, mm, mv, rmax: 2, dmax: 1, momentum: 0.9 });
  close((layer.apply(tf.tensor2d(X)) as tf.Tensor).dataSync(), flat(ref0.inference), 1e-4, 'inference (no kwargs)');
  close(
    (layer.apply(tf.tensor2d(X), { training: false }) as tf.Tensor).dataSync(),
    flat(ref0.inference),
    1e-4,
    'inference',
  );
  // Several training steps on different batches: each output uses the statistics before its step.
  let stats = { mm, mv };
  for (let i = 0; i < 5; i++) {
    const xb = randomMatrix(6, 3, `batch${i}`, 2, 1);
    const ref = reference(xb, { ...W, ...stats, rmax: 2, dmax: 1, momentum: 0.9 });
    close((layer.apply(tf.tensor2d(xb), { training: true }) as tf.Tensor).dataSync(), flat(ref.y), 1e-4, `y step ${i}`);
    stats = { mm: ref.mm, mv: ref.mv };
  }
  const [, , movingMean, movingVariance, step] = layer.getWeights().map((t) => Array.from(t.dataSync()));
  close(movingMean, stats.mm, 1e-5, 'moving mean');
  close(movingVariance, stats.mv, 1e-5, 'moving variance');
  assert.deepEqual(step, [5]);
});

test('the step counter drives the warm-up inside the layer', async () => {
  await cpu();
  const schedule = { rmax: 3, dmax: 2, rmaxStartStep: 10, rmaxEndStep: 30, dmaxStartStep: 10, dmaxEndStep: 20 };
  for (const step of [0, 10, 15, 20, 25, 40]) {
    const layer = layerWith(3, { ...W, step }, schedule);
    const { rmax, dmax } = renormClipping(step, schedule);
    const ref = reference(X, { ...W, rmax, dmax });
    close((layer.apply(tf.tensor2d(X), { training: true }) as tf.Tensor).dataSync(), flat(ref.y), 1e-4, `step ${step}`);
    assert.deepEqual(Array.from(layer.getWeights()[4].dataSync()), [step + 1]);
  }
});

test('with rmax = 1 and dmax = 0 it is tfjs BatchNormalization (conv-shaped input, several steps)', async () => {
  await cpu();
  const bn = tf.layers.batchNormalization({ momentum: 0.9 });
  const rn = new BatchRenormalization({ momentum: 0.9, rmax: 1, dmax: 0 });
  const shape = [4, 5, 5, 3];
  bn.build(shape);
  rn.build(shape);
  for (let i = 0; i < 4; i++) {
    const x = tf.randomNormal(shape, 1.5, 2, 'float32', 100 + i);
    const a = (bn.apply(x, { training: true }) as tf.Tensor).dataSync();
    const b = (rn.apply(x, { training: true }) as tf.Tensor).dataSync();
    close(b, a, 1e-5, `training output step ${i}`);
  }
  const x = tf.randomNormal(shape, 1, 1, 'float32', 7);
  close((rn.apply(x) as tf.Tensor).dataSync(), (bn.apply(x) as tf.Tensor).dataSync(), 1e-5, 'inference output');
  const bw = bn.getWeights().map((t) => Array.from(t.dataSync()));
  const rw = rn.getWeights().map((t) => Array.from(t.dataSync()));
  close(rw[2], bw[2], 1e-5, 'moving mean');
  close(rw[3], bw[3], 1e-5, 'moving variance');
});

function renormModel(seed = 3) {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 6, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  model.add(
    batchRenorm({
      rmax: 2,
      dmax: 1,
      rmaxStartStep: 1,
      rmaxEndStep: 5,
      dmaxStartStep: 1,
      dmaxEndStep: 3,
      momentum: 0.8,
    }),
  );
  model.add(
    tf.layers.dense({
      units: 3,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

test('inside model.fit: training steps update the moving statistics and the step counter', async () => {
  await cpu();
  const model = renormModel();
  const x = tf.tensor2d(randomMatrix(20, 4, 'fit', 2, 1));
  const y = tf.tensor1d([...Array(20).keys()].map((i) => i % 3));
  await model.fit(x, y, { epochs: 2, batchSize: 5, shuffle: false, verbose: 0, validationData: [x, y] });
  const [, , mm, , step] = model.layers[1].getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(step, [8], 'one step per training batch; validation does not count');
  assert.ok(
    mm.some((v) => Math.abs(v) > 1e-3),
    'moving mean moved',
  );
  // predict() is inference mode: no updates.
  model.predict(x);
  assert.deepEqual(Array.from(model.layers[1].getWeights()[4].dataSync()), [8]);
});

test('serialization: toJSON/modelFromJSON and an in-memory save round-trip config and weights', async () => {
  await cpu();
  const model = renormModel();
  const x = tf.tensor2d(randomMatrix(20, 4, 'ser', 2, 1));
  const y = tf.tensor1d([...Array(20).keys()].map((i) => i % 3));
  await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
  const expected = (model.predict(x) as tf.Tensor).dataSync();

  const json = model.toJSON(null, false) as tf.serialization.ConfigDict;
  const copy = await tf.models.modelFromJSON(json);
  const layer = copy.layers[1];
  assert.ok(layer instanceof BatchRenormalization);
  assert.deepEqual(layer.getConfig(), model.layers[1].getConfig());
  copy.setWeights(model.getWeights());
  close((copy.predict(x) as tf.Tensor).dataSync(), expected, 1e-6, 'modelFromJSON + setWeights');

  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  close((loaded.predict(x) as tf.Tensor).dataSync(), expected, 1e-6, 'save + loadLayersModel');
  const names = (artifacts!.weightSpecs ?? []).map((s) => s.name.split('/').pop());
  assert.ok(names.includes('renorm_step') && names.includes('moving_variance'));
  assert.deepEqual(Array.from(loaded.layers[1].getWeights()[4].dataSync()), [5]);
  assert.equal((loaded.layers[1].getConfig() as { rmaxEndStep: number }).rmaxEndStep, 5);
});

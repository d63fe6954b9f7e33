import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, loadCifar10, loadMnist, standardizePerChannel } from '../lib';
import { buildDeepMlp, evaluateModel, keepingMovingStats, preActivationTaps, trainingLoss } from '../lib/experiments/common';
import { driftFigure, driftSummary, measureDrift } from '../lib/experiments/drift';
import { measureSmoothness, probeAlongGradient, smoothnessFigure, smoothnessSummary } from '../lib/experiments/smoothness';
import { lrSweep, lrSweepFigure, lrSweepSummary } from '../lib/experiments/lr-sweep';
import { compareDropout, dropoutGapFigure, dropoutSummary } from '../lib/experiments/dropout';

const fixtures = join(resolve(__dirname, '..', '..'), 'data', 'fixtures');

async function mnist() {
  await initBackend('cpu');
  return loadMnist({ trainCount: 200, testCount: 100, dir: join(fixtures, 'mnist') });
}

const allFinite = (xs: number[]) => xs.every(Number.isFinite);
const weightsOf = (model: tf.LayersModel) => model.weights.map((w) => Array.from(w.read().dataSync()));

test('buildDeepMlp: separate activation layers, tapped before each activation (BN output with BN)', async () => {
  await initBackend('cpu');
  const plain = buildDeepMlp({ depth: 3, units: 20 });
  const withBn = buildDeepMlp({ depth: 3, units: 20, batchNorm: true });
  assert.deepEqual(plain.outputs[0].shape, [null, 10]);
  const p = preActivationTaps(plain);
  const b = preActivationTaps(withBn);
  assert.deepEqual(p.preActivation.map((l) => l.getClassName()), ['Dense', 'Dense', 'Dense']);
  assert.deepEqual(p.linear, p.preActivation);
  assert.deepEqual(b.preActivation.map((l) => l.getClassName()), ['BatchNormalization', 'BatchNormalization', 'BatchNormalization']);
  assert.deepEqual(b.linear.map((l) => l.getClassName()), ['Dense', 'Dense', 'Dense']);
  plain.dispose();
  withBn.dispose();
});

test('measureDrift: probe series are well formed; BN pre-activations stay normalized; memory flat', async () => {
  const data = await mnist();
  const before = tf.memory().numTensors;
  const result = await measureDrift({ x: data.train.images, y: data.train.labels, steps: 10, probeEvery: 5, probeSize: 64, depth: 3, units: 32 });
  assert.equal(tf.memory().numTensors, before, 'measureDrift leaks tensors');
  for (const run of [result.plain, result.bn]) {
    assert.deepEqual(run.steps, [0, 5, 10]);
    assert.equal(run.preActivation.length, 3);
    assert.ok(allFinite(run.loss));
    for (const s of [...run.preActivation, ...run.linear]) {
      for (const key of ['mean', 'std', 'p15', 'p50', 'p85'] as const) {
        assert.equal(s[key].length, 3);
        assert.ok(allFinite(s[key]), `${run.arm} ${s.name} ${key}`);
      }
      s.p15.forEach((v, t) => assert.ok(v <= s.p50[t] && s.p50[t] <= s.p85[t]));
      assert.equal(s.unitMean[0].length, 32);
    }
  }
  // Training-mode BN on the probe batch: each unit has mean beta and std ~gamma (1 at the start).
  for (const s of result.bn.preActivation) {
    assert.ok(Math.abs(s.mean[0]) < 1e-3, `BN mean ${s.mean[0]}`);
    assert.ok(Math.abs(s.std[0] - 1) < 0.02, `BN std ${s.std[0]}`);
    assert.ok(Math.abs(s.std.at(-1)! - 1) < 0.1, `BN std after training ${s.std.at(-1)}`);
  }
  // Without BN the probe measures the Dense output itself.
  assert.deepEqual(result.plain.preActivation[0].mean, result.plain.linear[0].mean);
  const summary = driftSummary(result);
  assert.equal(summary.layers.length, 3);
  assert.ok(summary.layers.every((l) => Number.isFinite(l.plainMeanShift) && Number.isFinite(l.bnStdRatio)));
  assert.equal(summary.lines.length, 4);
  const fig = driftFigure(result);
  assert.equal(fig.data.length, 3 * 2 * 3);
  assert.ok(JSON.stringify(fig).length < 50_000);
  // Same seed, same measurements.
  const again = await measureDrift({ x: data.train.images, y: data.train.labels, steps: 10, probeEvery: 5, probeSize: 64, depth: 3, units: 32 });
  assert.deepEqual(again.plain.loss, result.plain.loss);
  assert.deepEqual(again.bn.preActivation[2].p50, result.bn.preActivation[2].p50);
});

test('probeAlongGradient: eta 0 gives the current loss and no gradient change; the model is left untouched', async () => {
  const data = await mnist();
  const x = data.train.images.slice(0, 32);
  const y = data.train.labels.slice(0, 32);
  for (const batchNorm of [false, true]) {
    const model = buildDeepMlp({ depth: 3, units: 32, batchNorm, activation: 'relu' });
    const lossBefore = tf.tidy(() => trainingLoss(model, x, y).dataSync()[0]);
    const inference = evaluateModel(model, x, y);
    // The helper's own loss call moved BN's moving statistics; measure from here on.
    keepingMovingStats(model, () => undefined);
    const weights = weightsOf(model);
    probeAlongGradient(model, x, y, [0, 0.1]); // warm-up (kernels, optimizer-free)
    const tensors = tf.memory().numTensors;
    const p = probeAlongGradient(model, x, y, [0, 1e-4, 0.1, 1]);
    assert.equal(tf.memory().numTensors, tensors, 'probe leaks tensors');
    assert.ok(Math.abs(p.losses[0] - p.loss) < 1e-6, `L(w) ${p.loss} vs L(w - 0 g) ${p.losses[0]}`);
    assert.ok(Math.abs(p.loss - lossBefore) < 1e-5);
    assert.ok(p.gradDiffs[0] < 1e-6, `gradient change at eta 0: ${p.gradDiffs[0]}`);
    // A tiny step changes the loss by the first-order prediction −η‖g‖².
    const predicted = -1e-4 * p.gradNorm ** 2;
    assert.ok(Math.abs(p.losses[1] - p.loss - predicted) < 0.1 * Math.abs(predicted) + 2e-6, `${p.losses[1] - p.loss} vs ${predicted}`);
    assert.ok(p.gradNorm > 0 && allFinite([...p.losses, ...p.gradDiffs]));
    assert.deepEqual(weightsOf(model), weights, 'weights or moving statistics changed');
    const after = evaluateModel(model, x, y);
    assert.equal(after.loss, inference.loss);
    model.dispose();
  }
  tf.dispose([x, y]);
});

test('measureSmoothness: per-step bands are ordered and finite; figure has both arms; memory flat', async () => {
  const data = await mnist();
  const before = tf.memory().numTensors;
  const result = await measureSmoothness({ x: data.train.images, y: data.train.labels, steps: 4, batchSize: 32, depth: 3, units: 32 });
  assert.equal(tf.memory().numTensors, before, 'measureSmoothness leaks tensors');
  for (const run of [result.plain, result.bn]) {
    assert.deepEqual(run.steps, [1, 2, 3, 4]);
    for (const key of ['loss', 'gradNorm', 'lossMin', 'lossMax', 'gradDiffMin', 'gradDiffMax', 'beta'] as const) {
      assert.equal(run[key].length, 4);
      assert.ok(allFinite(run[key]), `${run.arm} ${key}`);
    }
    run.lossMin.forEach((v, i) => assert.ok(v <= run.lossMax[i]));
    run.gradDiffMin.forEach((v, i) => assert.ok(v >= 0 && v <= run.gradDiffMax[i]));
  }
  const summary = smoothnessSummary(result);
  assert.ok(Number.isFinite(summary.lossRange.plain) && Number.isFinite(summary.gradChange.bn));
  const fig = smoothnessFigure(result);
  assert.equal(fig.data.length, 8);
});

test('lrSweep: one row per learning rate with accuracies in [0, 1]; log-x figure', async () => {
  const data = await mnist();
  const before = tf.memory().numTensors;
  const result = await lrSweep({
    xTrain: data.train.images, yTrain: data.train.labels, xTest: data.test.images, yTest: data.test.labels,
    learningRates: [0.01, 1], epochs: 1, depth: 2, units: 32,
  });
  assert.equal(tf.memory().numTensors, before, 'lrSweep leaks tensors');
  assert.deepEqual(result.rows.map((r) => r.learningRate), [0.01, 1]);
  for (const r of result.rows) {
    for (const acc of [r.plain, r.bn]) assert.ok(acc >= 0 && acc <= 1);
    assert.equal(typeof r.plainDiverged, 'boolean');
  }
  const summary = lrSweepSummary(result);
  assert.equal(summary.lines.length, 4);
  const fig = lrSweepFigure(result);
  assert.equal(fig.data.length, 2);
  assert.equal((fig.layout!.xaxis as { type: string }).type, 'log');
});

test('compareDropout: four variants, a gap per epoch, inference-mode training accuracy', async () => {
  await initBackend('wasm'); // the VGG model takes minutes on the cpu backend even at this size
  const c = await loadCifar10({ trainCount: 24, testCount: 12, scale: false, dir: join(fixtures, 'cifar10') });
  const { tensors: [xTrain, xVal] } = standardizePerChannel(c.train.images, c.test.images);
  const result = await compareDropout({ xTrain, yTrain: c.train.labels, xVal, yVal: c.test.labels, epochs: 2, batchSize: 12 });
  assert.deepEqual(result.runs.map((r) => r.variant), ['none', 'dropout', 'bn', 'both']);
  for (const r of result.runs) {
    assert.equal(r.accGap.length, 2);
    assert.equal(r.lossGap.length, 2);
    assert.ok(allFinite([...r.accGap, ...r.lossGap]));
    r.trainEval.acc.forEach((a, i) => assert.ok(Math.abs(a - r.history.history.val_acc[i] - r.accGap[i]) < 1e-9));
  }
  assert.equal(dropoutSummary(result).rows.length, 4);
  assert.equal(dropoutGapFigure(result).data.length, 8);
  tf.dispose([xTrain, xVal, c.train.images, c.train.labels, c.test.images, c.test.labels]);
});

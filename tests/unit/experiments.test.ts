import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { projectPath } from '../../lib/project';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../lib/data/mnist';
import { BatchStream, compiledLoss, globalNorm, lossAndGradients, trainSteps } from '../../lib/experiments/loop';
import { evaluateModel } from '../../lib/experiments/evaluate';
import { quantileSorted } from '../../lib/experiments/stats';
import { traceFigure } from '../../lib/experiments/figures';
import { setSeed } from '../../lib/training/seed';

const fixtures = projectPath('data', 'fixtures');

async function mnist() {
  await tf.setBackend('cpu');
  return loadMnist({ trainCount: 200, testCount: 100, dir: join(fixtures, 'mnist') });
}

/** A small MLP like the notebooks' (Dense → [BN] → ReLU), seeded through Math.random. */
function mlp(batchNorm: boolean, seed = 1): tf.Sequential {
  setSeed(seed);
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [32, 32, 1] }));
  model.add(tf.layers.dense({ units: 24 }));
  if (batchNorm) model.add(tf.layers.batchNormalization());
  model.add(tf.layers.activation({ activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

const weightsOf = (model: tf.LayersModel) => model.weights.map((w) => Array.from(w.read().dataSync()));

test('BatchStream: every row once per epoch, a short last batch, shuffled as model.fit shuffles after setSeed', () => {
  setSeed(3);
  const a = new BatchStream(10, 4);
  const epoch = [a.next(), a.next(), a.next()];
  assert.deepEqual(
    epoch.map((r) => r.length),
    [4, 4, 2],
  );
  assert.deepEqual(
    [...epoch.flatMap((r) => [...r])].sort((x, y) => x - y),
    [...Array(10).keys()],
  );
  setSeed(3);
  const b = new BatchStream(10, 4);
  assert.deepEqual([b.next(), b.next(), b.next()], epoch);
  assert.notDeepEqual(a.next(), epoch[0], 'the next epoch is reshuffled');
  // model.fit's order: tf.util.shuffle of 0..n-1 with Math.random, which setSeed seeds.
  setSeed(3);
  const fitOrder = Int32Array.from({ length: 10 }, (_, i) => i);
  tf.util.shuffle(fitOrder);
  assert.deepEqual([...epoch.flatMap((r) => [...r])], [...fitOrder]);
  assert.throws(() => new BatchStream(0, 4), /no training samples/);
});

test('trainSteps: probes at 0, every k and the end, with the batch of the next step; one loss per step', async () => {
  const data = await mnist();
  const model = mlp(false);
  const seen: number[] = [];
  const trace = await trainSteps(model, data.train.images, data.train.labels, {
    steps: 7,
    batchSize: 32,
    every: 3,
    probe: (step, xb) => {
      seen.push(xb.shape[0]);
      return { step2: step * 2 };
    },
  });
  assert.deepEqual(trace.steps, [0, 3, 6, 7]);
  assert.deepEqual(trace.series.step2, [0, 6, 12, 14]);
  assert.deepEqual(seen, [32, 32, 8, 32], 'batch 6 is the short end of the first epoch (200 = 6 × 32 + 8)');
  assert.equal(trace.loss.length, 7);
  assert.ok(trace.loss.every((l) => Number.isFinite(l) && l > 0));
  await assert.rejects(
    trainSteps(
      tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] }),
      data.train.images,
      data.train.labels,
      { steps: 1, batchSize: 1 },
    ),
    /compile/,
  );
  model.dispose();
});

test('trainSteps: the same setSeed gives the same weights; training moves BN moving statistics, probes do not', async () => {
  const data = await mnist();
  const run = async () => {
    const model = mlp(true);
    const before = Array.from(model.layers[2].getWeights()[2].dataSync());
    const probeOnly = await trainSteps(model, data.train.images, data.train.labels, {
      steps: 0,
      batchSize: 16,
      probe: (_s, xb, yb) => ({ loss: lossAndGradients(model, xb, yb).loss }),
    });
    assert.equal(probeOnly.steps.length, 1);
    assert.deepEqual(
      Array.from(model.layers[2].getWeights()[2].dataSync()),
      before,
      'a probe must not move the moving mean',
    );
    await trainSteps(model, data.train.images, data.train.labels, { steps: 5, batchSize: 16 });
    assert.notDeepEqual(
      Array.from(model.layers[2].getWeights()[2].dataSync()),
      before,
      'training steps update the moving mean',
    );
    const w = weightsOf(model);
    model.dispose();
    return w;
  };
  assert.deepEqual(await run(), await run());
});

test('lossAndGradients: the loss is the compiled loss in training mode; a tiny step lowers it by about η‖g‖²', async () => {
  const data = await mnist();
  const model = mlp(true);
  const x = data.train.images.slice(0, 32);
  const y = data.train.labels.slice(0, 32);
  const { loss, grads } = lossAndGradients(model, x, y);
  const direct = tf.tidy(() => compiledLoss(model)(y, model.apply(x, { training: true }) as tf.Tensor).dataSync()[0]);
  assert.ok(Math.abs(loss - direct) < 1e-5);
  assert.equal(grads.length, model.trainableWeights.length);
  const norm = globalNorm(grads);
  const eta = 1e-3;
  model.trainableWeights.forEach((w, i) =>
    (w.read() as tf.Variable).assign(tf.tidy(() => w.read().sub(grads[i].mul(eta)))),
  );
  const after = lossAndGradients(model, x, y);
  const predicted = -eta * norm ** 2;
  assert.ok(
    Math.abs(after.loss - loss - predicted) < 0.1 * Math.abs(predicted),
    `${after.loss - loss} vs ${predicted}`,
  );
  tf.dispose([...grads, ...after.grads, x, y]);
  model.dispose();
});

test('globalNorm is the L2 norm of all values together; compiledLoss is the compiled cross-entropy, −log p of the label', () => {
  assert.ok(Math.abs(globalNorm([tf.tensor([3]), tf.tensor([[4, 0]])]) - 5) < 1e-6);
  const probs = tf.tensor2d([
    [0.5, 0.25, 0.25],
    [0.1, 0.8, 0.1],
  ]);
  const model = mlp(false);
  const ce = compiledLoss(model)(tf.tensor1d([0, 1]), probs).dataSync()[0];
  assert.ok(Math.abs(ce - (-Math.log(0.5) - Math.log(0.8)) / 2) < 1e-6);
  assert.throws(
    () => compiledLoss(tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] })),
    /compile it first/,
  );
});

test('evaluateModel: inference mode equals model.predict and model.evaluate; accuracy counts the argmax hits', async () => {
  const data = await mnist();
  const model = mlp(true);
  await trainSteps(model, data.train.images, data.train.labels, { steps: 20, batchSize: 32 });
  const e = evaluateModel(model, data.test.images, data.test.labels, { batchSize: 30 });
  const probs = model.predict(data.test.images) as tf.Tensor;
  const predicted = Array.from(tf.argMax(probs, -1).dataSync());
  assert.deepEqual(Array.from(e.predicted), predicted);
  const labels = data.test.labels.dataSync();
  assert.equal(e.acc, predicted.filter((p, i) => p === labels[i]).length / predicted.length);
  const [loss, acc] = (model.evaluate(data.test.images, data.test.labels) as tf.Scalar[]).map((t) => t.dataSync()[0]);
  assert.ok(Math.abs(e.loss - loss) < 1e-5, `evaluateModel ${e.loss} vs model.evaluate ${loss}`);
  assert.ok(Math.abs(e.acc - acc) < 1e-6);
  assert.throws(() => evaluateModel(model, data.test.images, data.train.labels), /100 images but 200 labels/);
  model.dispose();
});

test('quantileSorted interpolates as numpy does', () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([0, 10], 0.25), 2.5);
});

test('traceFigure: one panel per entry, band + line per run, clear error for a missing series', () => {
  const t = (label: string) => ({
    label,
    steps: [0, 1],
    series: { lo: [0, 1], hi: [2, 3], mid: [1, 2] },
    loss: [1],
    seconds: 0,
  });
  const fig = traceFigure(
    [t('a'), t('b')],
    [
      { title: 'x', band: ['lo', 'hi'], line: 'mid' },
      { title: 'y', line: 'mid', log: true },
    ],
  );
  assert.equal(fig.data.length, 2 * 3 + 2 * 1);
  assert.equal((fig.layout!.yaxis2 as { type: string }).type, 'log');
  assert.throws(() => traceFigure([t('a')], [{ title: 'z', line: 'nope' }]), /run 'a' has no series 'nope'/);
});

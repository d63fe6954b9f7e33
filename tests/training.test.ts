import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildIrisMlp, buildLeNet, compileClassifier, evaluate, fit, categoricalAccuracyOnIntegerLabels, sparseAccuracy, initBackend, loadIris, loadMnist, seededPermutation, sortByLabel } from '../lib';
import { formatDuration, formatLogs } from '../lib/training/progress';
import { join, resolve } from 'node:path';

const mnistFixture = { dir: join(resolve(__dirname, '..', '..'), 'data', 'fixtures', 'mnist') };

async function irisTensors() {
  await initBackend('cpu');
  const iris = await loadIris();
  const x = tf.tensor2d(iris.data);
  const y = tf.oneHot(tf.tensor1d(iris.target, 'int32'), 3).toFloat();
  return { x, y };
}

async function trainIris(seed: number, shuffle: boolean) {
  const { x, y } = await irisTensors();
  const model = buildIrisMlp({ batchNorm: true, seed: 3 });
  compileClassifier(model, { labels: 'onehot' });
  return fit(model, x, y, { epochs: 3, batchSize: 32, seed, shuffle, validationSplit: 0.2, verbose: 0 });
}

test('seeded permutations are permutations, reproducible, and differ by seed', () => {
  const a = seededPermutation(100, 'a');
  assert.deepEqual([...a].sort((p, q) => p - q), [...Array(100).keys()]);
  assert.deepEqual(a, seededPermutation(100, 'a'));
  assert.notDeepEqual(a, seededPermutation(100, 'b'));
});

test('fit: same seed gives identical histories; another seed or no shuffling changes them', async () => {
  const a = await trainIris(1, true);
  const b = await trainIris(1, true);
  assert.deepEqual(a.history, b.history);
  assert.deepEqual(Object.keys(a.history).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
  assert.equal(a.history.loss.length, 3);
  assert.notDeepEqual(a.history.loss, (await trainIris(2, true)).history.loss);
  assert.notDeepEqual(a.history.loss, (await trainIris(1, false)).history.loss);
});

test('validationSplit holds out the last 20% of rows, as Keras does', async () => {
  // 150 rows: 120 train (4 batches of 32) and 30 validation, so every val_acc is a multiple of 1/30.
  const h = await trainIris(1, true);
  for (const acc of h.history.val_acc) assert.ok(Math.abs(acc * 30 - Math.round(acc * 30)) < 1e-4, `val_acc ${acc}`);
});

test('fit rejects mismatched inputs with a clear message', async () => {
  const model = buildIrisMlp();
  compileClassifier(model, { labels: 'onehot' });
  await assert.rejects(fit(model, tf.zeros([10, 4]), tf.zeros([9, 3]), { epochs: 1 }), /x has 10 samples but y has 9/);
});

test("the seed's categorical_accuracy on integer labels measures the share of class-0 predictions", async () => {
  await initBackend('cpu');
  const { test: t } = await loadMnist({ trainCount: 0, testCount: 100, ...mnistFixture });
  const model = buildLeNet({ seed: 1 });
  compileClassifier(model);
  const predictions = (model.predict(t.images) as tf.Tensor).argMax(-1);
  const shareOfZero = predictions.equal(0).mean().dataSync()[0];
  assert.ok(Math.abs(categoricalAccuracyOnIntegerLabels(model, t.images, t.labels) - shareOfZero) < 1e-6);
  const { acc } = evaluate(model, t.images, t.labels);
  assert.ok(Math.abs(acc - sparseAccuracy(model, t.images, t.labels)) < 1e-6, 'evaluate reports sparse categorical accuracy');
});

test('sortByLabel orders samples by class and keeps images with their labels', async () => {
  await initBackend('cpu');
  const { train } = await loadMnist({ trainCount: 50, testCount: 0, ...mnistFixture });
  const [x, y] = sortByLabel(train.images, train.labels);
  const labels = Array.from(y.dataSync());
  assert.deepEqual(labels, [...labels].sort((a, b) => a - b));
  const first = Array.from(train.labels.dataSync()).indexOf(labels[0]);
  assert.deepEqual(Array.from(x.slice(0, 1).dataSync()), Array.from(train.images.slice(first, 1).dataSync()));
});

test('progress formatting reads like Keras', () => {
  assert.equal(formatDuration(45.2), '45s');
  assert.equal(formatDuration(62), '1:02');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatLogs({ loss: 0.123456, acc: 0.9 }), ' - loss: 0.1235 - acc: 0.9000');
});

test('progress shows metrics averaged over the epoch so far, weighted by batch size', async () => {
  const { RunningMean } = await import('../lib/training/fit');
  const m = new RunningMean();
  assert.deepEqual(m.add({ batch: 0, size: 32, loss: 1, acc: 0.5 }), { loss: 1, acc: 0.5 });
  const second = m.add({ batch: 1, size: 16, loss: 4, acc: 1 });
  assert.ok(Math.abs(second.loss - 2) < 1e-12 && Math.abs(second.acc - 2 / 3) < 1e-12);
});

test('moving-average lag: momentum^steps, with a warning only while it is large', async () => {
  const { movingAverageLag, movingAverageWarning } = await import('../lib/training/metrics');
  assert.ok(Math.abs(movingAverageLag(100) - 0.99 ** 100) < 1e-15);
  assert.match(movingAverageWarning(24), /24번뿐/);
  assert.match(movingAverageWarning(315), /4\.2%/, 'seed 001 quick run that scored 0.15: must warn');
  assert.equal(movingAverageWarning(1563), '');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, loadIris, loadMnist, progressBar, setSeed, sortByLabel } from '../../lib';
import { RunningMean } from '../../lib/training/callbacks';
import { seededPermutation } from '../../lib/training/shuffle';
import { formatDuration, formatLogs } from '../../lib/training/progress';
import { projectPath } from '../../lib/project';

const mnistFixture = { dir: projectPath('data', 'fixtures', 'mnist') };

/** A small BN MLP on iris, written with tfjs's own API as the notebooks write theirs. */
async function trainIrisModel(seed: number, shuffle: boolean, callbacks: tf.CustomCallback[] = []) {
  await initBackend('cpu');
  const iris = await loadIris();
  const x = tf.tensor2d(iris.data);
  const y = tf.oneHot(tf.tensor1d(iris.target, 'int32'), 3).toFloat();
  setSeed(seed);
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [4], units: 16, activation: 'relu' }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dropout({ rate: 0.2 }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(x, y, { epochs: 3, batchSize: 32, shuffle, validationSplit: 0.2, callbacks });
  tf.dispose([x, y]);
  return { model, history: history.history as Record<string, number[]> };
}

/** The training history of trainIrisModel. */
async function trainIris(seed: number, shuffle: boolean, callbacks: tf.CustomCallback[] = []) {
  return (await trainIrisModel(seed, shuffle, callbacks)).history;
}

test('seeded permutations are permutations, reproducible, and differ by seed', () => {
  const a = seededPermutation(100, 'a');
  assert.deepEqual(
    [...a].sort((p, q) => p - q),
    [...Array(100).keys()],
  );
  assert.deepEqual(a, seededPermutation(100, 'a'));
  assert.notDeepEqual(a, seededPermutation(100, 'b'));
});

test('setSeed makes model.fit reproducible (weights, dropout, shuffling); another seed or no shuffling changes it', async () => {
  const a = await trainIris(1, true);
  const b = await trainIris(1, true);
  assert.deepEqual(a, b);
  assert.deepEqual(Object.keys(a).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
  assert.equal(a.loss.length, 3);
  assert.notDeepEqual(a.loss, (await trainIris(2, true)).loss);
  assert.notDeepEqual(a.loss, (await trainIris(1, false)).loss);
  assert.throws(() => setSeed(Number.NaN), /finite number/);
});

test('validationSplit holds out the last 20% of rows, as Keras does', async () => {
  // 150 rows: 120 train and 30 validation. The last epoch's val_loss and val_acc are the trained
  // model's scores on rows 120..149 (all virginica, as iris is sorted by class), not on any other 30.
  const { model, history } = await trainIrisModel(1, true);
  const iris = await loadIris();
  const x = tf.tensor2d(iris.data);
  const y = tf.oneHot(tf.tensor1d(iris.target, 'int32'), 3).toFloat();
  const score = (start: number) =>
    (model.evaluate(x.slice(start, 30), y.slice(start, 30)) as tf.Scalar[]).map((t) => t.dataSync()[0]);
  const [lastLoss, lastAcc] = score(120);
  assert.ok(Math.abs(history.val_loss.at(-1)! - lastLoss) < 1e-5, `val_loss ${history.val_loss.at(-1)} vs ${lastLoss}`);
  assert.ok(Math.abs(history.val_acc.at(-1)! - lastAcc) < 1e-5, `val_acc ${history.val_acc.at(-1)} vs ${lastAcc}`);
  for (const start of [0, 50, 90]) {
    assert.ok(Math.abs(score(start)[0] - lastLoss) > 1e-3, `rows ${start}..${start + 29} score differently`);
  }
  tf.dispose([x, y]);
});

test('progressBar headless prints one Keras-style line per epoch as it ends, then the total', async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    await trainIris(1, true, [progressBar('iris')]);
  } finally {
    console.log = log;
  }
  assert.equal(lines.length, 4, lines.join('\n'));
  assert.match(
    lines[0],
    /^\[iris\] Epoch 1\/3 4\/4 \[=+\] - \d+s \d+ms\/step - loss: \d\.\d{4} - acc: \d\.\d{4} - val_loss: /,
  );
  assert.match(lines[2], /^\[iris\] Epoch 3\/3 /);
  assert.match(lines[3], /^\[iris\] trained 3 epoch\(s\) in \d+s$/);
});

test('progressBar every epoch prints about ten lines for many epochs', async () => {
  const cb = progressBar({ every: 'epoch' });
  cb.setParams({ epochs: 50, samples: 10, batchSize: 5 });
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    await cb.onTrainBegin();
    for (let e = 0; e < 50; e++) {
      await cb.onEpochBegin(e);
      await cb.onEpochEnd(e, { loss: 1 / (e + 1) });
    }
  } finally {
    console.log = log;
  }
  assert.equal(lines.length, 10);
  assert.match(lines[9], /^Epoch 50\/50 - \d+s - loss: 0\.0200$/);
});

test('sortByLabel orders samples by class and keeps images with their labels', async () => {
  await initBackend('cpu');
  const { train } = await loadMnist({ trainCount: 50, testCount: 0, ...mnistFixture });
  const [x, y] = sortByLabel(train.images, train.labels);
  const labels = Array.from(y.dataSync());
  assert.deepEqual(
    labels,
    [...labels].sort((a, b) => a - b),
  );
  const first = Array.from(train.labels.dataSync()).indexOf(labels[0]);
  assert.deepEqual(Array.from(x.slice(0, 1).dataSync()), Array.from(train.images.slice(first, 1).dataSync()));
});

test('progress formatting reads like Keras', () => {
  assert.equal(formatDuration(45.2), '45s');
  assert.equal(formatDuration(62), '1:02');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatLogs({ loss: 0.123456, acc: 0.9 }), ' - loss: 0.1235 - acc: 0.9000');
  assert.equal(formatLogs({ val_loss: 2, loss: 1 }), ' - loss: 1.0000 - val_loss: 2.0000', 'training metrics first');
});

test('progress shows metrics averaged over the epoch so far, weighted by batch size', async () => {
  const m = new RunningMean();
  assert.deepEqual(m.add({ batch: 0, size: 32, loss: 1, acc: 0.5 }), { loss: 1, acc: 0.5 });
  const second = m.add({ batch: 1, size: 16, loss: 4, acc: 1 });
  assert.ok(Math.abs(second.loss - 2) < 1e-12 && Math.abs(second.acc - 2 / 3) < 1e-12);
});

test('moving-average lag: momentum^steps, with a warning only while it is large', async () => {
  const { movingAverageLag, movingAverageWarning } = await import('../../lib/training/moving-average');
  assert.ok(Math.abs(movingAverageLag(100) - 0.99 ** 100) < 1e-15);
  assert.match(movingAverageWarning(24), /24번뿐/);
  assert.match(movingAverageWarning(315), /4\.2%/, 'seed 001 quick run that scored 0.15: must warn');
  assert.equal(movingAverageWarning(1563), '');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { COLLECTION, NOTEBOOKS_DIR } from '../../lib/runner/collection';
import { readNotebook } from '../../lib/runner/notebook';
import { notebookParameters } from '../../lib/runner/parameters';
import { estimateSeconds, workloads } from '../../scripts/bench-workloads';
import { Result } from '../../scripts/bench-anchors';

const defaultOf = (file: string, name: string) =>
  notebookParameters(readNotebook(join(NOTEBOOKS_DIR, file))).find((p) => p.name === name)?.default;
// A quick run takes COLLECTION's value where it sets one, else the notebook's default (the seed's setting).
const quickOf = (file: string, name: string) =>
  COLLECTION.find((e) => e.notebook === file)!.quick[name] ?? defaultOf(file, name);

test("the bench's quick workloads follow COLLECTION's quick profile", () => {
  const quick = workloads('quick');
  const nb1 = quick.find((w) => w.nb === 'nb1')!;
  assert.equal(nb1.train, quickOf('01_lenet_mnist_bn.ipynb', 'trainCount'));
  assert.equal(nb1.evalOnce, quickOf('01_lenet_mnist_bn.ipynb', 'testCount'));
  const nb2 = quick.find((w) => w.nb === 'nb2')!;
  assert.equal(nb2.epochs, quickOf('02_why_bn_small_cifar_cnn.ipynb', 'epochs'));
  assert.equal(nb2.batch, quickOf('02_why_bn_small_cifar_cnn.ipynb', 'batchSize'));
  const nb4 = quick.find((w) => w.nb === 'nb4')!;
  // Training and validation images together are the notebook's trainCount.
  assert.equal(nb4.train + nb4.evalPerEpoch, quickOf('04_cifar_vgg_bn.ipynb', 'trainCount'));
  const s5 = quick.find((w) => w.family === 'lenet_s5')!;
  assert.equal(s5.epochs, quickOf('05_lenet_shuffle.ipynb', 'shuffleEpochs'));
});

test("the bench's full workloads are the notebooks' own defaults", () => {
  const full = workloads('full');
  assert.equal(full.find((w) => w.nb === 'nb1')!.train, defaultOf('01_lenet_mnist_bn.ipynb', 'trainCount'));
  assert.equal(full.find((w) => w.nb === 'nb4')!.epochs, defaultOf('04_cifar_vgg_bn.ipynb', 'epochs'));
  // 150 iris rows: 30% test, then 20% of the rest for validation.
  const iris = full.find((w) => w.nb === 'nb3')!;
  assert.deepEqual([iris.train, iris.evalPerEpoch], [84, 21]);
});

test('estimateSeconds: whole batches at the measured batch, images over throughput at another', () => {
  const r = (family: string, batch: number): Result => ({
    family,
    engine: 'e',
    batch,
    steps: 1,
    msPerStep: 100,
    imagesPerSec: (batch * 1000) / 100,
    evalImagesPerSec: 1000,
  });
  const load = [
    { nb: 'a', family: 'f', runs: 2, batch: 32, train: 33, epochs: 3, evalPerEpoch: 10, evalOnce: 100 },
    { nb: 'b', family: 'g', runs: 1, batch: 32, train: 640, epochs: 1, evalPerEpoch: 0, evalOnce: 0 },
  ];
  const est = estimateSeconds(load, 'e', [r('f', 32), r('g', 64)])!;
  // a: 2 runs x (3 epochs x 2 steps x 0.1 s + 130 images / 1000 per s)
  assert.ok(Math.abs(est.a - 2 * (0.6 + 0.13)) < 1e-9, String(est.a));
  // b: measured at 64 (640 images/s): 640 images take 1 s
  assert.ok(Math.abs(est.b - 1) < 1e-9, String(est.b));
  assert.ok(Math.abs(est.total - est.a - est.b) < 1e-9);
  assert.equal(estimateSeconds(load, 'other', [r('f', 32)]), undefined);
});

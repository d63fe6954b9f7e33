import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../lib/project';
import { runNotebook, RunResult } from '../../lib/runner/execute';
import { Notebook } from '../../lib/runner/notebook';
import { ParamValue } from '../../lib/runner/parameters';
import { loadCifar10 } from '../../lib/data/cifar10';
import { summaryHtml } from '../../lib/notebook/summary';
import { irisMlp, lenet, smallCifarCnn, vggCnn } from '../../scripts/reference-models';
import * as tf from '@tensorflow/tfjs';

// Every notebook runs top to bottom under nbclient and the real tslab kernel, on the small real
// fixtures in data/fixtures (pointed to through the loaders' environment variables).
const root = projectPath();
const env = {
  BN_LAB_MNIST_DIR: join(root, 'data', 'fixtures', 'mnist'),
  BN_LAB_CIFAR10_DIR: join(root, 'data', 'fixtures', 'cifar10'),
  BN_LAB_BACKEND: '',
};
const outDir = mkdtempSync(join(tmpdir(), 'bn-lab-notebooks-'));

async function run(name: string, parameters: Record<string, ParamValue>, output = name): Promise<RunResult> {
  let log = '';
  const result = await runNotebook({
    input: join(root, 'notebooks', name),
    output: join(outDir, output),
    parameters,
    env,
    onLog: (t) => (log += t),
  });
  assert.equal(result.exitCode, 0, `${name} failed:\n${log.slice(-4000)}`);
  return result;
}

/** All outputs of a given MIME type, as strings. */
function outputs(nb: Notebook, mime: string): string[] {
  // nbformat stores multi-line text as a list of lines.
  const text = (d: unknown) => (Array.isArray(d) ? d.join('') : d);
  return nb.cells.flatMap((c) =>
    (c.outputs ?? []).map((o) => text(o.data?.[mime])).filter((d): d is string => typeof d === 'string'),
  );
}

const charts = (nb: Notebook) => outputs(nb, 'text/html').filter((h) => h.includes('class="bn-lab-chart"')).length;
const isRate = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
const isLoss = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * The notebook's own model summary equals the summary of its reference model in
 * scripts/reference-models.ts (what the bench and the unit tests train): same layers, names, output
 * shapes and parameter counts. Only the caption's model name (a session counter) may differ.
 */
function assertSameModelAsReference(nb: Notebook, reference: tf.Sequential): void {
  const withoutCaption = (html: string) => html.replace(/<caption.*?<\/caption>/, '');
  const summaries = outputs(nb, 'text/html').filter((h) => h.includes('bn-lab-summary'));
  assert.equal(summaries.length, 1, 'the notebook shows one model summary');
  assert.equal(withoutCaption(summaries[0]), withoutCaption(summaryHtml(reference)));
  reference.dispose();
}

/** The instructor's notebook passes every one of its exercise checks (recorded as `check:<id>`). */
function assertChecksPass(r: RunResult, ids: string[]): void {
  for (const id of ids) {
    const outcome = r.records[`check:${id}`] as { passed: boolean; message: string } | undefined;
    assert.ok(outcome?.passed, `check ${id}: ${outcome ? outcome.message : 'not recorded'}`);
  }
}

test('01 LeNet on MNIST: both models evaluate, the pitfall metric is measured, the digit is predicted', async () => {
  const r = await run('01_lenet_mnist_bn.ipynb', { trainCount: 200, testCount: 100 });
  const nb = r.notebook!;
  assert.deepEqual(r.records.train_images_shape, [200, 32, 32, 1], 'padded to 32×32 by loadMnist');
  for (const key of ['test_acc_plain', 'test_acc_bn']) assert.ok(isRate(r.records[key]), `${key}=${r.records[key]}`);
  for (const key of ['test_loss_plain', 'test_loss_bn']) assert.ok(isLoss(r.records[key]), `${key}=${r.records[key]}`);
  assert.notEqual(r.records.test_loss_plain, r.records.test_loss_bn, 'the BN layers change the result');
  assert.ok(isRate(r.records.categorical_accuracy_on_integer_labels));
  assert.ok(
    Number.isInteger(r.records.predicted_class) &&
      (r.records.predicted_class as number) >= 0 &&
      (r.records.predicted_class as number) <= 9,
  );
  const summaries = outputs(nb, 'text/html').filter((h) => h.includes('bn-lab-summary'));
  assert.equal(summaries.length, 1, 'the BN model is summarised');
  assert.match(summaries[0], /Total params: 62,274/);
  assert.match(summaries[0], /batch_normalization_2 \(BatchNormalization\)/, 'Keras-style layer names');
  assertSameModelAsReference(nb, lenet(true));
  assert.ok(charts(nb) >= 2, 'comparison and probability charts');
  assertChecksPass(r, ['lenet-bn-layers', 'lenet-loss-metric', 'lenet-test-acc']);
});

test('01 rerun with the same parameters and seed gives the same numbers', async () => {
  const a = await run('01_lenet_mnist_bn.ipynb', { trainCount: 64, testCount: 32 }, 'rerun-a.ipynb');
  const b = await run('01_lenet_mnist_bn.ipynb', { trainCount: 64, testCount: 32 }, 'rerun-b.ipynb');
  assert.deepEqual(a.records, b.records);
  const c = await run('01_lenet_mnist_bn.ipynb', { trainCount: 64, testCount: 32, seed: 2 }, 'rerun-c.ipynb');
  assert.notDeepEqual(a.records.test_loss_bn, c.records.test_loss_bn, 'another seed changes the result');
});

const tiny02 = { trainCount: 100, testCount: 50, epochs: 2, batchSize: 32 };

test('02 small CIFAR CNN: BN from scratch matches tf.layers.batchNormalization in both modes; the CNN trains and evaluates', async () => {
  const r = await run('02_why_bn_small_cifar_cnn.ipynb', tiny02);
  for (const key of ['scratch_bn_max_diff_training', 'scratch_bn_max_diff_inference']) {
    const diff = r.records[key] as number;
    assert.ok(typeof diff === 'number' && diff >= 0 && diff < 1e-4, `${key}=${diff}`);
  }
  assertSameModelAsReference(r.notebook!, smallCifarCnn());
  assert.ok(isRate(r.records.test_acc) && isLoss(r.records.test_loss));
  assertChecksPass(r, ['bn-from-scratch']);
});

test('02 rerun with the same parameters and seed gives the same numbers', async () => {
  const a = await run('02_why_bn_small_cifar_cnn.ipynb', tiny02, '02-rerun-a.ipynb');
  const b = await run('02_why_bn_small_cifar_cnn.ipynb', tiny02, '02-rerun-b.ipynb');
  assert.deepEqual(a.records, b.records);
  const c = await run('02_why_bn_small_cifar_cnn.ipynb', { ...tiny02, seed: 2 }, '02-rerun-c.ipynb');
  assert.notEqual(a.records.test_loss, c.records.test_loss, 'another seed changes the result');
});

test('06 experiments: drift per layer, smoothness along the gradient, learning-rate sweep', async () => {
  const r = await run('06_bn_claims_drift_smoothness_lr.ipynb', {
    mnistTrainCount: 200,
    mnistTestCount: 100,
    driftSteps: 20,
    driftProbeEvery: 10,
    smoothSteps: 3,
    sweepLearningRates: [0.01, 1],
    sweepSteps: 5,
  });
  const drift = r.records.drift_layers as Record<string, number>[];
  assert.deepEqual(
    drift.map((l) => l.layer),
    [1, 2, 3],
  );
  for (const l of drift) {
    for (const key of ['plainShift', 'bnShift', 'bnDenseShift', 'plainSpread', 'bnSpread'])
      assert.ok(Number.isFinite(l[key]) && l[key] >= 0, key);
    // BN re-normalizes every batch: its output's per-unit spread stays near γ (1 at the start).
    assert.ok(l.bnSpread > 0.5 && l.bnSpread < 2, `BN spread ${l.bnSpread}`);
    // and BN's output is what moves least: the centres of its units shift less than the plain net's Dense outputs.
    assert.ok(l.bnShift < l.plainShift, `layer ${l.layer}: BN shift ${l.bnShift} vs plain ${l.plainShift}`);
  }
  const loss = r.records.drift_final_loss as { plain: number; bn: number };
  assert.ok(isLoss(loss.plain) && isLoss(loss.bn));
  const smooth = r.records.smoothness as Record<'lossRange' | 'gradChange' | 'beta', { plain: number; bn: number }>;
  for (const key of ['lossRange', 'gradChange', 'beta'] as const) {
    for (const arm of ['plain', 'bn'] as const)
      assert.ok(Number.isFinite(smooth[key][arm]) && smooth[key][arm] >= 0, `${key}.${arm}`);
  }
  const sweep = r.records.lr_sweep as { learningRate: number; plain: number; bn: number }[];
  assert.deepEqual(
    sweep.map((row) => row.learningRate),
    [0.01, 1],
  );
  assert.ok(sweep.every((row) => isRate(row.plain) && isRate(row.bn)));
});

test('07 experiments: renorm vs BN per batch size, training vs inference mode, momentum, BN vs dropout', async () => {
  const r = await run('07_bn_batch_size_modes_dropout.ipynb', {
    mnistTrainCount: 200,
    mnistTestCount: 100,
    renormBatchSizes: [4, 16],
    renormSamples: 64,
    modesEpochs: 1,
    modesBatchSizes: [1, 8],
    momenta: [0.9, 0.99],
    momentumSteps: 20,
    cifarTrainCount: 64,
    cifarValCount: 32,
    dropoutEpochs: 2,
  });
  const renorm = r.records.renorm_rows as { batchSize: number; steps: number; bn: number; renorm: number }[];
  assert.deepEqual(
    renorm.map((row) => [row.batchSize, row.steps]),
    [
      [4, 16],
      [16, 4],
    ],
  );
  assert.ok(renorm.every((row) => isRate(row.bn) && isRate(row.renorm)));
  assert.ok(isRate(r.records.modes_inference_acc));
  const modes = r.records.modes_rows as {
    batchSize: number;
    mixedAcc: number;
    oneClassAcc: number;
    agreement: number;
  }[];
  assert.deepEqual(
    modes.map((row) => row.batchSize),
    [1, 8],
  );
  assert.ok(modes.every((row) => isRate(row.mixedAcc) && isRate(row.oneClassAcc) && isRate(row.agreement)));
  assert.ok(Math.abs(modes[0].mixedAcc - 0.1) < 0.15, 'batch of 1: every image gets the same class');
  assert.deepEqual(r.records.momentum_values, [0.9, 0.99]);
  assert.equal(r.records.momentum_weight_difference, 0, 'momentum changes the moving statistics only');
  const gaps = r.records.momentum_final_gap as number[];
  assert.ok(gaps[0] < gaps[1], `a smaller momentum tracks the data faster: ${gaps}`);
  assert.ok((r.records.momentum_final_test_acc as number[]).every(isRate));
  const dropout = r.records.dropout_vs_bn as { variant: string; trainAcc: number; valAcc: number; gap: number }[];
  assert.equal(dropout.length, 4);
  for (const v of dropout) {
    assert.ok(isRate(v.trainAcc) && isRate(v.valAcc));
    assert.ok(Math.abs(v.gap - (v.trainAcc - v.valAcc)) < 1e-9);
  }
});

test('03 iris: the danfojs pipeline shows each step, both MLPs train and evaluate', async () => {
  const r = await run('03_iris_deep_mlp.ipynb', { epochs: 5 });
  const nb = r.notebook!;
  const tables = outputs(nb, 'text/html').filter((h) => h.includes('class="dataframe'));
  assert.ok(tables.length >= 6, `dataframe steps shown: ${tables.length}`);
  assert.deepEqual(r.records.columns, [
    'sepal length (cm)',
    'sepal width (cm)',
    'petal length (cm)',
    'petal width (cm)',
    'Y_setosa',
    'Y_versicolor',
    'Y_virginica',
  ]);
  assert.deepEqual(r.records.train_test_rows, [105, 45]);
  assertSameModelAsReference(nb, irisMlp(true));
  for (const key of ['test_acc_plain', 'test_acc_bn']) assert.ok(isRate(r.records[key]), `${key}=${r.records[key]}`);
  for (const key of ['test_loss_plain', 'test_loss_bn']) assert.ok(isLoss(r.records[key]), `${key}=${r.records[key]}`);
  assert.ok(charts(nb) >= 3);
  assertChecksPass(r, ['iris-one-hot', 'iris-bn-mlp']);
});

test('04 VGG-style CNN: standardized data, curves, overfitting readout', async () => {
  const r = await run('04_cifar_vgg_bn.ipynb', { trainCount: 60, testCount: 20, epochs: 2, batchSize: 16 });
  const mean = r.records.channel_mean as number[];
  const std = r.records.channel_std as number[];
  assert.equal(mean.length, 3);
  // The notebook's tf ops give numpy's per-channel mean and std of the training images' raw pixels.
  const cifar = await loadCifar10({ trainCount: 60, testCount: 20, scale: false, dir: env.BN_LAB_CIFAR10_DIR });
  const pixels = Array.from(cifar.train.images.dataSync());
  for (let c = 0; c < 3; c++) {
    const values = pixels.filter((_, i) => i % 3 === c);
    const m = values.reduce((a, v) => a + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
    assert.ok(
      Math.abs(mean[c] - m) < 1e-3 && Math.abs(std[c] - sd) < 1e-3,
      `channel ${c}: ${mean[c]}, ${std[c]} vs ${m}, ${sd}`,
    );
  }
  assert.ok(isRate(r.records.test_acc) && isLoss(r.records.test_loss));
  assertSameModelAsReference(r.notebook!, vggCnn(true));
  // The overfitting readout is what the recorded curves say: the epoch of the lowest validation
  // loss, and the last epoch's training minus validation accuracy.
  const history = r.records.history as Record<'acc' | 'val_acc' | 'val_loss', number[]>;
  assert.equal(history.val_loss.length, 2);
  assert.equal(r.records.best_val_epoch, history.val_loss.indexOf(Math.min(...history.val_loss)) + 1);
  assert.equal(r.records.train_val_acc_gap, history.acc[1] - history.val_acc[1]);
  assert.ok(charts(r.notebook!) >= 1);
});

test('05 shuffle vs no shuffle: per-epoch losses of three runs from the same initial weights', async () => {
  const r = await run('05_lenet_shuffle.ipynb', {
    trainCount: 100,
    testCount: 50,
    shuffleTrainCount: 100,
    shuffleTestCount: 50,
    shuffleEpochs: 2,
  });
  for (const key of ['loss_no_shuffle', 'loss_shuffle', 'loss_sorted_no_shuffle']) {
    const losses = r.records[key] as number[];
    assert.equal(losses.length, 2, key);
    assert.ok(losses.every(isLoss), key);
  }
  assert.notDeepEqual(r.records.loss_no_shuffle, r.records.loss_shuffle, 'shuffling changes the batches');
  assert.ok(isRate(r.records.test_acc));
  assert.ok(Object.values(r.records.test_acc_runs as Record<string, number>).every(isRate));
  assert.ok(charts(r.notebook!) >= 2);
  assertChecksPass(r, ['shuffle-runs']);
  assertSameModelAsReference(r.notebook!, lenet(true, { kernelSize: 1, strides: 5 }));
});

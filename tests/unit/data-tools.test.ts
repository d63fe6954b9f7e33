import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { ChecksumError } from '../../lib/data/checksums';
import { loadImageTensor } from '../../lib/data/image';
import { IRIS_FEATURE_NAMES, loadIris, parseIrisCsv } from '../../lib/data/iris';
import { loadMnist } from '../../lib/data/mnist';
import { trainTestSplit } from '../../lib/data/split';
import { dataDir, fixture, isolateDataTests, NO_DATA_ENV, tempDir, withEnv, writeTrusted } from '../helpers/data';

isolateDataTests();

test('data/2.png is MNIST test image #1 (a 2), padded to 32x32, and loads as [1,32,32,1] in 0..1', async () => {
  const digit = await loadImageTensor(path.join(dataDir(), '2.png'), { height: 32, width: 32, channels: 1 });
  assert.deepEqual(digit.shape, [1, 32, 32, 1]);
  const mnist = await loadMnist({ dir: fixture('mnist'), trainCount: 1, testCount: 2 });
  assert.equal(mnist.test.labelBytes[1], 2);
  const expected = mnist.test.images.slice([1, 0, 0, 0], [1, -1, -1, -1]);
  assert.ok(digit.sub(expected).abs().max().dataSync()[0] < 1e-6, 'PNG pixels equal the padded MNIST digit');
});

test('images of any size and colour are resized to the model input; transparency becomes black', async () => {
  const dir = tempDir();
  const rgb = path.join(dir, 'rgb.png');
  await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .png()
    .toFile(rgb);
  const gray = await loadImageTensor(rgb, { height: 32, width: 32 });
  assert.deepEqual(gray.shape, [1, 32, 32, 1]);
  assert.equal(gray.min().dataSync()[0], 1);
  const colour = await loadImageTensor(rgb, { height: 28, width: 20, channels: 3, scale: false });
  assert.deepEqual(colour.shape, [1, 28, 20, 3]);
  assert.equal(colour.max().dataSync()[0], 255);
  const clear = path.join(dir, 'clear.png');
  await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } } })
    .png()
    .toFile(clear);
  assert.equal((await loadImageTensor(clear, { height: 32, width: 32 })).max().dataSync()[0], 0);
});

test('a missing image names its path; corrupt or unsupported files give a clear error', async () => {
  const dir = tempDir();
  await assert.rejects(
    loadImageTensor(path.join(dir, 'nope.png'), { height: 32, width: 32 }),
    new RegExp(`Image not found: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/nope\\.png`),
  );
  writeFileSync(path.join(dir, 'text.png'), 'this is not an image');
  await assert.rejects(
    loadImageTensor(path.join(dir, 'text.png'), { height: 32, width: 32 }),
    /Cannot read image .*text\.png: .*corrupt or not an image format/,
  );
  writeFileSync(path.join(dir, 'cut.png'), readFileSync(path.join(dataDir(), '2.png')).subarray(0, 200));
  await assert.rejects(
    loadImageTensor(path.join(dir, 'cut.png'), { height: 32, width: 32 }),
    /Cannot read image .*cut\.png/,
  );
  await assert.rejects(
    loadImageTensor(path.join(dataDir(), '2.png'), { height: 0, width: 32 }),
    /height must be a positive integer/,
  );
});

test('trainTestSplit: disjoint, complete, aligned, and deterministic for a seed', () => {
  const x = tf.range(0, 100).reshape([100, 1]) as tf.Tensor2D;
  const y = tf.range(0, 100).mul(10) as tf.Tensor1D;
  const [xTrain, xTest, yTrain, yTest] = trainTestSplit(x, y, { testSize: 0.3, seed: 42 });
  assert.deepEqual(xTrain.shape, [70, 1]);
  assert.deepEqual(xTest.shape, [30, 1]);
  const train = Array.from(xTrain.dataSync());
  const test = Array.from(xTest.dataSync());
  assert.deepEqual(
    [...train, ...test].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.deepEqual(
    Array.from(yTrain.dataSync()),
    train.map((v) => v * 10),
  );
  assert.deepEqual(
    Array.from(yTest.dataSync()),
    test.map((v) => v * 10),
  );
  assert.notDeepEqual(
    test,
    Array.from({ length: 30 }, (_, i) => 70 + i),
    'shuffled',
  );
  const again = trainTestSplit(x, y, { testSize: 0.3, seed: 42 });
  assert.deepEqual(Array.from(again[1].dataSync()), test);
  const other = trainTestSplit(x, y, { testSize: 0.3, seed: 7 });
  assert.notDeepEqual(Array.from(other[1].dataSync()), test);
  // scikit-learn rounds the test share up: ceil(0.25 * 10) = 3.
  assert.equal(trainTestSplit(x.slice(0, 10), y.slice(0, 10), { testSize: 0.25 })[1].shape[0], 3);
  assert.equal(trainTestSplit(x, y, { testSize: 12 })[1].shape[0], 12);
  const [, lastRows] = trainTestSplit(x, y, { testSize: 0.1, shuffle: false });
  assert.deepEqual(Array.from(lastRows.dataSync()), [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  assert.throws(() => trainTestSplit(x, y.slice(0, 99)), /x has 100 rows but y has 99/);
  assert.throws(() => trainTestSplit(x, y, { testSize: 1.5 }), /testSize must be/);
  assert.throws(() => trainTestSplit(x, y, { testSize: 100 }), /training set would be empty/);
});

test('iris: 150 rows, scikit-learn column names, targets 50/50/50, a danfojs DataFrame', async () => {
  await withEnv({ ...NO_DATA_ENV }, async () => {
    const iris = await loadIris();
    assert.equal(iris.path, path.join(dataDir(), 'iris.csv'), 'found as the copy shipped in data/');
    assert.deepEqual(iris.frame.shape, [150, 4]);
    assert.deepEqual(iris.frame.columns, [...IRIS_FEATURE_NAMES]);
    assert.deepEqual(iris.featureNames, [
      'sepal length (cm)',
      'sepal width (cm)',
      'petal length (cm)',
      'petal width (cm)',
    ]);
    assert.deepEqual(iris.targetNames, ['setosa', 'versicolor', 'virginica']);
    assert.deepEqual(
      [0, 1, 2].map((c) => iris.target.filter((t) => t === c).length),
      [50, 50, 50],
    );
    assert.deepEqual(iris.data[0], [5.1, 3.5, 1.4, 0.2]);
    assert.deepEqual((iris.frame.values as number[][])[149], [5.9, 3.0, 5.1, 1.8]);
    // The same module instance a notebook's `import * as dfd from 'danfojs'` gets.
    const dfd = require('danfojs');
    assert.ok(iris.frame instanceof dfd.DataFrame);
    const dummies = dfd.getDummies(new dfd.Series(iris.target.map((t) => iris.targetNames[t])), { prefix: 'Y' });
    assert.deepEqual(dummies.shape, [150, 3]);
  });
});

test('iris: BN_LAB_IRIS_DIR takes precedence and is verified; the parser checks the header', async () => {
  const dir = tempDir();
  const edited = readFileSync(path.join(dataDir(), 'iris.csv'), 'utf8').replace('5.1,3.5', '5.2,3.5');
  writeFileSync(path.join(dir, 'iris.csv'), edited);
  await withEnv({ ...NO_DATA_ENV, BN_LAB_IRIS_DIR: dir }, async () => {
    await assert.rejects(loadIris(), (e: Error) => e instanceof ChecksumError && e.message.includes('BN_LAB_IRIS_DIR'));
    await writeTrusted(dir, { 'iris.csv': '3,4,a,b,c\n1,2,3,4,0\n5,6,7,8,1\n9,10,11,12,2\n' });
    const small = await loadIris();
    assert.deepEqual(small.frame.shape, [3, 4]);
    assert.deepEqual(small.targetNames, ['a', 'b', 'c']);
    assert.deepEqual(small.target, [0, 1, 2]);
  });
  assert.throws(() => parseIrisCsv('3,4,a,b,c\n1,2,3,4,0\n'), /announces 3 rows but the file has 1/);
  assert.throws(() => parseIrisCsv('1,4,a,b,c\n1,2,3,4,5\n'), /line 2: class index 5 is not one of 0..2/);
  assert.throws(() => parseIrisCsv('1,4,a,b,c\n1,2,x,4,0\n'), /line 2: expected 4 numbers and a class index/);
  assert.throws(() => parseIrisCsv('sepal,petal\n'), /first line should be/);
});

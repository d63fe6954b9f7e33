import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { projectPath } from '../../lib/project';
import { LegacyMt19937, sklearnSplitRows } from '../../lib/data/numpy-random';
import { trainTestSplit } from '../../lib/data/split';

/** Recorded from scikit-learn by parity/record_sklearn_splits.py (versions inside the file). */
interface Case {
  n: number;
  test_size: number;
  random_state: number;
  train?: number[];
  test?: number[];
  train_head?: number[];
  train_tail?: number[];
  test_head?: number[];
  test_tail?: number[];
  train_checksum?: number;
  test_checksum?: number;
}
const fixture = JSON.parse(readFileSync(projectPath('tests', 'fixtures', 'sklearn-splits.json'), 'utf8')) as {
  cases: Case[];
};

const checksum = (rows: Int32Array) => {
  let s = 0n;
  rows.forEach((v, i) => (s += BigInt(v) * BigInt(i + 1)));
  return Number(s % BigInt(2 ** 31 - 1));
};

test("sklearnSplitRows reproduces scikit-learn's train_test_split row for row", () => {
  assert.ok(fixture.cases.length >= 6);
  for (const c of fixture.cases) {
    const label = `n=${c.n} test_size=${c.test_size} random_state=${c.random_state}`;
    const { train, test: testRows } = sklearnSplitRows(c.n, Math.ceil(c.test_size * c.n), c.random_state);
    if (c.train && c.test) {
      assert.deepEqual(Array.from(testRows), c.test, `${label}: test rows`);
      assert.deepEqual(Array.from(train), c.train, `${label}: train rows`);
    } else {
      assert.deepEqual(Array.from(testRows.slice(0, 50)), c.test_head, `${label}: first test rows`);
      assert.deepEqual(Array.from(testRows.slice(-50)), c.test_tail, `${label}: last test rows`);
      assert.deepEqual(Array.from(train.slice(0, 50)), c.train_head, `${label}: first train rows`);
      assert.deepEqual(Array.from(train.slice(-50)), c.train_tail, `${label}: last train rows`);
      assert.equal(checksum(testRows), c.test_checksum, `${label}: test checksum`);
      assert.equal(checksum(train), c.train_checksum, `${label}: train checksum`);
    }
  }
});

test('trainTestSplit with an integer seed holds out the rows scikit-learn holds out', () => {
  const iris = fixture.cases.find((c) => c.n === 150 && c.random_state === 42)!;
  const x = tf.range(0, 150).reshape([150, 1]) as tf.Tensor2D;
  const y = tf.range(0, 150).mul(2) as tf.Tensor1D;
  const [xTrain, xTest, yTrain, yTest] = trainTestSplit(x, y, { testSize: 0.3, seed: 42 });
  assert.deepEqual(Array.from(xTest.dataSync()), iris.test);
  assert.deepEqual(Array.from(xTrain.dataSync()), iris.train);
  assert.deepEqual(
    Array.from(yTest.dataSync()),
    iris.test!.map((v) => v * 2),
  );
  assert.deepEqual(
    Array.from(yTrain.dataSync()),
    iris.train!.map((v) => v * 2),
  );
  // A string seed still gives a seedrandom split, different from random_state 42's.
  const [, byString] = trainTestSplit(x, y, { testSize: 0.3, seed: '42' });
  assert.equal(byString.shape[0], 45);
  assert.notDeepEqual(Array.from(byString.dataSync()), iris.test);
  tf.dispose([x, y, xTrain, xTest, yTrain, yTest, byString]);
});

test('LegacyMt19937 rejects seeds numpy rejects, and interval stays in range', () => {
  assert.throws(() => new LegacyMt19937(-1), /between 0 and 2\^32 - 1/);
  assert.throws(() => new LegacyMt19937(2 ** 32), /between 0 and 2\^32 - 1/);
  assert.throws(() => new LegacyMt19937(1.5), /between 0 and 2\^32 - 1/);
  const rng = new LegacyMt19937(2 ** 32 - 1);
  for (let i = 0; i < 1000; i++) {
    const v = rng.interval(6);
    assert.ok(v >= 0 && v <= 6);
  }
  assert.equal(rng.interval(0), 0);
});

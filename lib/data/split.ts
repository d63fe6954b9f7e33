import * as tf from '@tensorflow/tfjs';
import { seededPermutation, takeRows } from '../training/shuffle';
import { sklearnSplitRows } from './numpy-random';

/** Options for trainTestSplit, named after scikit-learn's train_test_split. */
export interface SplitOptions {
  /** A fraction of the rows (0 < testSize < 1), or a row count (an integer >= 1); default 0.25. */
  testSize?: number;
  /**
   * Seed of the shuffle. An integer (0..2^32-1) is scikit-learn's random_state: the split is row for
   * row the one train_test_split(random_state=seed) makes. A string seeds a seedrandom shuffle. Default 0.
   */
  seed?: number | string;
  /** Shuffle before splitting; default true. Without shuffling the last rows become the test set. */
  shuffle?: boolean;
}

/**
 * Splits rows into train and test sets like scikit-learn's train_test_split: the number of test rows
 * is ceil(testSize × n), and with an integer seed the rows and their order are exactly scikit-learn's
 * for that random_state (numpy's legacy stream, lib/data/numpy-random.ts). Returns new tensors
 * [xTrain, xTest, yTrain, yTest]; the inputs are left alone.
 */
export function trainTestSplit<X extends tf.Tensor, Y extends tf.Tensor>(
  x: X,
  y: Y,
  options: SplitOptions = {},
): [X, X, Y, Y] {
  const { testSize = 0.25, seed = 0, shuffle = true } = options;
  const n = x.shape[0];
  if (y.shape[0] !== n) throw new Error(`trainTestSplit: x has ${n} rows but y has ${y.shape[0]}; they must match.`);
  let nTest: number;
  if (testSize > 0 && testSize < 1) nTest = Math.ceil(testSize * n);
  else if (Number.isInteger(testSize) && testSize >= 1) nTest = testSize;
  else throw new Error(`trainTestSplit: testSize must be a fraction between 0 and 1 or a row count (got ${testSize}).`);
  const nTrain = n - nTest;
  if (nTest < 1 || nTrain < 1) {
    throw new Error(
      `trainTestSplit: with ${n} rows and testSize ${testSize}, the ${nTrain < 1 ? 'training' : 'test'} set would be empty.`,
    );
  }
  let testRows: Int32Array;
  let trainRows: Int32Array;
  if (shuffle && typeof seed === 'number') {
    ({ test: testRows, train: trainRows } = sklearnSplitRows(n, nTest, seed));
  } else {
    let order: Int32Array;
    if (shuffle) {
      order = seededPermutation(n, `trainTestSplit:${seed}`);
    } else {
      // Keep the original order with the test rows last, so "train" is a prefix as with shuffle=False.
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = (i + nTrain) % n;
    }
    // Like scikit-learn's ShuffleSplit, the first nTest positions of the permutation are the test rows.
    testRows = order.subarray(0, nTest);
    trainRows = order.subarray(nTest);
  }
  const [xTest, yTest] = takeRows<tf.Tensor>([x, y], testRows);
  const [xTrain, yTrain] = takeRows<tf.Tensor>([x, y], trainRows);
  return [xTrain as X, xTest as X, yTrain as Y, yTest as Y];
}

import * as tf from '@tensorflow/tfjs';
import { seededPermutation, takeRows } from '../training/shuffle';

/** Options for trainTestSplit, named after scikit-learn's train_test_split. */
export interface SplitOptions {
  /** A fraction of the rows (0 < testSize < 1), or a row count (an integer >= 1); default 0.25. */
  testSize?: number;
  /** Seed of the shuffle (scikit-learn's random_state); the same seed gives the same split. Default 0. */
  seed?: number | string;
  /** Shuffle before splitting; default true. Without shuffling the last rows become the test set. */
  shuffle?: boolean;
}

/**
 * Splits rows into train and test sets like scikit-learn's train_test_split: the number of test rows
 * is ceil(testSize × n), and the order comes from a seedrandom permutation, so the same seed always
 * gives the same split (though not numpy's, which no JS generator reproduces). Returns new tensors
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
  let order: Int32Array;
  if (shuffle) {
    order = seededPermutation(n, `trainTestSplit:${seed}`);
  } else {
    // Keep the original order with the test rows last, so "train" is a prefix as with shuffle=False.
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = (i + nTrain) % n;
  }
  // Like scikit-learn's ShuffleSplit, the first nTest positions of the permutation are the test rows.
  const testRows = order.subarray(0, nTest);
  const trainRows = order.subarray(nTest);
  const [xTest, yTest] = takeRows<tf.Tensor>([x, y], testRows);
  const [xTrain, yTrain] = takeRows<tf.Tensor>([x, y], trainRows);
  return [xTrain as X, xTest as X, yTrain as Y, yTest as Y];
}

import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

/**
 * A seeded permutation of 0..n-1 (Fisher–Yates), drawn from its own generator so that a caller's
 * order does not depend on how many Math.random draws (setSeed's stream) came before.
 */
export function seededPermutation(n: number, seed: string | number): Int32Array {
  const rng = seedrandom(String(seed));
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

/** Gathers the same rows of every tensor (features and labels stay aligned). */
export function takeRows<T extends tf.Tensor>(tensors: T[], rows: Int32Array): T[] {
  return tf.tidy(() => {
    const idx = tf.tensor1d(rows, 'int32');
    return tensors.map((t) => tf.gather(t, idx) as T);
  });
}

/**
 * Reorders samples so labels ascend (a stable sort): the worst case for training without
 * shuffling, where each batch holds only one or two classes.
 */
export function sortByLabel<X extends tf.Tensor, Y extends tf.Tensor>(x: X, labels: Y): [X, Y] {
  const values = labels.dataSync();
  const order = Int32Array.from(values.keys()).sort((a, b) => values[a] - values[b] || a - b);
  const [sx, sy] = takeRows<tf.Tensor>([x, labels], order);
  return [sx as X, sy as Y];
}

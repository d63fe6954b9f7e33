import seedrandom from 'seedrandom';

let installed: (() => number) | undefined;
let draws = 0;

/**
 * Makes a run repeatable, like Keras's `tf.random.set_seed`: tfjs draws the seed of every
 * unseeded random op (weight initializers, dropout) and `model.fit`'s shuffle from `Math.random`
 * (tfjs-core's rand_util and util_base), so replacing it with a seeded generator fixes them all.
 */
export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new Error(`setSeed: the seed must be a finite number (got ${seed}).`);
  const generator = seedrandom(String(seed));
  // Counting draws is how a check tells whether model.fit shuffled (exercises/expect.ts) without
  // wrapping tfjs; the stream is seedrandom's, unchanged.
  installed = () => {
    draws++;
    return generator();
  };
  Math.random = installed;
}

/** How many numbers setSeed's generator has given so far, or undefined when Math.random is not it. */
export function seededDraws(): number | undefined {
  return Math.random === installed ? draws : undefined;
}

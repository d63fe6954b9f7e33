import seedrandom from 'seedrandom';

/**
 * Makes a run repeatable, like Keras's `tf.random.set_seed`: tfjs draws the seed of every
 * unseeded random op (weight initializers, dropout) and `model.fit`'s shuffle from `Math.random`
 * (tfjs-core's rand_util and util_base), so replacing it with a seeded generator fixes them all.
 */
export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new Error(`setSeed: the seed must be a finite number (got ${seed}).`);
  seedrandom(String(seed), { global: true });
}

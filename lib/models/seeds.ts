import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

/**
 * Hands out a reproducible stream of initializer seeds. tfjs has no global random seed (unlike
 * Keras's tf.random.set_seed), so every initializer must be given its own.
 */
export class SeedStream {
  private readonly rng: seedrandom.PRNG;
  constructor(seed: number) {
    this.rng = seedrandom(String(seed));
  }
  /** The next seed, an integer in [0, 2^31). */
  next(): number {
    return Math.floor(this.rng() * 2 ** 31);
  }
  /** Keras's default kernel initializer (Glorot uniform), seeded. */
  glorotUniform(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.next() });
  }
}

/**
 * numpy's legacy random stream (np.random.RandomState: MT19937), only as far as scikit-learn's
 * train_test_split(random_state=int) needs it. Hand-written because no JS package reproduces
 * numpy's stream: generic MT19937 ports agree on the raw 32-bit words but not on numpy's seeding of
 * an int or its bounded-integer draw (a masked rejection loop), and a split is only "the seed's
 * split" when every row lands where scikit-learn puts it.
 */

const N = 624;
const M = 397;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;
const MATRIX_A = 0x9908b0df;

/** MT19937 seeded the way numpy's RandomState seeds it from an int (init_genrand). */
export class LegacyMt19937 {
  private readonly key = new Uint32Array(N);
  private pos = N;

  /** `seed` must be an integer in 0..2^32-1, as numpy requires of an int seed. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(
        `LegacyMt19937: the seed must be an integer between 0 and 2^32 - 1, as numpy requires (got ${seed}).`,
      );
    }
    this.key[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.key[i - 1] ^ (this.key[i - 1] >>> 30);
      // 1812433253 * prev overflows 2^53, so multiply in 16-bit halves (Math.imul keeps the low 32 bits).
      this.key[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next tempered 32-bit word (numpy's next_uint32 for MT19937). */
  nextUint32(): number {
    if (this.pos >= N) this.refill();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in 0..max (max < 2^32), drawn like numpy's random_interval: mask, reject, repeat. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }

  /** RandomState.permutation(n): 0..n-1 shuffled by numpy's legacy Fisher–Yates (from the end). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  private refill(): void {
    const k = this.key;
    let i = 0;
    for (; i < N - M; i++) {
      const y = (k[i] & UPPER) | (k[i + 1] & LOWER);
      k[i] = k[i + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; i < N - 1; i++) {
      const y = (k[i] & UPPER) | (k[i + 1] & LOWER);
      k[i] = k[i + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (k[N - 1] & UPPER) | (k[0] & LOWER);
    k[N - 1] = k[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }
}

/** The rows scikit-learn's ShuffleSplit picks for one split. */
export interface SplitRows {
  test: Int32Array;
  train: Int32Array;
}

/**
 * scikit-learn's train_test_split(n rows, test_size, random_state=seed) row indices: n_test =
 * ceil(testSize × n) for a fraction (or testSize itself for a count), n_train = n − n_test, and
 * RandomState(seed).permutation(n) gives the test rows first, then the training rows, in that order.
 */
export function sklearnSplitRows(n: number, nTest: number, seed: number): SplitRows {
  const order = new LegacyMt19937(seed).permutation(n);
  return { test: order.slice(0, nTest), train: order.slice(nTest, n) };
}

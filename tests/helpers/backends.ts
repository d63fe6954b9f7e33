import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';

// The engine's kernel tests have their own helpers (packages/tfjs-fast-cpu/test/helpers.ts).

/** Seeded values in [-1, 1): random data exposes index mistakes that constant data would hide. */
export function randoms(shape: number[], seed: number): Float32Array {
  const rng = seedrandom(String(seed));
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1);
}

/** Largest |actual - expected| relative to the largest |expected| (a norm-wise relative error). */
export function relError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  expected.forEach((e, i) => {
    diff = Math.max(diff, Math.abs(actual[i] - e));
    scale = Math.max(scale, Math.abs(e));
  });
  return diff / (scale || 1);
}

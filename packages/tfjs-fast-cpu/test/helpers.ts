import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { useFusedAdam } from '../src/fused-adam';

/** The backends the kernel tests compare. */
export type Backend = 'cpu' | 'wasm';
/** Padding as tfjs's conv ops take it. */
export type Pad = 'valid' | 'same' | tf.backend_util.ExplicitPadding;
/** An NHWC shape. */
export type Shape4 = [number, number, number, number];

/** Relative tolerance of a wasm kernel against cpu. */
export const TOL = 1e-4;

/** Seeded values in [-1, 1): random data exposes index mistakes that constant data would hide. */
export function randoms(shape: number[], seed: number): Float32Array {
  const rng = seedrandom(String(seed));
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1);
}

/** Runs `f` on one backend and copies its results out, so no tensor crosses between backends. */
export async function on(backend: Backend, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const values = [out].flat().map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(out);
  return values;
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

/** A pooling-gradient case: NHWC input, window, stride, padding; `ties` makes equal maxima in windows. */
export interface PoolCase {
  shape: Shape4;
  k: [number, number];
  s: [number, number];
  pad: 'valid' | 'same' | number;
  ties?: boolean;
}

/** Pooling cases: shapes × window/stride × padding, then one ReLU-like case with ties; `unitWindow` adds a 1×1 window. */
export function poolCases({ unitWindow = false } = {}): PoolCase[] {
  const windows: Array<[[number, number], [number, number]]> = [
    [
      [2, 2],
      [2, 2],
    ],
    [
      [3, 3],
      [2, 2],
    ],
    [
      [3, 3],
      [1, 1],
    ],
    [
      [2, 3],
      [3, 1],
    ],
  ];
  if (unitWindow)
    windows.push([
      [1, 1],
      [2, 2],
    ]);
  const cases: PoolCase[] = [];
  for (const shape of [
    [2, 8, 8, 3],
    [1, 7, 9, 5],
    [3, 5, 5, 1],
  ] as Shape4[]) {
    for (const [k, s] of windows) {
      for (const pad of ['valid', 'same', 1] as const) {
        if (pad === 1 && (k[0] < 3 || k[1] < 3)) continue; // explicit pad must be < window
        cases.push({ shape, k, s, pad });
      }
    }
  }
  // ReLU-like inputs with many equal zeros: ties go to the first maximum, as on cpu.
  cases.push({ shape: [2, 8, 8, 4], k: [2, 2], s: [2, 2], pad: 'same', ties: true });
  return cases;
}

/** A pooling case's input: seeded randoms, for `ties` clipped at 0 and rounded to halves so windows hold equal maxima. */
export function poolInput(c: PoolCase, seed: number): Float32Array {
  return randoms(c.shape, seed).map((v) => (c.ties ? Math.max(0, Math.round(v * 2) / 2) : v));
}

/** Zero-inserts a filter, so the cpu backend (whose conv gradients reject dilation) can serve as reference. */
export function dilateFilter(w: tf.Tensor4D, d: number): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const spread = tf.pad(w.reshape([kh, 1, kw, 1, ci, co]), [
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, 0],
  ]);
  return spread
    .reshape([kh * d, kw * d, ci, co])
    .slice([0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, ci, co]) as tf.Tensor4D;
}

/**
 * Trains a small dense + BN model with Adam for 8 steps on the current backend, the fused Adam
 * update on or off; returns what a comparison needs (and leaves the fused update as asked).
 */
export async function trainWithAdam(fused: boolean) {
  useFusedAdam(fused);
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 16, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(2) }),
    ],
  });
  const optimizer = tf.train.adam(0.01);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const xs = tf.tensor2d(randoms([32, 6], 5), [32, 6]);
  const ys = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: 32 }, (_, i) => i % 3),
      'int32',
    ),
    3,
  );
  const losses: number[] = [];
  for (let step = 0; step < 8; step++) losses.push(Number(await model.trainOnBatch(xs, ys)));
  const kernels = (
    await tf.profile(async () => {
      await model.trainOnBatch(xs, ys);
    })
  ).kernels.length;
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  // Layer numbers in the names differ between two models: keep the variable's role (kernel/m, ...).
  const state = (await optimizer.getWeights()).map((w) => [
    w.name.replace(/^[^/]*\//, ''),
    Array.from(w.tensor.dataSync()),
  ]);
  tf.dispose([xs, ys]);
  model.dispose();
  optimizer.dispose();
  return { losses, kernels, weights, state };
}

/**
 * Trains on wasm with the stock and then the fused Adam update and asserts both agree bit for bit
 * (losses, weights, optimizer state); returns both runs and leaves the fused update on.
 */
export async function compareFusedAdam() {
  await tf.setBackend('wasm');
  try {
    const stock = await trainWithAdam(false);
    const fused = await trainWithAdam(true);
    assert.deepEqual(fused.losses, stock.losses);
    assert.deepEqual(fused.weights, stock.weights);
    assert.deepEqual(fused.state, stock.state, 'moments, their names and the iteration count');
    return { stock, fused };
  } finally {
    useFusedAdam(true);
  }
}

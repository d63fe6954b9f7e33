import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { useFusedAdam } from '../src/fused-adam';
import { smallConvNet } from './models';

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

/**
 * Runs `f` on cpu and on wasm and asserts every wasm output is within `tol` of cpu's (see relError);
 * `label` names the case in a failure. Returns the largest error seen.
 */
export async function assertWasmMatchesCpu(
  f: () => tf.Tensor | tf.Tensor[],
  label: string,
  tol = TOL,
): Promise<number> {
  const expected = await on('cpu', f);
  const actual = await on('wasm', f);
  assert.equal(actual.length, expected.length, `${label}: number of outputs`);
  let worst = 0;
  expected.forEach((e, j) => {
    const err = relError(actual[j], e);
    assert.ok(err <= tol, `${label} output ${j}: rel. error ${err}`);
    worst = Math.max(worst, err);
  });
  return worst;
}

/** A matMul case: shapes of a and b, transposeA, transposeB. */
export type MatMulCase = [number[], number[], boolean, boolean];

/** Small matMul cases every matMul kernel must get right: each transpose pair, equal and broadcast batches. */
export const MATMUL_TRANSPOSE_CASES: MatMulCase[] = [
  [[7, 5], [7, 3], true, false],
  [[7, 5], [3, 5], false, true],
  [[5, 7], [3, 5], true, true],
  [[4, 6, 5], [4, 5, 3], false, false],
  [[4, 5, 6], [4, 3, 5], true, true],
  [[1, 6, 5], [4, 5, 3], false, false],
];

/**
 * Evaluates `expression` (JavaScript that yields a promise) in a fresh Node with `env` added, after
 * `preload`; returns what the promise resolved to, or its error message. Asserts the child exits
 * on its own: a pthread that kept Node alive would hang it until the timeout.
 */
export function resolveInChild<T = Record<string, unknown>>(
  expression: string,
  env: Record<string, string>,
  preload = '',
): { info?: T; error?: string } {
  const script =
    preload +
    expression +
    '.then((i) => console.log(JSON.stringify(i)), (e) => console.log(JSON.stringify({ error: e.message })));';
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `child exited with ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return out.error ? { error: out.error } : { info: out };
}

/** One-hot labels cycling through `classes`, for `n` examples. */
export function cyclicLabels(n: number, classes: number): tf.Tensor {
  return tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % classes),
      'int32',
    ),
    classes,
  );
}

/**
 * Trains `model` with Adam(0.01) on one fixed batch for `steps` steps on the current backend and
 * records, after each step, the loss and [numTensors, numDataIds] (numDataIds also counts buffers
 * a kernel allocated but never handed to the engine, so a leak shows in either).
 */
export async function trainSteps(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  [xs, ys]: [tf.Tensor, tf.Tensor],
  steps: number,
): Promise<{ losses: number[]; counts: Array<[number, number]> }> {
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const losses: number[] = [];
  const counts: Array<[number, number]> = [];
  for (let step = 0; step < steps; step++) {
    losses.push(Number(await model.trainOnBatch(xs, ys)));
    counts.push([tf.memory().numTensors, tf.engine().backend.numDataIds()]);
  }
  return { losses, counts };
}

/** Asserts the [numTensors, numDataIds] counts stay the same after the first two (warm-up) steps. */
export function assertNoLeak(counts: Array<[number, number]>): void {
  const settled = counts.slice(2);
  assert.ok(
    settled.every(([n, d]) => n === settled[0][0] && d === settled[0][1]),
    `[numTensors, numDataIds] per step: ${JSON.stringify(counts)}`,
  );
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
  const data: [tf.Tensor, tf.Tensor] = [tf.tensor2d(randoms([32, 6], 5), [32, 6]), cyclicLabels(32, 3)];
  const { losses } = await trainSteps(model, optimizer, data, 8);
  const kernels = (
    await tf.profile(async () => {
      await model.trainOnBatch(...data);
    })
  ).kernels.length;
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  // Layer numbers in the names differ between two models: keep the variable's role (kernel/m, ...).
  const state = (await optimizer.getWeights()).map((w) => [
    w.name.replace(/^[^/]*\//, ''),
    Array.from(w.tensor.dataSync()),
  ]);
  tf.dispose(data);
  model.dispose();
  optimizer.dispose();
  return { losses, kernels, weights, state };
}

/**
 * Trains the small conv net of models.ts with Adam on one seeded batch for `steps` steps on
 * `backend`; returns the losses, the [numTensors, numDataIds] after each step and the first
 * layer's weights.
 */
export async function trainConvNet(
  backend: Backend,
  steps: number,
): Promise<{ losses: number[]; counts: Array<[number, number]>; weights: Float32Array }> {
  await tf.setBackend(backend);
  const model = smallConvNet();
  const optimizer = tf.train.adam(0.01);
  const data: [tf.Tensor, tf.Tensor] = [
    tf.tensor4d(randoms([16, 12, 12, 2], 77), [16, 12, 12, 2]),
    cyclicLabels(16, 3),
  ];
  const { losses, counts } = await trainSteps(model, optimizer, data, steps);
  const weights = Float32Array.from(model.getWeights()[0].dataSync());
  tf.dispose(data);
  model.dispose();
  optimizer.dispose();
  return { losses, counts, weights };
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

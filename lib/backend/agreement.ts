import * as tf from '@tensorflow/tfjs';
import { host } from '../host';

/** What a few training steps of the probe model gave on one backend. */
export interface ProbeRun {
  backend: string;
  /** Loss after each step. */
  losses: number[];
  /** The batch-norm layer's moving mean and variance after the last step. */
  movingMean: number[];
  movingVariance: number[];
}

/** Relative tolerance within which two backends count as computing the same thing in float32. */
export const AGREEMENT_TOLERANCE = 1e-3;

/** Deterministic values in [-0.5, 0.5), the same on every backend and host (a 32-bit LCG). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

/**
 * Trains a small conv + batch-norm model `steps` SGD steps on the named backend (switching to it),
 * from fixed weights on fixed data, and returns the losses and BN moving statistics. Weights start
 * at zeros and are set from an LCG, so it draws nothing from Math.random (a notebook's seed stays
 * untouched).
 */
export async function convBnProbe(backend: string, steps = 5): Promise<ProbeRun> {
  // The host, set up on first use, registers what its backends lack (wasm's conv gradients).
  host();
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend failed to initialise`);
  await tf.ready();
  const next = lcg(42);
  const n = 16;
  const x = tf.tensor4d(
    Float32Array.from({ length: n * 8 * 8 }, () => next() + 0.5),
    [n, 8, 8, 1],
  );
  const y = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i % 3));
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        useBias: false,
        kernelInitializer: 'zeros',
      }),
      tf.layers.batchNormalization({ momentum: 0.9 }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: 'zeros' }),
    ],
  });
  try {
    const conv = model.layers[0].getWeights()[0];
    const dense = model.layers[4].getWeights();
    const init = (shape: number[], scale: number) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * next()),
        shape,
      );
    model.layers[0].setWeights([init(conv.shape, 1)]);
    model.layers[4].setWeights([init(dense[0].shape, 0.5), dense[1]]);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) losses.push(Number(await model.trainOnBatch(x, y)));
    const bn = model.layers[1].getWeights();
    return {
      backend,
      losses,
      movingMean: Array.from(await bn[2].data()),
      movingVariance: Array.from(await bn[3].data()),
    };
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

/** The largest relative difference between two probe runs (losses and moving statistics). */
export function probeDifference(a: ProbeRun, b: ProbeRun): number {
  const pairs: [number[], number[]][] = [
    [a.losses, b.losses],
    [a.movingMean, b.movingMean],
    [a.movingVariance, b.movingVariance],
  ];
  let worst = 0;
  for (const [u, v] of pairs) {
    if (u.length !== v.length) return Infinity;
    for (let i = 0; i < u.length; i++) {
      const d = Math.abs(u[i] - v[i]) / Math.max(1, Math.abs(v[i]));
      worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
    }
  }
  return worst;
}

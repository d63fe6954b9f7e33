import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { compileClassifier, lenet } from '../../scripts/reference-models';
import { initBackend } from '../../lib/backend/select';
import { setSeed } from '../../lib/training/seed';
import { randoms, relError } from '@bn-lab/tfjs-fast-cpu/test-helpers';

/** tfjs-node with a binding (scripts/build-tfjs-node.js builds one where the download cannot). */
function tfjsNodeBuilt(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    return false;
  }
  const pkg = require.resolve('@tensorflow/tfjs-node/package.json');
  const binding = (require('@mapbox/node-pre-gyp') as { find(p: string): string }).find(pkg);
  return require('node:fs').existsSync(binding);
}
const built = tfjsNodeBuilt();
const skip = !built && 'tfjs-node not built (npm run build:tfjs-node)';

/** Losses of `steps` LeNet+BN training steps on one backend, from the given weights and batch. */
async function trainLenet(backend: string, weights: Float32Array[], x: Float32Array, y: Float32Array, steps: number) {
  await tf.setBackend(backend);
  const model = lenet(true);
  compileClassifier(model);
  model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)));
  const xs = tf.tensor4d(x, [16, 32, 32, 1]);
  const ys = tf.tensor1d(y);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = await model.trainOnBatch(xs, ys); // [loss, accuracy]
    losses.push(Array.isArray(r) ? r[0] : r);
  }
  const after = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  tf.dispose([xs, ys]);
  model.optimizer.dispose();
  model.dispose();
  return { losses, after };
}

test('initBackend auto picks the tensorflow backend when tfjs-node is built', { skip }, async () => {
  const saved = process.env.BN_LAB_BACKEND;
  delete process.env.BN_LAB_BACKEND;
  try {
    const auto = await initBackend('auto');
    assert.equal(auto.path, 'tensorflow');
    assert.equal(tf.getBackend(), 'tensorflow');
  } finally {
    if (saved !== undefined) process.env.BN_LAB_BACKEND = saved;
  }
});

test('LeNet+BN trains on tensorflow as on cpu (same weights, same batch)', { skip }, async (t) => {
  await initBackend('tensorflow');
  await tf.setBackend('cpu');
  setSeed(1);
  const init = lenet(true);
  const weights = init.getWeights().map((w) => Float32Array.from(w.dataSync()));
  init.dispose();
  const x = randoms([16, 32, 32, 1], 11);
  const y = Float32Array.from(randoms([16], 12), (v) => Math.floor((v + 1) * 5));
  const cpu = await trainLenet('cpu', weights, x, y, 4);
  const native = await trainLenet('tensorflow', weights, x, y, 4);
  t.diagnostic(
    `losses cpu ${cpu.losses.map((l) => l.toFixed(5))}, tensorflow ${native.losses.map((l) => l.toFixed(5))}`,
  );
  // Different kernels sum in different orders: agreement to float32 round-off, not bit for bit.
  for (const [i, l] of native.losses.entries())
    assert.ok(Math.abs(l - cpu.losses[i]) < 1e-3 * cpu.losses[i], `step ${i}: ${l} vs ${cpu.losses[i]}`);
  assert.ok(native.losses[3] < native.losses[0], `the loss falls: ${native.losses}`);
  for (const [i, w] of native.after.entries())
    assert.ok(relError(w, cpu.after[i]) < 1e-3, `weight ${i}: ${relError(w, cpu.after[i])}`);
  await tf.setBackend('cpu');
});

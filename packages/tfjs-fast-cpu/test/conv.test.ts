import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  assertNoLeak,
  assertWasmMatchesCpu,
  dilateFilter,
  on,
  Pad,
  randoms,
  relError,
  Shape4,
  TOL,
  trainConvNet,
} from './helpers';
import { useFastCpu } from '../src/fast-cpu';

const explicit: tf.backend_util.ExplicitPadding = [
  [0, 0],
  [1, 2],
  [2, 1],
  [0, 0],
];
const padName = (p: Pad) => (typeof p === 'string' ? p : 'explicit');

interface ConvCase {
  batch: number;
  size: number;
  inC: number;
  outC: number;
  k: number;
  stride: number;
  pad: Pad;
  dilation?: number;
}

const describeCase = (c: ConvCase) =>
  `b${c.batch} ${c.size}x${c.size}x${c.inC}->${c.outC} k${c.k} s${c.stride} d${c.dilation ?? 1} ${padName(c.pad)}`;

function convData(c: ConvCase, seed: number) {
  const xShape: Shape4 = [c.batch, c.size, c.size, c.inC];
  const wShape: Shape4 = [c.k, c.k, c.inC, c.outC];
  const dyShape = tf.backend_util.computeConv2DInfo(xShape, wShape, c.stride, c.dilation ?? 1, c.pad).outShape;
  return {
    xShape,
    wShape,
    dyShape,
    x: randoms(xShape, seed),
    w: randoms(wShape, seed + 1),
    dy: randoms(dyShape, seed + 2),
  };
}

// The pure-wasm kernels (dnnl.test.ts covers the oneDNN ones); one thread
// keeps these many small ops fast on a busy machine, and the kernels are the same at any thread count.
before(async () => {
  await useFastCpu({ threads: 1, dnnl: false, fusedAdam: true });
});

test('conv2d gradients on wasm (Conv2DBackpropFilter and Conv2DBackpropInput) match cpu on random data', async (t) => {
  const cases: ConvCase[] = [];
  for (const batch of [1, 3])
    for (const inC of [1, 3])
      for (const outC of [2, 5])
        for (const k of [1, 3, 5])
          for (const stride of [1, 2])
            for (const pad of ['valid', 'same', explicit] as Pad[])
              for (const size of [7, 8]) cases.push({ batch, size, inC, outC, k, stride, pad });
  for (const pad of ['valid', 'same', explicit] as Pad[])
    for (const size of [10, 11]) cases.push({ batch: 2, size, inC: 3, outC: 4, k: 3, stride: 3, pad });

  const failures: string[] = [];
  let worst = 0;
  for (const [i, c] of cases.entries()) {
    const d = convData(c, i * 10);
    const grads = () => {
      const x = tf.tensor4d(d.x, d.xShape);
      const w = tf.tensor4d(d.w, d.wShape);
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))(
        [x, w],
        tf.tensor(d.dy, d.dyShape),
      );
    };
    const [cpuDx, cpuDw] = await on('cpu', grads);
    const [wasmDx, wasmDw] = await on('wasm', grads);
    for (const [what, err] of [
      ['filter', relError(wasmDw, cpuDw)],
      ['input', relError(wasmDx, cpuDx)],
    ] as const) {
      worst = Math.max(worst, err);
      if (!(err <= TOL)) failures.push(`${describeCase(c)}: d${what} rel. error ${err.toExponential(2)}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases differ`);
  t.diagnostic(`${cases.length} configurations, worst relative error ${worst.toExponential(1)}`);
});

test('wasm Conv2DBackpropFilter with dilations (stride 1, and the stride-and-dilation fallback) matches cpu', async () => {
  const cases: ConvCase[] = [];
  for (const k of [1, 3, 5])
    for (const pad of ['valid', 'same', explicit] as Pad[])
      for (const size of [9, 10]) {
        cases.push({ batch: 2, size, inC: 3, outC: 5, k, stride: 1, pad, dilation: 2 });
      }
  cases.push({ batch: 2, size: 11, inC: 2, outC: 3, k: 3, stride: 2, pad: 'valid', dilation: 2 });
  cases.push({ batch: 1, size: 12, inC: 3, outC: 2, k: 3, stride: 2, pad: explicit, dilation: 3 });

  for (const [i, c] of cases.entries()) {
    const d = convData(c, 5000 + i * 10);
    const dilation = c.dilation ?? 1;
    const [expected] = await on('cpu', () =>
      tf.grad((w: tf.Tensor) =>
        tf.conv2d(tf.tensor4d(d.x, d.xShape), dilateFilter(w as tf.Tensor4D, dilation), c.stride, c.pad),
      )(tf.tensor4d(d.w, d.wShape), tf.tensor(d.dy, d.dyShape)),
    );
    // tf.grad cannot reach this path (tfjs's conv2d gradient rejects dilation > 1), so call the kernel.
    const [actual] = await on(
      'wasm',
      () =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.tensor4d(d.x, d.xShape), dy: tf.tensor(d.dy, d.dyShape) },
            { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: d.wShape, dilations: dilation },
          ) as tf.Tensor,
    );
    assert.ok(relError(actual, expected) <= TOL, `${describeCase(c)}: rel. error ${relError(actual, expected)}`);
  }
});

test('wasm Conv2DBackpropFilter refuses NCHW with a clear message', async () => {
  await tf.setBackend('wasm');
  assert.throws(
    () =>
      tf.tidy(() =>
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x: tf.zeros([1, 2, 5, 5]), dy: tf.zeros([1, 3, 3, 3]) },
            { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] },
          ),
      ),
    /'NHWC' only/,
  );
});

test('full gradient of a conv + batchNorm + avgPool + maxPool + dense model matches cpu', async () => {
  const shapes: Record<string, number[]> = { conv: [3, 3, 3, 4], gamma: [4], beta: [4], dense: [16, 3], bias: [3] };
  const values = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, randoms(s, 900 + i)]));
  const model = () => {
    const v = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.variable(tf.tensor(values[k], s))]));
    const x = tf.tensor4d(randoms([4, 8, 8, 3], 990), [4, 8, 8, 3]);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const { value, grads } = tf.variableGrads(() => {
      const h = tf.conv2d(x, v.conv as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      const bn = tf.batchNorm(h, mean, variance, v.beta, v.gamma, 1e-3).relu();
      const pooled = tf.maxPool(tf.avgPool(bn as tf.Tensor4D, 2, 2, 'valid'), 2, 2, 'valid');
      const logits = pooled.reshape([4, 16]).matMul(v.dense).add(v.bias);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, Object.values(v));
    const out = [value, ...Object.keys(shapes).map((k) => grads[v[k].name])];
    Object.values(v).forEach((t) => t.dispose());
    return out;
  };
  await assertWasmMatchesCpu(model, `loss (0), then the gradients of ${Object.keys(shapes)}`);
});

test('training a small conv net for 20 steps on wasm leaks no tensors or wasm buffers', async () => {
  const { losses, counts } = await trainConvNet('wasm', 20);
  assertNoLeak(counts);
  assert.ok(losses.every(Number.isFinite) && losses[19] < losses[0], `losses ${losses}`);
});

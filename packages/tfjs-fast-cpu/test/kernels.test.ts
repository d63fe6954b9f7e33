import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  assertWasmMatchesCpu,
  Backend,
  compareFusedAdam,
  MATMUL_TRANSPOSE_CASES,
  MatMulCase,
  on,
  Pad,
  PoolCase,
  poolCases,
  poolInput,
  randoms,
  relError,
  Shape4,
  TOL,
} from './helpers';
import { useFastCpu } from '../src/fast-cpu';
import { registerWasmKernels } from '../src/wasm-kernels';
import { compileClassifier, lenet, seedAll } from './models';

// The pure-wasm kernels (dnnl.test.ts covers the oneDNN ones); one thread
// keeps these many small ops fast on a busy machine, and the kernels are the same at any thread count.
before(async () => {
  await useFastCpu({ threads: 1, dnnl: false, fusedAdam: true });
});

test('registering the wasm kernels again keeps them working (no kernel wraps itself)', async () => {
  registerWasmKernels();
  registerWasmKernels();
  await tf.setBackend('wasm');
  const [sum, mean] = tf.tidy(() =>
    [
      tf.ones([64, 8, 8, 2]).sum([0, 1, 2]),
      tf
        .ones([64, 8, 8, 2])
        .mul(tf.ones([2]))
        .mean([0, 1, 2]),
    ].map((t) => Array.from(t.dataSync())),
  );
  assert.deepEqual(sum, [4096, 4096]);
  assert.deepEqual(mean, [1, 1]);
});

test('wasm Conv2DBackpropInput is the XNNPACK replacement, not the stock loop', () => {
  const k = tf.getKernel('Conv2DBackpropInput', 'wasm');
  assert.ok(k != null);
  assert.equal(k.kernelFunc.name, 'conv2DBackpropInput');
});

test('wasm Conv2DBackpropInput matches cpu: rectangular kernels and strides, large explicit pads, odd/even sizes', async () => {
  interface Case {
    batch: number;
    h: number;
    w: number;
    inC: number;
    outC: number;
    kh: number;
    kw: number;
    strides: [number, number];
    pad: Pad;
  }
  const pads: Pad[] = [
    'valid',
    'same',
    [
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 0],
    ],
    [
      [0, 0],
      [3, 1],
      [0, 4],
      [0, 0],
    ],
    [
      [0, 0],
      [2, 2],
      [2, 2],
      [0, 0],
    ],
  ];
  const cases: Case[] = [];
  for (const [h, w] of [
    [6, 6],
    [7, 9],
    [10, 5],
  ])
    for (const [kh, kw] of [
      [1, 1],
      [2, 3],
      [3, 3],
      [4, 2],
    ])
      for (const strides of [
        [1, 1],
        [2, 2],
        [3, 3],
        [1, 3],
        [2, 1],
      ] as Array<[number, number]>)
        for (const pad of pads) {
          if (kh > h + 2 || kw > w + 2) continue;
          cases.push({ batch: 2, h, w, inC: 3, outC: 4, kh, kw, strides, pad });
        }
  // The LeNet stride-5 1×1 layer and a channel-heavy case.
  cases.push({ batch: 3, h: 5, w: 5, inC: 16, outC: 12, kh: 1, kw: 1, strides: [5, 5], pad: 'valid' });
  cases.push({ batch: 1, h: 8, w: 8, inC: 32, outC: 17, kh: 3, kw: 3, strides: [1, 1], pad: 'same' });
  // One window over the whole input (the matrix-product path), and near misses that must not take it.
  cases.push({ batch: 4, h: 5, w: 5, inC: 16, outC: 24, kh: 5, kw: 5, strides: [1, 1], pad: 'valid' });
  cases.push({ batch: 2, h: 5, w: 4, inC: 3, outC: 6, kh: 5, kw: 4, strides: [2, 3], pad: 'valid' });
  cases.push({
    batch: 2,
    h: 4,
    w: 4,
    inC: 3,
    outC: 6,
    kh: 5,
    kw: 5,
    strides: [1, 1],
    pad: [
      [0, 0],
      [1, 0],
      [0, 1],
      [0, 0],
    ],
  });

  const failures: string[] = [];
  let checked = 0;
  for (const [i, c] of cases.entries()) {
    const xShape: Shape4 = [c.batch, c.h, c.w, c.inC];
    const wShape: Shape4 = [c.kh, c.kw, c.inC, c.outC];
    let dyShape: number[];
    try {
      dyShape = tf.backend_util.computeConv2DInfo(xShape, wShape, c.strides, 1, c.pad).outShape;
    } catch {
      continue;
    }
    if (dyShape.some((d) => d <= 0)) continue;
    const w = randoms(wShape, 3 * i);
    const dy = randoms(dyShape, 3 * i + 1);
    const call = () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropInput',
          { dy: tf.tensor(dy, dyShape), filter: tf.tensor4d(w, wShape) },
          { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: xShape },
        ) as tf.Tensor;
    const [expected] = await on('cpu', call);
    const [actual] = await on('wasm', call);
    checked++;
    const err = relError(actual, expected);
    if (!(err <= TOL)) {
      failures.push(
        `${c.h}x${c.w} k${c.kh}x${c.kw} s${c.strides} pad ${JSON.stringify(c.pad)}: ${err.toExponential(2)}`,
      );
    }
  }
  assert.ok(checked > 150, `only ${checked} cases ran`);
  assert.deepEqual(failures, []);
});

test('wasm Conv2DBackpropInput frees its intermediates', async () => {
  await tf.setBackend('wasm');
  const dy = tf.ones([2, 5, 4, 4]);
  const w = tf.ones([3, 3, 2, 4]);
  const run = () =>
    tf.engine().runKernel(
      'Conv2DBackpropInput',
      { dy, filter: w },
      {
        strides: 2,
        pad: [
          [0, 0],
          [3, 0],
          [0, 3],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        inputShape: [2, 8, 7, 2],
      },
    ) as tf.Tensor;
  run().dispose();
  const ids = tf.engine().backend.numDataIds();
  run().dispose();
  assert.equal(tf.engine().backend.numDataIds(), ids);
  tf.dispose([dy, w]);
});

test('wasm Tile matches cpu across ranks, dtypes and reps (including 1s and 0s)', async () => {
  const cases: Array<{ shape: number[]; reps: number[] }> = [
    { shape: [5], reps: [3] },
    { shape: [1], reps: [7] },
    { shape: [2, 3], reps: [1, 1] },
    { shape: [2, 3], reps: [3, 2] },
    { shape: [1, 1, 1, 6], reps: [4, 5, 3, 1] },
    { shape: [2, 1, 3, 2], reps: [1, 4, 1, 3] },
    { shape: [3, 2, 2], reps: [2, 1, 5] },
    { shape: [2, 2, 1, 3, 2], reps: [2, 3, 2, 1, 2] },
    { shape: [2, 3], reps: [0, 2] },
    { shape: [1, 1, 1, 64], reps: [32, 16, 16, 1] },
  ];
  for (const [i, c] of cases.entries()) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const values = Array.from(randoms(c.shape, 700 + i), (v) => (dtype === 'float32' ? v : Math.round(v * 9)));
      const run = () => tf.tile(tf.tensor(values, c.shape, dtype), c.reps).cast('float32');
      const [expected] = await on('cpu', run);
      const [actual] = await on('wasm', run);
      assert.deepEqual(actual, expected, `Tile ${c.shape} x ${c.reps} ${dtype}`);
    }
  }
});

test('wasm BatchMatMul with transposed operands matches cpu, values and gradients', async () => {
  const cases: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [];
  for (const ta of [false, true])
    for (const tb of [false, true]) {
      const [m, k, n] = [5, 7, 3];
      cases.push({ a: ta ? [k, m] : [m, k], b: tb ? [n, k] : [k, n], ta, tb });
      cases.push({ a: ta ? [4, k, m] : [4, m, k], b: tb ? [4, n, k] : [4, k, n], ta, tb });
      cases.push({ a: ta ? [1, k, m] : [1, m, k], b: tb ? [3, n, k] : [3, k, n], ta, tb });
    }
  for (const [i, c] of cases.entries()) {
    const [a, b] = [randoms(c.a, 800 + i), randoms(c.b, 850 + i)];
    const run = () => {
      const [ta, tb] = [tf.tensor(a, c.a), tf.tensor(b, c.b)];
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, c.ta, c.tb).square().sum();
      // tfjs's own matMul gradient does not reduce broadcast batch dimensions, so values only there.
      const broadcast = c.a.length === 3 && c.a[0] !== c.b[0];
      return [tf.matMul(ta, tb, c.ta, c.tb), ...(broadcast ? [] : tf.grads(f)([ta, tb]))];
    };
    await assertWasmMatchesCpu(run, JSON.stringify(c));
  }
});

test('wasm Sum and Mean match cpu over leading axes (the replaced path) and others (the stock path)', async () => {
  const cases: Array<{ shape: number[]; axis: number[]; keepDims: boolean }> = [
    { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 3], axis: [2, 0, 1], keepDims: true },
    { shape: [7, 3], axis: [0], keepDims: false },
    { shape: [2, 3, 4], axis: [0], keepDims: true },
    { shape: [2, 3, 4], axis: [0, 1], keepDims: false },
    { shape: [64, 9, 9, 5], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 3], axis: [1, 2], keepDims: false },
    { shape: [4, 5, 6, 3], axis: [3], keepDims: true },
    { shape: [4, 5], axis: [0, 1], keepDims: false },
  ];
  for (const [i, c] of cases.entries()) {
    for (const op of ['sum', 'mean'] as const) {
      const x = randoms(c.shape, 900 + i);
      const run = () => [
        tf[op](tf.tensor(x, c.shape), c.axis, c.keepDims),
        tf[op](tf.tensor(x, c.shape).cast('int32'), c.axis),
      ];
      await assertWasmMatchesCpu(run, `${op} ${JSON.stringify(c)}`);
      const shapes = await Promise.all(
        (['cpu', 'wasm'] as const).map(async (b) => {
          await tf.setBackend(b);
          return tf.tidy(() => tf[op](tf.tensor(x, c.shape), c.axis, c.keepDims).shape);
        }),
      );
      assert.deepEqual(shapes[1], shapes[0]);
    }
  }
});

test('wasm Multiply/Add/Sub/RealDiv with broadcasting operands (the tiled path) match cpu', async () => {
  const pairs: Array<[number[], number[]]> = [
    [[64, 16, 16, 8], [8]],
    [[8], [64, 16, 16, 8]],
    [
      [1, 1, 1, 8],
      [64, 16, 16, 8],
    ],
    [
      [64, 16, 16, 8],
      [64, 1, 1, 8],
    ],
    [
      [200, 1],
      [1, 300],
    ],
    [
      [3, 40, 50, 7],
      [40, 1, 7],
    ],
    [
      [20, 30, 40],
      [20, 30, 40],
    ],
    [[4, 5], [5]],
  ];
  for (const [i, [sa, sb]] of pairs.entries()) {
    const [a, b] = [randoms(sa, 1000 + i), randoms(sb, 1100 + i).map((v) => v + 2)];
    const run = () => {
      const [ta, tb] = [tf.tensor(a, sa), tf.tensor(b, sb)];
      return [
        tf.mul(ta, tb),
        tf.add(ta, tb),
        tf.sub(ta, tb),
        tf.div(ta, tb),
        tf.mul(ta.cast('int32'), tb.cast('int32')).cast('float32'),
      ];
    };
    await assertWasmMatchesCpu(run, `${sa} op ${sb}`, 1e-6);
  }
});

test('wasm MaxPoolGrad matches cpu: window/stride combinations, padding, ties, odd sizes', async () => {
  const cases: PoolCase[] = [
    ...poolCases({ unitWindow: true }),
    // Ties in overlapping windows too, where one maximum can win several windows.
    { shape: [2, 9, 9, 4], k: [3, 3], s: [1, 1], pad: 'valid', ties: true },
  ];
  for (const [i, c] of cases.entries()) {
    const x = poolInput(c, 1200 + i);
    const run = () =>
      tf.grad((t: tf.Tensor) =>
        tf
          .maxPool(t as tf.Tensor4D, c.k, c.s, c.pad)
          .square()
          .sum(),
      )(tf.tensor4d(x, c.shape));
    await assertWasmMatchesCpu(run, JSON.stringify(c));
  }
});

/** Trains a seeded LeNet+BN on fixed batches; returns per-step losses and numTensors after each epoch. */
async function trainLeNet(backend: Backend, epochs: number): Promise<{ losses: number[]; tensors: number[] }> {
  await tf.setBackend(backend);
  seedAll(3);
  const model = lenet(true);
  compileClassifier(model);
  const batches = [0, 1, 2].map((b) => [
    tf.tensor4d(randoms([16, 32, 32, 1], 100 + b), [16, 32, 32, 1]),
    tf.tensor1d(
      Array.from({ length: 16 }, (_, i) => (i * 7 + b) % 10),
      'float32',
    ),
  ]);
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [x, y] of batches) {
      // With metrics, trainOnBatch resolves to [loss, acc].
      const result = await model.trainOnBatch(x, y);
      losses.push(Array.isArray(result) ? result[0] : result);
    }
    tensors.push(tf.memory().numTensors);
  }
  tf.dispose(batches.flat());
  model.optimizer.dispose();
  model.dispose();
  return { losses, tensors };
}

test('a seeded LeNet+BN trains to the same losses on wasm as on cpu, without leaking tensors', async () => {
  const epochs = 10;
  const cpu = await trainLeNet('cpu', epochs);
  const wasm = await trainLeNet('wasm', epochs);
  const last = epochs * 3 - 1;
  assert.ok(wasm.losses[last] < wasm.losses[0] * 0.8, `wasm loss did not fall: ${wasm.losses}`);
  // Same seed and data order: only float summation order differs, so the curves stay together.
  for (const [i, l] of wasm.losses.entries()) {
    assert.ok(
      Math.abs(l - cpu.losses[i]) <= 1e-3 * Math.max(1, cpu.losses[i]),
      `step ${i}: wasm ${l} vs cpu ${cpu.losses[i]}`,
    );
  }
  assert.ok(
    wasm.tensors.slice(1).every((n) => n === wasm.tensors[1]),
    `numTensors per epoch: ${wasm.tensors}`,
  );
});

test('wasm Identity and same-dtype Cast share the buffer; each handle survives disposing the other', async () => {
  await tf.setBackend('wasm');
  const ids = tf.engine().backend.numDataIds();
  const x = tf.tensor2d([
    [1.5, -2],
    [3, 4],
  ]);
  const clone = tf.clone(x);
  const same = tf.cast(x, 'float32');
  const asInt = tf.cast(x, 'int32');
  assert.equal(
    tf.engine().backend.numDataIds(),
    ids + 2,
    'clone and same-dtype cast add no buffer; int32 cast adds one',
  );
  x.dispose();
  assert.deepEqual(Array.from(clone.dataSync()), [1.5, -2, 3, 4]);
  clone.dispose();
  assert.deepEqual(Array.from(same.dataSync()), [1.5, -2, 3, 4]);
  assert.deepEqual(Array.from(asInt.dataSync()), [1, -2, 3, 4]);
  tf.dispose([same, asInt]);
  assert.equal(tf.engine().backend.numDataIds(), ids);
  // A variable's assign swaps buffers, so a clone taken before keeps the old values.
  const v = tf.variable(tf.tensor1d([1, 2]));
  const before = tf.clone(v);
  v.assign(tf.tensor1d([5, 6]));
  assert.deepEqual(Array.from(before.dataSync()), [1, 2]);
  tf.dispose([v, before]);
});

test('wasm FusedBatchNorm matches cpu: per-channel statistics with and without offset/scale, and the stock path', async () => {
  const cases: Array<{ x: number[]; stats: number[]; offset: boolean; scale: boolean }> = [
    { x: [32, 8, 8, 16], stats: [16], offset: true, scale: true },
    { x: [5, 7], stats: [7], offset: false, scale: true },
    { x: [3, 4, 4, 6], stats: [1, 1, 1, 6], offset: true, scale: false },
    { x: [2, 3, 5], stats: [5], offset: false, scale: false },
    // Not per channel: the stock kernel's broadcasting path.
    { x: [4, 6], stats: [4, 1], offset: true, scale: true },
  ];
  for (const [i, c] of cases.entries()) {
    const x = randoms(c.x, 1300 + i);
    const [mean, offset, scale] = [1, 2, 3].map((k) => randoms(c.stats, 1300 + 10 * k + i));
    const variance = randoms(c.stats, 1350 + i).map((v) => v * v + 0.1);
    const run = () =>
      tf.batchNorm(
        tf.tensor(x, c.x),
        tf.tensor(mean, c.stats),
        tf.tensor(variance, c.stats),
        c.offset ? tf.tensor(offset, c.stats) : undefined,
        c.scale ? tf.tensor(scale, c.stats) : undefined,
        1e-3,
      );
    await assertWasmMatchesCpu(run, JSON.stringify(c), 1e-6);
  }
});

test('the fused Adam update gives bit-identical weights and optimizer state to tfjs Adam, in far fewer kernel calls', async () => {
  const { stock, fused } = await compareFusedAdam();
  assert.ok(
    fused.kernels < stock.kernels * 0.75,
    `kernel calls per step: fused ${fused.kernels}, stock ${stock.kernels}`,
  );
});

test('wasm _FusedMatMul with transposed or batched operands matches cpu (the stock kernel gets both wrong)', async () => {
  const cases: MatMulCase[] = [
    ...MATMUL_TRANSPOSE_CASES,
    [[2, 3], [2, 2], true, false],
    [[4, 6], [6, 3], false, false],
  ];
  for (const [i, [sa, sb, ta, tb]] of cases.entries()) {
    const n = tb ? sb[sb.length - 2] : sb[sb.length - 1];
    const [a, b, bias] = [randoms(sa, 600 + i), randoms(sb, 700 + i), randoms([n], 800 + i)];
    const run = () =>
      ['linear', 'relu'].map((activation) =>
        tf.fused.matMul({
          a: tf.tensor(a, sa),
          b: tf.tensor(b, sb),
          transposeA: ta,
          transposeB: tb,
          bias: tf.tensor1d(bias),
          activation: activation as 'linear' | 'relu',
        }),
      );
    await assertWasmMatchesCpu(run, `${sa} x ${sb} ${ta} ${tb}`);
  }
});

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  assertNoLeak,
  assertWasmMatchesCpu,
  compareFusedAdam,
  dilateFilter,
  MATMUL_TRANSPOSE_CASES,
  MatMulCase,
  on,
  Pad,
  poolCases,
  poolInput,
  randoms,
  relError,
  resolveInChild,
  Shape4,
  TOL,
  trainConvNet,
} from './helpers';
import { useFastCpu } from '../src/fast-cpu';
import { DNNL_ADDON_PATH, DNNL_KERNEL_NAMES } from '../src/dnnl-kernels';

// From dist/test/ back to the package; native/build.js is plain JS (it runs at install, before tsc).
const packageRoot = resolve(__dirname, '../..');
const { prerequisites } = require(resolve(packageRoot, 'native/build.js')) as { prerequisites(): { why?: string } };
const built = existsSync(DNNL_ADDON_PATH);

/** Runs useFastCpu(options) in a fresh Node with `env`; returns what it enabled (and proves the process exits). */
function startInChild(
  options: object,
  env: Record<string, string>,
): { info?: Record<string, unknown>; error?: string; ms: number } {
  const t0 = Date.now();
  const out = resolveInChild(
    `require(${JSON.stringify(resolve(packageRoot, 'dist/src/index.js'))}).useFastCpu(${JSON.stringify(options)})`,
    env,
  );
  return { ...out, ms: Date.now() - t0 };
}

before(async () => {
  if (built) await useFastCpu({ dnnl: true, fusedAdam: true });
});

test('the oneDNN addon is built wherever its prerequisites are, and useFastCpu reports what it enabled', (t) => {
  const missing = prerequisites().why;
  assert.ok(
    built || missing != null,
    'g++, node-api-headers and oneDNN are all here but the addon is not built: run `node native/build.js`',
  );
  if (!built) t.diagnostic(`addon not built here (${missing}); checking the fallback only`);

  const gone = { BN_LAB_DNNL_ADDON: '/nonexistent/bnlab_dnnl.node' };
  const threads = startInChild({ threads: 2 }, gone);
  assert.deepEqual(
    [threads.info?.threads, threads.info?.simd, threads.info?.dnnl, threads.info?.fusedAdam],
    [2, true, undefined, false],
    JSON.stringify(threads),
  );
  assert.match(String(threads.info?.dnnlError), /the oneDNN addon is not built \(\/nonexistent/);
  const single = startInChild({ threads: 1, dnnl: false, fusedAdam: true }, gone);
  assert.deepEqual([single.info?.threads, single.info?.dnnlError, single.info?.fusedAdam], [1, undefined, true]);
  const refused = startInChild({ dnnl: true }, gone);
  assert.match(refused.error ?? '', /not built.*apt-get install g\+\+ libdnnl-dev.*native\/build\.js/s);
  if (built) {
    const native = startInChild({ threads: 2 }, {});
    assert.equal(native.info?.threads, 2, JSON.stringify(native));
    assert.match(String(native.info?.dnnl), /^oneDNN \d+\.\d+\.\d+ kernels/);
  }
  t.diagnostic(`child processes exited after ${threads.ms} ms (threads) and ${single.ms} ms (1 thread)`);
});

interface ConvCase {
  batch: number;
  h: number;
  w: number;
  inC: number;
  outC: number;
  k: [number, number];
  stride: [number, number];
  dilation: number;
  pad: Pad;
}
const explicit: tf.backend_util.ExplicitPadding = [
  [0, 0],
  [2, 0],
  [1, 3],
  [0, 0],
];
const describeCase = (c: ConvCase) =>
  `b${c.batch} ${c.h}x${c.w}x${c.inC}->${c.outC} k${c.k} s${c.stride} d${c.dilation} ` +
  (typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad));

/**
 * Forward, input gradient and filter gradient of one conv, by the kernels directly (tf.grad rejects
 * dilation > 1; the kernels take it). The cpu reference runs the same with the zero-inserted filter.
 */
function convOutputs(c: ConvCase, seed: number, reference: boolean): () => tf.Tensor[] {
  const xShape: Shape4 = [c.batch, c.h, c.w, c.inC];
  const wShape: Shape4 = [...c.k, c.inC, c.outC];
  const dyShape = tf.backend_util.computeConv2DInfo(xShape, wShape, c.stride, c.dilation, c.pad).outShape;
  const [x, w, dy] = [randoms(xShape, seed), randoms(wShape, seed + 1), randoms(dyShape, seed + 2)];
  return () => {
    const tx = tf.tensor4d(x, xShape);
    const tw = tf.tensor4d(w, wShape);
    const tdy = tf.tensor(dy, dyShape);
    if (reference) {
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, dilateFilter(b as tf.Tensor4D, c.dilation), c.stride, c.pad);
      return [f(tx, tw), ...tf.grads(f)([tx, tw], tdy)];
    }
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilation };
    return [
      tf.engine().runKernel('Conv2D', { x: tx, filter: tw }, attrs) as tf.Tensor,
      tf
        .engine()
        .runKernel('Conv2DBackpropInput', { dy: tdy, filter: tw }, { ...attrs, inputShape: xShape }) as tf.Tensor,
      tf.engine().runKernel('Conv2DBackpropFilter', { x: tx, dy: tdy }, { ...attrs, filterShape: wShape }) as tf.Tensor,
    ];
  };
}

test(
  'oneDNN Conv2D and both gradients match cpu across shapes, strides, paddings and dilations',
  { skip: !built && 'addon not built' },
  async (t) => {
    const cases: ConvCase[] = [];
    for (const [h, w] of [
      [7, 7],
      [8, 10],
    ])
      for (const [inC, outC] of [
        [1, 2],
        [3, 5],
      ])
        for (const k of [
          [1, 1],
          [3, 3],
          [5, 2],
        ] as Array<[number, number]>)
          for (const stride of [
            [1, 1],
            [2, 2],
            [3, 1],
          ] as Array<[number, number]>)
            for (const pad of ['valid', 'same', explicit] as Pad[]) {
              cases.push({ batch: 2, h, w, inC, outC, k, stride, dilation: 1, pad });
            }
    for (const dilation of [2, 3])
      for (const stride of [
        [1, 1],
        [2, 2],
      ] as Array<[number, number]>)
        for (const pad of ['valid', 'same', explicit] as Pad[]) {
          cases.push({ batch: 2, h: 11, w: 9, inC: 3, outC: 4, k: [3, 2], stride, dilation, pad });
        }
    // The LeNet stride-5 1×1 layer, and a whole-input 5×5 window.
    cases.push({ batch: 4, h: 5, w: 5, inC: 16, outC: 120, k: [1, 1], stride: [5, 5], dilation: 1, pad: 'valid' });
    cases.push({ batch: 4, h: 5, w: 5, inC: 16, outC: 120, k: [5, 5], stride: [1, 1], dilation: 1, pad: 'valid' });

    const failures: string[] = [];
    let worst = 0;
    for (const [i, c] of cases.entries()) {
      const expected = await on('cpu', convOutputs(c, 10 * i, true));
      const actual = await on('wasm', convOutputs(c, 10 * i, false));
      ['y', 'dx', 'dw'].forEach((what, j) => {
        const err = relError(actual[j], expected[j]);
        worst = Math.max(worst, err);
        if (!(err <= TOL)) failures.push(`${describeCase(c)}: ${what} rel. error ${err.toExponential(2)}`);
      });
    }
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length * 3} outputs differ`);
    t.diagnostic(`${cases.length} configurations, worst relative error ${worst.toExponential(1)}`);
  },
);

test(
  'oneDNN FusedConv2D (bias, linear/relu) matches cpu in values and gradients; other activations delegate',
  { skip: !built && 'addon not built' },
  async () => {
    const xShape: Shape4 = [3, 9, 9, 4];
    const wShape: Shape4 = [3, 3, 4, 6];
    const [x, w, b, dy] = [randoms(xShape, 1), randoms(wShape, 2), randoms([6], 3), randoms([3, 5, 5, 6], 4)];
    for (const activation of ['linear', 'relu', 'elu'] as const) {
      for (const withBias of [true, false]) {
        const run = () => {
          const tx = tf.tensor4d(x, xShape);
          const tw = tf.tensor4d(w, wShape);
          const tb = tf.tensor1d(b);
          const f = (a: tf.Tensor, fw: tf.Tensor, fb: tf.Tensor) =>
            tf.fused.conv2d({
              x: a as tf.Tensor4D,
              filter: fw as tf.Tensor4D,
              strides: 2,
              pad: 'same',
              bias: withBias ? fb : undefined,
              activation,
            });
          const y = f(tx, tw, tb);
          // Under a gradient tape with a linear activation tfjs keeps the fused kernel (VGG's conv -> BN -> ReLU).
          const g = tf.tensor4d(dy, [3, 5, 5, 6]);
          const grads = withBias
            ? tf.grads(f)([tx, tw, tb], g)
            : tf.grads((a: tf.Tensor, fw: tf.Tensor) => f(a, fw, tb))([tx, tw], g);
          return [y, ...grads];
        };
        await assertWasmMatchesCpu(run, `${activation} bias=${withBias}`);
      }
    }
    for (const name of DNNL_KERNEL_NAMES) assert.equal(tf.getKernel(name, 'wasm')?.kernelFunc.name, `dnnl${name}`);
  },
);

test(
  'oneDNN BatchMatMul and _FusedMatMul match cpu: transposes, batches, broadcasting, bias and ReLU, gradients',
  { skip: !built && 'addon not built' },
  async () => {
    const cases: MatMulCase[] = [
      [[32, 120], [120, 84], false, false],
      [[32, 2048], [2048, 256], false, false],
      ...MATMUL_TRANSPOSE_CASES,
      [[2, 3, 6, 5], [5, 4], false, false],
      [[6, 5], [2, 3, 5, 4], false, false],
      [[1, 1], [1, 9], false, false],
      // Large enough for oneDNN (small products stay on XNNPACK): transposes, batches, broadcasting.
      [[96, 64], [96, 80], true, false],
      [[64, 96], [80, 96], false, true],
      [[96, 64], [80, 96], true, true],
      [[8, 40, 48], [8, 48, 40], false, false],
      [[8, 48, 40], [8, 40, 48], true, true],
      [[1, 40, 48], [8, 48, 40], false, false],
      [[2, 4, 40, 48], [48, 40], false, false],
    ];
    for (const [i, [sa, sb, ta, tb]] of cases.entries()) {
      const [a, b] = [randoms(sa, 300 + i), randoms(sb, 400 + i)];
      const n = tb ? sb[sb.length - 2] : sb[sb.length - 1];
      const bias = randoms([n], 500 + i);
      const run = () => {
        const [x, y] = [tf.tensor(a, sa), tf.tensor(b, sb)];
        const product = tf.matMul(x, y, ta, tb);
        const fused = tf.fused.matMul({
          a: x,
          b: y,
          transposeA: ta,
          transposeB: tb,
          bias: tf.tensor1d(bias),
          activation: 'relu',
        });
        // Dense layers train through the fused op with a linear activation; its gradient calls BatchMatMul with
        // transposes. (tfjs's fused gradient does not reduce broadcast batches, on any backend: values only there.)
        if (sa.slice(0, -2).join() !== sb.slice(0, -2).join()) return [product, fused];
        const grads = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.fused
            .matMul({ a: p, b: q, transposeA: ta, transposeB: tb, bias: tf.tensor1d(bias) })
            .square()
            .sum(),
        )([x, y]);
        return [product, fused, ...grads];
      };
      await assertWasmMatchesCpu(run, `${sa} x ${sb} ${ta} ${tb}`);
    }
  },
);

test(
  'native MaxPoolGrad, AvgPoolGrad and FusedBatchNorm match cpu (windows, strides, padding, ties; per-channel and stock statistics)',
  { skip: !built && 'addon not built' },
  async () => {
    const pools = poolCases();
    for (const [i, c] of pools.entries()) {
      const x = poolInput(c, 2200 + i);
      const run = () =>
        [tf.maxPool, tf.avgPool].map((pool) =>
          tf.grad((t: tf.Tensor) =>
            pool(t as tf.Tensor4D, c.k, c.s, c.pad)
              .square()
              .sum(),
          )(tf.tensor4d(x, c.shape)),
        );
      await assertWasmMatchesCpu(run, `maxPool (0), avgPool (1) ${JSON.stringify(c)}`);
    }
    for (const [i, [xs, stats, withOffset]] of (
      [
        [[32, 8, 8, 16], [16], true],
        [[5, 7], [7], false],
        [[4, 6], [4, 1], true],
      ] as const
    ).entries()) {
      const [x, mean, offset, scale] = [xs, stats, stats, stats].map((sh, k) => randoms([...sh], 2300 + 10 * k + i));
      const variance = randoms([...stats], 2390 + i).map((v) => v * v + 0.1);
      const run = () =>
        tf.batchNorm(
          tf.tensor(x, [...xs]),
          tf.tensor(mean, [...stats]),
          tf.tensor(variance, [...stats]),
          withOffset ? tf.tensor(offset, [...stats]) : undefined,
          tf.tensor(scale, [...stats]),
          1e-3,
        );
      await assertWasmMatchesCpu(run, `batchNorm ${xs} / ${stats}`, 1e-6);
    }
  },
);

test(
  'the native FusedBatchNorm gradient matches cpu for all five inputs, and through moments as BN layers train',
  { skip: !built && 'addon not built' },
  async () => {
    // (tfjs's gradient cannot run without offset or scale on any backend: its tape meets the missing input.)
    for (const [i, xs] of [
      [8, 6, 6, 16],
      [32, 7],
      [4, 5, 3],
    ].entries()) {
      const c = xs[xs.length - 1];
      const [x, mean, offset, scale, dy] = [xs, [c], [c], [c], xs].map((sh, k) => randoms(sh, 2500 + 10 * k + i));
      const variance = randoms([c], 2590 + i).map((v) => v * v + 0.1);
      const direct = () =>
        tf.grads((tx: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, g: tf.Tensor) =>
          tf.batchNorm(tx, m, v, o, g, 1e-3),
        )(
          [tf.tensor(x, xs), tf.tensor1d(mean), tf.tensor1d(variance), tf.tensor1d(offset), tf.tensor1d(scale)],
          tf.tensor(dy, xs),
        );
      const axes = xs.slice(0, -1).map((_, k) => k);
      const throughMoments = () =>
        tf.grads((tx: tf.Tensor, g: tf.Tensor) => {
          const { mean: m, variance: v } = tf.moments(tx, axes);
          return tf.batchNorm(tx, m, v, tf.tensor1d(offset), g, 1e-3);
        })([tf.tensor(x, xs), tf.tensor1d(scale)], tf.tensor(dy, xs));
      for (const [name, run] of [
        ['direct', direct],
        ['through moments', throughMoments],
      ] as const) {
        await assertWasmMatchesCpu(run, `${xs} ${name}`);
      }
      // The kernel without scale equals the kernel with a scale of ones.
      const kernel = (withScale: boolean) => () =>
        tf.engine().runKernel(
          'BnLabBatchNormGrad',
          {
            x: tf.tensor(x, xs),
            dy: tf.tensor(dy, xs),
            mean: tf.tensor1d(mean),
            variance: tf.tensor1d(variance),
            ...(withScale ? { scale: tf.ones([c]) } : {}),
          },
          { varianceEpsilon: 1e-3 },
        ) as tf.Tensor[];
      assert.deepEqual(await on('wasm', kernel(false)), await on('wasm', kernel(true)));
    }
  },
);

test(
  'oneDNN Tanh matches cpu (large tensors; small ones stay on wasm)',
  { skip: !built && 'addon not built' },
  async () => {
    for (const [i, shape] of [
      [32, 28, 28, 6],
      [3, 700],
      [5, 7],
    ].entries()) {
      const x = randoms(shape, 2700 + i).map((v) => v * 6);
      const run = () => [tf.tanh(tf.tensor(x, shape)), tf.grad((t: tf.Tensor) => tf.tanh(t))(tf.tensor(x, shape))];
      await assertWasmMatchesCpu(run, `${shape}`);
    }
  },
);

test('oneDNN kernels re-read the heap after the wasm memory grows', { skip: !built && 'addon not built' }, async () => {
  await tf.setBackend('wasm');
  const heap = () =>
    (tf.findBackend('wasm') as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
  const c: ConvCase = { batch: 2, h: 8, w: 8, inC: 3, outC: 4, k: [3, 3], stride: [1, 1], dilation: 1, pad: 'same' };
  const expected = await on('cpu', convOutputs(c, 7, true));
  const before = heap();
  await tf.setBackend('wasm');
  const filler = tf.zeros([(before >> 2) + (1 << 20)]); // more floats than the heap holds now
  assert.ok(heap() > before, 'the heap should have grown');
  const actual = await on('wasm', convOutputs(c, 7, false));
  filler.dispose();
  expected.forEach((e, j) => assert.ok(relError(actual[j], e) <= TOL, `output ${j}: ${relError(actual[j], e)}`));
});

test(
  'a conv net trains on the oneDNN path as on cpu, leaks nothing, and reruns bit-identically',
  { skip: !built && 'addon not built' },
  async () => {
    const steps = 15;
    const cpu = await trainConvNet('cpu', steps);
    const fast = await trainConvNet('wasm', steps);
    const again = await trainConvNet('wasm', steps);
    assert.ok(fast.losses[steps - 1] < fast.losses[0] * 0.7, `loss did not fall: ${fast.losses}`);
    fast.losses.forEach((l, i) =>
      assert.ok(
        Math.abs(l - cpu.losses[i]) <= 1e-3 * Math.max(1, cpu.losses[i]),
        `step ${i}: oneDNN ${l} vs cpu ${cpu.losses[i]}`,
      ),
    );
    assertNoLeak(fast.counts);
    assert.deepEqual(again.losses, fast.losses, 'same seed, same backend: same losses');
    assert.deepEqual(again.weights, fast.weights, 'same seed, same backend: same weights');
  },
);

test(
  'the native Adam loop is bit-identical to tfjs Adam on the oneDNN path',
  { skip: !built && 'addon not built' },
  async () => {
    await compareFusedAdam();
  },
);

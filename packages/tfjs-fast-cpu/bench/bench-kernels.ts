/**
 * Benchmark behind the choice of wasm Conv2DBackpropFilter: the XNNPACK forward-conv route in
 * wasm-kernels.ts against the Conv3DBackpropFilterV2 route it replaced, per kernel call and for
 * whole training steps. Run: `npm run bench` in this package.
 */
import * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import { lenet, vggCnn } from '../test/models';
import { useFastCpu } from '../src/fast-cpu';
import { Conv2DBackpropFilterAttrs, registerWasmKernels } from '../src/wasm-kernels';

/** What tfjs passes a kernel function (its own type, which spells the backend as `{}`). */
type KernelArgs = Parameters<tf.KernelFunc>[0];

type Variant = 'xnnpack' | 'conv3d';

/** The earlier route: the same gradient as a depth-1 Conv3DBackpropFilterV2 (a scalar loop in wasm). */
function conv3dRoute(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, filterShape } = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  if (pad !== 'same' && pad !== 'valid') throw new Error('conv3d route: only same/valid padding');
  const run = (name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) =>
    tf.getKernel(name, 'wasm').kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
  const to5 = (t: tf.TensorInfo) => run('Reshape', { x: t }, { shape: [t.shape[0], 1, ...t.shape.slice(1)] });
  const [x5, dy5] = [to5(x), to5(dy)];
  const s = typeof strides === 'number' ? [strides, strides] : strides;
  const dw = run(
    'Conv3DBackpropFilterV2',
    { x: x5, dy: dy5 },
    { strides: [1, ...s], pad, filterShape: [1, ...filterShape] },
  );
  const out = run('Reshape', { x: dw }, { shape: filterShape });
  for (const t of [x5, dy5, dw]) backend.disposeData(t.dataId);
  return out;
}

function useVariant(v: Variant): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') != null) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  if (v === 'xnnpack') registerWasmKernels();
  else tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv3dRoute });
}

/** Median milliseconds of `f` over at least `minRuns` runs and about `budgetMs` of time. */
async function timeMs(f: () => unknown, minRuns = 5, budgetMs = 1500): Promise<number> {
  await f();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < budgetMs) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[times.length >> 1];
}

const SHAPES: Array<{ name: string; x: number[]; filter: [number, number, number, number]; pad: 'same' | 'valid' }> = [
  { name: 'LeNet conv1 32x32x1 -> 6 5x5', x: [32, 32, 32, 1], filter: [5, 5, 1, 6], pad: 'valid' },
  { name: 'LeNet conv2 14x14x6 -> 16 5x5', x: [32, 14, 14, 6], filter: [5, 5, 6, 16], pad: 'valid' },
  { name: 'CIFAR 32x32x32 -> 32 3x3 same', x: [32, 32, 32, 32], filter: [3, 3, 32, 32], pad: 'same' },
];

async function main(): Promise<void> {
  await useFastCpu({ dnnl: false, fusedAdam: true });
  console.log('Conv2DBackpropFilter, batch 32, median ms per call');
  for (const s of SHAPES) {
    const x = tf.randomNormal(s.x, 0, 1, 'float32', 1);
    const y = tf.conv2d(x as tf.Tensor4D, tf.zeros(s.filter), 1, s.pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 2);
    const call = () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { strides: 1, pad: s.pad, dataFormat: 'NHWC', filterShape: s.filter },
        ) as tf.Tensor;
    const row: Record<string, string> = {};
    const results: Float32Array[] = [];
    for (const v of ['conv3d', 'xnnpack'] as Variant[]) {
      useVariant(v);
      row[v] = (await timeMs(() => call().dispose())).toFixed(2);
      const r = call();
      results.push(r.dataSync() as Float32Array);
      r.dispose();
    }
    const relDiff =
      Math.max(...results[0].map((a, i) => Math.abs(a - results[1][i]))) / Math.max(...results[0].map(Math.abs));
    const fwd = await timeMs(() => tf.conv2d(x as tf.Tensor4D, tf.zeros(s.filter), 1, s.pad).dispose());
    console.log(
      `${s.name}: conv3d ${row.conv3d}, xnnpack ${row.xnnpack}, speed-up ` +
        `${(+row.conv3d / +row.xnnpack).toFixed(1)}x (forward conv2d ${fwd.toFixed(2)}; relative difference ${relDiff.toExponential(1)})`,
    );
    tf.dispose([x, y, dy]);
  }

  console.log('Training steps (trainOnBatch, Adam, random data), images per second');
  const models = [
    { name: 'LeNet + BN, batch 32', build: () => lenet(true), input: [32, 32, 32, 1] },
    { name: 'VGG CIFAR CNN + BN, batch 32', build: () => vggCnn(), input: [32, 32, 32, 3] },
  ];
  for (const m of models) {
    const parts: string[] = [];
    for (const v of ['conv3d', 'xnnpack'] as Variant[]) {
      useVariant(v);
      const model = m.build();
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      const xs = tf.randomNormal(m.input, 0, 1, 'float32', 3);
      const ys = tf.oneHot(tf.randomUniform([m.input[0]], 0, 10, 'int32', 4) as tf.Tensor1D, 10);
      const ms = await timeMs(() => model.trainOnBatch(xs, ys), 3, 4000);
      parts.push(`${v} ${(m.input[0] / (ms / 1000)).toFixed(0)}`);
      tf.dispose([xs, ys]);
      model.dispose();
    }
    console.log(`${m.name}: ${parts.join(', ')}`);
  }
  useVariant('xnnpack');
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

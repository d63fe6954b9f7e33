import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chooseThreads } from './wasm-threads';
import { setNativeAdam } from './fused-adam';
import { isPerChannel, KernelArgs, nhwcConvInfo } from './kernel-util';

type Shape4 = [number, number, number, number];

/** The addon's functions (native/dnnl/bnlab_dnnl.cc); offsets are bytes into the heap view. */
interface DnnlAddon {
  conv2dForward(
    heap: Float32Array,
    x: number,
    filter: number,
    bias: number,
    y: number,
    relu: number,
    ...conv: number[]
  ): string;
  conv2dBackwardData(heap: Float32Array, dy: number, filter: number, dx: number, ...conv: number[]): string;
  conv2dBackwardWeights(heap: Float32Array, x: number, dy: number, dw: number, ...conv: number[]): string;
  matmul(
    heap: Float32Array,
    a: number,
    b: number,
    bias: number,
    out: number,
    relu: number,
    batchA: number,
    batchB: number,
    m: number,
    k: number,
    n: number,
    transposeA: number,
    transposeB: number,
  ): string;
  maxPoolGrad(heap: Float32Array, x: number, dy: number, dx: number, ...pool: number[]): string;
  batchNorm(
    heap: Float32Array,
    x: number,
    y: number,
    rows: number,
    channels: number,
    mean: number,
    variance: number,
    offset: number,
    scale: number,
    epsilon: number,
  ): string;
  adam(
    heap: Float32Array,
    n: number,
    value: number,
    m: number,
    v: number,
    g: number,
    c1: number,
    c2: number,
    newM: number,
    newV: number,
    newValue: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    learningRate: number,
  ): string;
  batchNormGrad(
    heap: Float32Array,
    x: number,
    dy: number,
    mean: number,
    variance: number,
    scale: number,
    rows: number,
    channels: number,
    epsilon: number,
    dx: number,
    dmean: number,
    dvariance: number,
    dscale: number,
    doffset: number,
  ): string;
  tanh(heap: Float32Array, x: number, y: number, n: number): string;
  avgPoolGrad(heap: Float32Array, dy: number, dx: number, ...pool: number[]): string;
  info(): { version: string; isa: number; threads: number };
}

/**
 * Where native/build.js puts the addon (from dist/src/ back to the package root), unless
 * BN_LAB_DNNL_ADDON names another file (the tests point it at a missing one to check the fallback).
 */
export const DNNL_ADDON_PATH =
  process.env.BN_LAB_DNNL_ADDON || resolve(__dirname, '../../native/build/bnlab_dnnl.node');

/** How to get the addon built, for messages when it is missing. */
export const DNNL_REMEDY =
  'Install a C++ compiler and oneDNN (Debian/Ubuntu: `apt-get install g++ libdnnl-dev`; ' +
  'macOS: `brew install onednn`), then rebuild the addon: `npm run build:native` in bn-lab, or `node native/build.js` in this package (or reinstall).';

/** Every function this module calls, checked when the addon loads. */
const ADDON_FUNCTIONS: Array<keyof DnnlAddon> = [
  'conv2dForward',
  'conv2dBackwardData',
  'conv2dBackwardWeights',
  'matmul',
  'maxPoolGrad',
  'avgPoolGrad',
  'batchNorm',
  'batchNormGrad',
  'adam',
  'tanh',
  'info',
];

let addon: DnnlAddon | undefined;
let loadError: string | undefined;

/**
 * Loads the oneDNN addon once; undefined plus a reason when it is not built or does not load.
 * oneDNN runs on OpenMP here: idle OpenMP threads would spin while XNNPACK's wasm threads work
 * on the same cores, so unless the user chose otherwise they wait passively.
 */
export function loadDnnl(): { addon?: DnnlAddon; why: string } {
  if (addon == null && loadError == null) {
    if (!existsSync(DNNL_ADDON_PATH)) {
      loadError = `the oneDNN addon is not built (${DNNL_ADDON_PATH} is missing)`;
    } else {
      process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
      // As many threads as the wasm module (see chooseThreads), unless the user set OpenMP's own.
      process.env.OMP_NUM_THREADS ??= String(chooseThreads().threads);
      try {
        const loaded = require(DNNL_ADDON_PATH) as DnnlAddon;
        // An addon built from an older checkout may lack newer functions: treat it as not built.
        const missing = ADDON_FUNCTIONS.filter((name) => typeof loaded[name] !== 'function');
        if (missing.length) loadError = `the oneDNN addon is out of date (no ${missing.join(', ')}; rebuild it)`;
        else addon = loaded;
      } catch (e) {
        loadError = `the oneDNN addon failed to load (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
      }
    }
  }
  if (addon == null) return { why: loadError! };
  const info = addon.info();
  return {
    addon,
    why: `oneDNN ${info.version} kernels (${info.threads} OpenMP thread${info.threads === 1 ? '' : 's'})`,
  };
}

/** The parts of tfjs-backend-wasm's BackendWasm used here (not in its public typings). */
interface WasmBackend extends tf.KernelBackend {
  wasm: { HEAPU8: Uint8Array; wasmMemory?: WebAssembly.Memory };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * A Float32Array over the whole wasm heap, made on every call: allocating an output may grow the
 * memory, which replaces its buffer.
 */
function heapOf(backend: WasmBackend): Float32Array {
  const buffer = backend.wasm.wasmMemory?.buffer ?? backend.wasm.HEAPU8.buffer;
  return new Float32Array(buffer, 0, buffer.byteLength >> 2);
}

function offsetOf(backend: WasmBackend, t: tf.TensorInfo): number {
  const entry = backend.dataIdMap.get(t.dataId);
  if (entry == null) throw new Error('oneDNN kernel: a tensor is not on the wasm backend');
  return entry.memoryOffset;
}

/** The 17 numbers the addon takes for one convolution, in its Conv struct's order. */
function convFields(info: tf.backend_util.Conv2DInfo): number[] {
  const { padInfo: p } = info;
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ];
}

/**
 * oneDNN wants consistent sizes: out = floor((in + pads - effective kernel) / stride) + 1. tfjs's
 * padding always satisfies it, but a 'same' layer can ask for padding larger than the kernel
 * reach, and a negative right pad never reaches oneDNN; anything else goes to the wasm kernel.
 */
function supported(info: tf.backend_util.Conv2DInfo): boolean {
  const p = info.padInfo;
  return (
    [p.top, p.left, p.bottom, p.right].every((v) => v >= 0) &&
    info.outHeight > 0 &&
    info.outWidth > 0 &&
    info.batchSize > 0 &&
    info.inChannels > 0 &&
    info.outChannels > 0
  );
}

/** The kernels registered before these (the project's wasm kernels), for the cases these do not cover. */
const prior = new Map<string, tf.KernelConfig | undefined>();

const delegate = (name: string, args: KernelArgs) => prior.get(name)!.kernelFunc(args as never) as tf.TensorInfo;

function dnnlConv2D(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as tf.Conv2DAttrs;
  if (dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32') return delegate('Conv2D', args);
  const info = nhwcConvInfo(x.shape, filter.shape, { strides, pad, dimRoundingMode }, dilations);
  if (!supported(info)) return delegate('Conv2D', args);
  const out = backend.makeOutput(info.outShape, 'float32');
  addon!.conv2dForward(
    heapOf(backend),
    offsetOf(backend, x),
    offsetOf(backend, filter),
    -1,
    offsetOf(backend, out),
    0,
    ...convFields(info),
  );
  return out;
}

/** FusedConv2D with a per-channel bias and no or ReLU activation (what conv layers use); the rest delegates. */
function dnnlFusedConv2D(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } =
    args.attrs as unknown as tf.FusedConv2DAttrs;
  if (
    dataFormat === 'NCHW' ||
    x!.dtype !== 'float32' ||
    filter!.dtype !== 'float32' ||
    preluActivationWeights != null ||
    (activation !== 'linear' && activation !== 'relu')
  ) {
    return delegate('FusedConv2D', args);
  }
  const info = nhwcConvInfo(x!.shape, filter!.shape, { strides, pad, dimRoundingMode }, dilations);
  if (
    !supported(info) ||
    (bias != null && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== info.outChannels))
  ) {
    return delegate('FusedConv2D', args);
  }
  const out = backend.makeOutput(info.outShape, 'float32');
  addon!.conv2dForward(
    heapOf(backend),
    offsetOf(backend, x!),
    offsetOf(backend, filter!),
    bias == null ? -1 : offsetOf(backend, bias),
    offsetOf(backend, out),
    activation === 'relu' ? 1 : 0,
    ...convFields(info),
  );
  return out;
}

function dnnlConv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { dilations } = args.attrs as { dilations?: number | [number, number] };
  if (dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32')
    return delegate('Conv2DBackpropInput', args);
  const info = nhwcConvInfo(inputShape, filter.shape, { strides, pad, dimRoundingMode }, dilations);
  if (!supported(info) || dy.shape.join() !== info.outShape.join()) return delegate('Conv2DBackpropInput', args);
  const out = backend.makeOutput(inputShape, 'float32');
  addon!.conv2dBackwardData(
    heapOf(backend),
    offsetOf(backend, dy),
    offsetOf(backend, filter),
    offsetOf(backend, out),
    ...convFields(info),
  );
  return out;
}

function dnnlConv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };
  if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32')
    return delegate('Conv2DBackpropFilter', args);
  const info = nhwcConvInfo(x.shape, attrs.filterShape, attrs, attrs.dilations);
  if (!supported(info) || dy.shape.join() !== info.outShape.join()) return delegate('Conv2DBackpropFilter', args);
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  addon!.conv2dBackwardWeights(
    heapOf(backend),
    offsetOf(backend, x),
    offsetOf(backend, dy),
    offsetOf(backend, out),
    ...convFields(info),
  );
  return out;
}

/** Multiply-adds below which a matrix product runs on the wasm kernel instead. */
const MATMUL_MIN_WORK = 1 << 15;

/**
 * BatchMatMul / _FusedMatMul (bias, no or ReLU activation) as one oneDNN matmul: transposed operands
 * are read through strides (the wasm kernel copies them first), batches of 1 broadcast. Returns
 * undefined when the shapes are outside that, so the caller delegates.
 */
function matMul(
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: tf.TensorInfo | undefined,
  relu: boolean,
): tf.TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const lead = (t: tf.TensorInfo) => t.shape.slice(0, -2);
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const [k2, n] = transposeB ? [cb, rb] : [rb, cb];
  const batchA = tf.util.sizeFromShape(lead(a));
  const batchB = tf.util.sizeFromShape(lead(b));
  // Tiny products stay on XNNPACK: a oneDNN call costs tens of microseconds when it must wake
  // OpenMP threads, more than such a product's arithmetic.
  if (k !== k2 || m * n * k < MATMUL_MIN_WORK) return undefined;
  // Leading dimensions must match, or one side's must hold a single matrix (which broadcasts).
  if (lead(a).join() !== lead(b).join() && batchA !== 1 && batchB !== 1) return undefined;
  const outLead = tf.backend_util.assertAndGetBroadcastShape(lead(a), lead(b));
  if (bias != null && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n)) return undefined;
  const out = backend.makeOutput([...outLead, m, n], 'float32');
  addon!.matmul(
    heapOf(backend),
    offsetOf(backend, a),
    offsetOf(backend, b),
    bias == null ? -1 : offsetOf(backend, bias),
    offsetOf(backend, out),
    relu ? 1 : 0,
    batchA,
    batchB,
    m,
    k,
    n,
    transposeA ? 1 : 0,
    transposeB ? 1 : 0,
  );
  return out;
}

function dnnlBatchMatMul(args: KernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  return (
    matMul(args.backend as WasmBackend, a, b, transposeA, transposeB, undefined, false) ?? delegate('BatchMatMul', args)
  );
}

function dnnl_FusedMatMul(args: KernelArgs): tf.TensorInfo {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation } = args.attrs as unknown as tf._FusedMatMulAttrs;
  if (preluActivationWeights != null || (activation !== 'linear' && activation !== 'relu'))
    return delegate('_FusedMatMul', args);
  return (
    matMul(args.backend as WasmBackend, a!, b!, transposeA, transposeB, bias, activation === 'relu') ??
    delegate('_FusedMatMul', args)
  );
}

/**
 * The checks, output and pool geometry MaxPoolGrad and AvgPoolGrad share: float32 NHWC input and a dy
 * shaped like the pool's output, else the prior kernel. `native` gets heap offsets and the addon's 12
 * pool numbers.
 */
function poolGrad(
  name: 'MaxPoolGrad' | 'AvgPoolGrad',
  args: KernelArgs,
  native: (heap: Float32Array, at: { input: number; dy: number; out: number }, pool: number[]) => void,
): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  // tfjs types dimRoundingMode on MaxPoolGrad only, though a caller of runKernel may send it to either.
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) return delegate(name, args);
  const info = tf.backend_util.computePool2DInfo(input.shape as Shape4, filterSize, strides, 1, pad, dimRoundingMode);
  if (dy.shape.join() !== info.outShape.join()) return delegate(name, args);
  const out = backend.makeOutput(input.shape, 'float32');
  if (tf.util.sizeFromShape(input.shape) === 0) return out;
  native(heapOf(backend), { input: offsetOf(backend, input), dy: offsetOf(backend, dy), out: offsetOf(backend, out) }, [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ]);
  return out;
}

/** MaxPoolGrad as the project's wasm kernel computes it (first maximum wins), in C++ over batches in parallel. */
function dnnlMaxPoolGrad(args: KernelArgs): tf.TensorInfo {
  return poolGrad('MaxPoolGrad', args, (heap, at, pool) => addon!.maxPoolGrad(heap, at.input, at.dy, at.out, ...pool));
}

/** AvgPoolGrad in C++ (the stock wasm kernel loops over every window of every output per input pixel). */
function dnnlAvgPoolGrad(args: KernelArgs): tf.TensorInfo {
  return poolGrad('AvgPoolGrad', args, (heap, at, pool) => addon!.avgPoolGrad(heap, at.dy, at.out, ...pool));
}

/** FusedBatchNorm with per-channel statistics (as BN layers send them) in one C++ pass; the rest delegates. */
function dnnlFusedBatchNorm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
  const channels = x!.shape[x!.shape.length - 1] ?? 0;
  const size = tf.util.sizeFromShape(x!.shape);
  if (x!.dtype !== 'float32' || size === 0 || ![mean, variance, offset, scale].every((t) => isPerChannel(t, channels)))
    return delegate('FusedBatchNorm', args);
  const out = backend.makeOutput(x!.shape, 'float32');
  const at = (t: tf.TensorInfo | undefined) => (t == null ? -1 : offsetOf(backend, t));
  addon!.batchNorm(
    heapOf(backend),
    offsetOf(backend, x!),
    offsetOf(backend, out),
    size / channels,
    channels,
    at(mean),
    at(variance),
    at(offset),
    at(scale),
    varianceEpsilon,
  );
  return out;
}

const BN_GRAD_KERNEL = 'BnLabBatchNormGrad';

/** The five partial derivatives of FusedBatchNorm (see the addon's batchNormGrad), outputs shaped like x and mean. */
function batchNormGradKernel(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { x, dy, mean, variance, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
  const channels = x!.shape[x!.shape.length - 1];
  const outs = [
    backend.makeOutput(x!.shape, 'float32'),
    ...[0, 1, 2, 3].map(() => backend.makeOutput(mean!.shape, 'float32')),
  ];
  const at = (t: tf.TensorInfo) => offsetOf(backend, t);
  addon!.batchNormGrad(
    heapOf(backend),
    at(x!),
    at(dy!),
    at(mean!),
    at(variance!),
    scale == null ? -1 : at(scale),
    tf.util.sizeFromShape(x!.shape) / channels,
    channels,
    varianceEpsilon,
    ...(outs.map(at) as [number, number, number, number, number]),
  );
  return outs;
}

let stockBatchNormGrad: tf.GradConfig | undefined;

/**
 * FusedBatchNorm's gradient as one native kernel on wasm when the statistics are per channel (BN
 * layers), instead of tfjs's ~20 elementwise ops and reductions; anything else, and every other
 * backend, keeps tfjs's gradient. (Gradients are registered for all backends, so this decides per call.)
 */
function fusedBatchNormGrad(
  dy: tf.Tensor,
  saved: tf.Tensor[],
  attrs: tf.NamedAttrMap,
): Record<string, () => tf.Tensor> {
  const [x, mean, variance, scale] = saved;
  const channels = x.shape[x.shape.length - 1];
  if (
    tf.getBackend() !== 'wasm' ||
    addon == null ||
    !dnnlKernelsActive() ||
    x.dtype !== 'float32' ||
    x.size === 0 ||
    ![mean, variance, scale].every((t) => isPerChannel(t, channels)) ||
    !tf.util.arraysEqual(dy.shape, x.shape)
  ) {
    return stockBatchNormGrad!.gradFunc(dy, saved, attrs) as Record<string, () => tf.Tensor>;
  }
  // Computed now, in the gradient computation's scope: the engine calls each input's function in a
  // tidy of its own, which would dispose the outputs the others return.
  const [dx, dMean, dVariance, dScale, dOffset] = tf
    .engine()
    .runKernel(BN_GRAD_KERNEL, { x, dy, mean, variance, ...(scale == null ? {} : { scale }) }, attrs) as tf.Tensor[];
  return { x: () => dx, mean: () => dMean, variance: () => dVariance, scale: () => dScale, offset: () => dOffset };
}

/** Tanh through oneDNN's vectorised eltwise for float32 tensors of some size; small ones stay on wasm. */
function dnnlTanh(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const n = tf.util.sizeFromShape(x.shape);
  if (x.dtype !== 'float32' || n < 1024) return delegate('Tanh', args);
  const out = backend.makeOutput(x.shape, 'float32');
  addon!.tanh(heapOf(backend), offsetOf(backend, x), offsetOf(backend, out), n);
  return out;
}

const KERNELS: Record<string, (args: KernelArgs) => tf.TensorInfo> = {
  Tanh: dnnlTanh,
  MaxPoolGrad: dnnlMaxPoolGrad,
  AvgPoolGrad: dnnlAvgPoolGrad,
  FusedBatchNorm: dnnlFusedBatchNorm,
  BatchMatMul: dnnlBatchMatMul,
  _FusedMatMul: dnnl_FusedMatMul,
  Conv2D: dnnlConv2D,
  FusedConv2D: dnnlFusedConv2D,
  Conv2DBackpropInput: dnnlConv2DBackpropInput,
  Conv2DBackpropFilter: dnnlConv2DBackpropFilter,
};

/** The kernels oneDNN takes over, for reports. */
export const DNNL_KERNEL_NAMES = Object.keys(KERNELS);

/**
 * Registers (on = true) the oneDNN kernels over the wasm backend's, or puts the previous ones back.
 * The kernels work on tensors where the wasm backend keeps them (in its heap), so switching costs
 * nothing per tensor. Throws if `on` and the addon cannot load (see loadDnnl). Idempotent.
 */
export function useDnnlKernels(on: boolean): void {
  if (on === prior.size > 0) return;
  if (on) {
    const loaded = loadDnnl();
    if (loaded.addon == null) throw new Error(`${loaded.why}. ${DNNL_REMEDY}`);
    setNativeAdam((backend, n, inputs, outputs, attrs) => {
      const wasm = backend as WasmBackend;
      const at = (t: tf.TensorInfo) => offsetOf(wasm, t);
      addon!.adam(
        heapOf(wasm),
        n,
        ...(inputs.map(at) as [number, number, number, number, number, number]),
        ...(outputs.map(at) as [number, number, number]),
        attrs.beta1,
        attrs.beta2,
        attrs.epsilon,
        attrs.learningRate,
      );
      return true;
    });
    if (tf.getKernel(BN_GRAD_KERNEL, 'wasm') == null) {
      tf.registerKernel({
        kernelName: BN_GRAD_KERNEL,
        backendName: 'wasm',
        kernelFunc: batchNormGradKernel as unknown as tf.KernelFunc,
      });
    }
    stockBatchNormGrad ??= tf.getGradient('FusedBatchNorm');
    tf.registerGradient({ ...stockBatchNormGrad!, gradFunc: fusedBatchNormGrad as unknown as tf.GradFunc });
    for (const [kernelName, kernelFunc] of Object.entries(KERNELS)) {
      const current = tf.getKernel(kernelName, 'wasm');
      prior.set(kernelName, current);
      if (current != null) tf.unregisterKernel(kernelName, 'wasm');
      tf.registerKernel({
        kernelName,
        backendName: 'wasm',
        kernelFunc: kernelFunc as tf.KernelFunc,
        setupFunc: current?.setupFunc,
      });
    }
  } else {
    setNativeAdam(undefined);
    if (stockBatchNormGrad != null) tf.registerGradient(stockBatchNormGrad);
    for (const [kernelName, config] of prior) {
      tf.unregisterKernel(kernelName, 'wasm');
      if (config != null) tf.registerKernel(config);
    }
    prior.clear();
  }
}

/** Whether the oneDNN kernels are registered now. */
export function dnnlKernelsActive(): boolean {
  return prior.size > 0;
}

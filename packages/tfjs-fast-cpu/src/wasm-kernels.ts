import * as tf from '@tensorflow/tfjs';
import { isPerChannel, KernelArgs, nhwcConvInfo } from './kernel-util';

type Pair = [number, number];
type Shape4 = [number, number, number, number];

/**
 * Attributes tfjs passes to Conv2DBackpropFilter. tfjs itself never sends `dilations` (its conv2d
 * gradient refuses dilation rates > 1), but TensorFlow's op has it, so callers of runKernel may.
 */
export type Conv2DBackpropFilterAttrs = tf.Conv2DBackpropFilterAttrs & { dilations?: number | Pair };

/**
 * Calls another wasm kernel on TensorInfos directly, as tfjs-backend-wasm's own kernels call each
 * other: intermediates then never enter the engine's tensor bookkeeping or the gradient tape,
 * and `dispose` returns their wasm heap memory at once.
 */
function runWasm(
  backend: tf.KernelBackend,
  kernelName: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  return tf.getKernel(kernelName, 'wasm').kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/**
 * dW[kh,kw,ci,co] = sum over b,oh,ow of x[b, oh*s + kh*d - padTop, ow*s + kw*d - padLeft, ci] * dy[b,oh,ow,co]
 * is itself a convolution: input x as [ci,H,W,b] (batch becomes the channel that is summed),
 * filter dy as [OH,OW,b,co], stride d, dilation s, output [ci,KH,KW,co]. Running it as one
 * Conv2D lets XNNPACK's GEMM do the work instead of a scalar loop.
 */
function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  if (attrs.dataFormat === 'NCHW') {
    // wasm's forward Conv2D is NHWC-only, so an NCHW model cannot reach this gradient on wasm anyway.
    throw new Error("Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only; got 'NCHW'.");
  }
  const info = nhwcConvInfo(x.shape, attrs.filterShape, attrs, attrs.dilations);
  const { batchSize, inChannels, outChannels, filterHeight: kh, filterWidth: kw, padInfo } = info;
  const stride: Pair = [info.strideHeight, info.strideWidth];
  const dilation: Pair = [info.dilationHeight, info.dilationWidth];
  const out: Pair = [info.outHeight, info.outWidth];
  const size: Pair = [info.inHeight, info.inWidth];
  if (dy.shape.join() !== [batchSize, ...out, outChannels].join()) {
    throw new Error(
      `Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${[batchSize, ...out, outChannels]}].`,
    );
  }

  // tfjs's Conv2D needs strides or dilations to be all 1. When both the forward stride and
  // dilation exceed 1, run with stride 1 instead and keep every d-th output row/column: the same
  // numbers at d*d times the work, on a path tf.grad never takes (it rejects dilations > 1).
  const direct = stride.every((s) => s === 1) || dilation.every((d) => d === 1);
  const step: Pair = direct ? [1, 1] : dilation;
  // Pad the far side just enough that every (kh, kw) tap has a full window; never below 0,
  // because XNNPACK takes no negative padding (extra rows are sliced off below).
  const farPad = [0, 1].map((i) => {
    const reach = (out[i] - 1) * stride[i] + ((i === 0 ? kh : kw) - 1) * dilation[i] + 1;
    return Math.max(0, reach - size[i] - (i === 0 ? padInfo.top : padInfo.left));
  });

  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => (temps.push(t), t);
  try {
    const xT = keep(runWasm(backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] }));
    const dyT = keep(runWasm(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }));
    let grad = keep(
      runWasm(
        backend,
        'Conv2D',
        { x: xT, filter: dyT },
        {
          strides: direct ? dilation : [1, 1],
          dilations: stride,
          pad: [
            [0, 0],
            [padInfo.top, farPad[0]],
            [padInfo.left, farPad[1]],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      ),
    );
    // With step > 1 and a filter wider than 1 the output is always larger than the filter.
    if (grad.shape[1] !== kh || grad.shape[2] !== kw) {
      grad = keep(
        runWasm(
          backend,
          'StridedSlice',
          { x: grad },
          {
            begin: [0, 0, 0, 0],
            end: [inChannels, (kh - 1) * step[0] + 1, (kw - 1) * step[1] + 1, outChannels],
            strides: [1, ...step, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        ),
      );
    }
    return runWasm(backend, 'Transpose', { x: grad }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** Conv2DBackpropInput's attributes (tfjs never sends dilations here: its conv2d gradient rejects them). */
type Conv2DBackpropInputAttrs = tf.Conv2DBackpropInputAttrs;

/** The stock kernels this module replaces, kept for the cases the replacements do not cover. */
const stock = new Map<string, tf.KernelFunc>();

/**
 * dx is the transposed convolution of dy: with dy's rows and columns spread s apart (s - 1 zeros
 * between neighbours), dx = conv(spread dy, filter rotated 180° with in/out channels swapped),
 * padded k - 1 - pad before. One XNNPACK conv replaces wasm's stock scalar loop, which was the
 * biggest cost of a training step. The zero spreading costs s² extra multiplies, which is cheap
 * for the strided layers here (LeNet's 1×1/5 conv sees a 1×1 dy).
 */
function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  // The forward Conv2D on wasm is NHWC-only; the stock kernel handles NCHW (slowly).
  if (attrs.dataFormat === 'NCHW') return stock.get('Conv2DBackpropInput')!(args) as tf.TensorInfo;
  const info = nhwcConvInfo(attrs.inputShape, filter.shape, attrs);
  const { batchSize, inChannels, outChannels, filterHeight: kh, filterWidth: kw, padInfo } = info;
  const stride: Pair = [info.strideHeight, info.strideWidth];
  const out: Pair = [info.outHeight, info.outWidth];
  const size: Pair = [info.inHeight, info.inWidth];
  const k: Pair = [kh, kw];
  if (dy.shape.join() !== [batchSize, ...out, outChannels].join()) {
    throw new Error(`Conv2DBackpropInput: dy has shape [${dy.shape}], expected [${[batchSize, ...out, outChannels]}].`);
  }
  // Spread dy to out*s rows (trailing zeros included, which keeps it to one Pad), then pad so the
  // conv's output covers dx exactly. XNNPACK takes no negative padding: where the formula asks for
  // one (explicit pads larger than k - 1), pad 0 and crop the surplus rows afterwards.
  const spread: Pair = [out[0] * stride[0], out[1] * stride[1]];
  const before = [0, 1].map((i) => k[i] - 1 - (i === 0 ? padInfo.top : padInfo.left));
  const after = [0, 1].map((i) => size[i] + k[i] - 1 - before[i] - spread[i]);
  const crop = before.map((b) => Math.max(0, -b));

  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => (temps.push(t), t);
  try {
    const { top, bottom, left, right } = padInfo;
    if (out[0] === 1 && out[1] === 1 && kh === size[0] && kw === size[1] && top + bottom + left + right === 0) {
      // One window covers the whole input (LeNet's last 5×5 conv on a 5×5 map): dx is dy times
      // the filter as a [kh*kw*ci, co] matrix, where the padded conv would multiply mostly zeros.
      const a = keep(runWasm(backend, 'Reshape', { x: dy }, { shape: [1, batchSize, outChannels] }));
      const w = keep(runWasm(backend, 'Reshape', { x: filter }, { shape: [1, kh * kw * inChannels, outChannels] }));
      const rows = keep(runWasm(backend, 'BatchMatMul', { a, b: w }, { transposeA: false, transposeB: true }));
      return runWasm(backend, 'Reshape', { x: rows }, { shape: [batchSize, kh, kw, inChannels] });
    }
    let input = dy;
    if (stride[0] > 1 || stride[1] > 1) {
      const six = keep(
        runWasm(backend, 'Reshape', { x: dy }, { shape: [batchSize, out[0], 1, out[1], 1, outChannels] }),
      );
      const padded = keep(
        runWasm(
          backend,
          'PadV2',
          { x: six },
          {
            paddings: [
              [0, 0],
              [0, 0],
              [0, stride[0] - 1],
              [0, 0],
              [0, stride[1] - 1],
              [0, 0],
            ],
            constantValue: 0,
          },
        ),
      );
      input = keep(runWasm(backend, 'Reshape', { x: padded }, { shape: [batchSize, ...spread, outChannels] }));
    }
    const flipped = keep(runWasm(backend, 'Reverse', { x: filter }, { dims: [0, 1] }));
    const w = keep(runWasm(backend, 'Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }));
    let dx = runWasm(
      backend,
      'Conv2D',
      { x: input, filter: w },
      {
        strides: 1,
        dilations: 1,
        dataFormat: 'NHWC',
        pad: [
          [0, 0],
          [Math.max(0, before[0]), Math.max(0, after[0])],
          [Math.max(0, before[1]), Math.max(0, after[1])],
          [0, 0],
        ],
      },
    );
    if (dx.shape[1] !== size[0] || dx.shape[2] !== size[1]) {
      keep(dx);
      dx = runWasm(
        backend,
        'Slice',
        { x: dx },
        { begin: [0, crop[0], crop[1], 0], size: [batchSize, ...size, inChannels] },
      );
    }
    return dx;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use (not in its public typings). */
interface WasmBackend extends tf.KernelBackend {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Tile by memory copies on the wasm heap. The stock kernel computes every output element's source
 * index with a division per dimension; BN's gradient tiles a [1,1,1,C] vector to the whole
 * activation (tfjs-core's FusedBatchNorm gradient), which made Tile the largest cost of a BN step.
 * Here x is written once into the output's corner, then each dimension, innermost first, is filled
 * by doubling copyWithin (memmove) of the block already written.
 */
function tile(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { reps } = args.attrs as unknown as tf.TileAttrs;
  if (x.dtype === 'string' || x.shape.length === 0) return stock.get('Tile')!(args) as tf.TensorInfo;
  const shape = x.shape;
  const rank = shape.length;
  const outShape = shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (outShape.some((d) => d === 0)) return out;
  // Views after makeOutput: allocating may grow (and so detach) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const outStrides = [...tf.util.computeStrides(outShape), 1]; // computeStrides omits the last (1)
  const prefixes = (d: number) => shape.slice(0, d).reduce((a, b) => a * b, 1);
  // Offset in `out` of the d-dimensional prefix index number p (over x's extents, row-major).
  const offsetOf = (p: number, d: number) => {
    let off = 0;
    for (let j = d - 1; j >= 0; j--) {
      off += (p % shape[j]) * outStrides[j];
      p = Math.floor(p / shape[j]);
    }
    return off;
  };
  const row = shape[rank - 1];
  for (let p = 0, n = prefixes(rank - 1); p < n; p++)
    dst.set(src.subarray(p * row, (p + 1) * row), offsetOf(p, rank - 1));
  for (let d = rank - 1; d >= 0; d--) {
    if (reps[d] === 1) continue;
    // Dimensions after d are complete, so x's extent along d is one contiguous run per prefix.
    const unit = shape[d] * outStrides[d];
    const full = outShape[d] * outStrides[d];
    for (let p = 0, n = prefixes(d); p < n; p++) {
      const start = offsetOf(p, d);
      for (let have = unit; have < full; have *= 2) {
        dst.copyWithin(start + have, start, start + Math.min(have, full - have));
      }
    }
  }
  return out;
}

/**
 * Sum or Mean over leading axes (BN's statistics and gradients reduce NHWC over N, H and W) as one
 * XNNPACK average pool over x viewed as a [1, N*H, W, C] image (then times N*H*W for Sum). The
 * stock kernels transpose the whole tensor to put those axes last first, ~10x slower; a GEMM with
 * a ones vector repacks x as weights and a JS loop are both slower than the pool.
 */
function leadingReduction(kind: 'Sum' | 'Mean') {
  return function reduceLeading(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as tf.KernelBackend;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading || tf.util.sizeFromShape(x.shape) < 4096) {
      return stock.get(kind)!(args) as tf.TensorInfo;
    }
    // The last reduced axis becomes the pool's width, the others its height.
    const width = x.shape[axes.length - 1];
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
    const kept = x.shape.slice(axes.length);
    const temps: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo): tf.TensorInfo => (temps.push(t), t);
    try {
      const image = keep(
        runWasm(backend, 'Reshape', { x }, { shape: [1, rows / width, width, tf.util.sizeFromShape(kept)] }),
      );
      let result = keep(
        runWasm(backend, 'AvgPool', { x: image }, { filterSize: [rows / width, width], strides: 1, pad: 'valid' }),
      );
      if (kind === 'Sum') {
        const count = keep(runWasm(backend, 'Fill', {}, { shape: [], value: rows, dtype: 'float32' }));
        result = keep(runWasm(backend, 'Multiply', { a: result, b: count }));
      }
      return runWasm(backend, 'Reshape', { x: result }, { shape: keepDims ? [...axes.map(() => 1), ...kept] : kept });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** Below this many output elements the stock broadcasting loop is as fast as tiling first. */
const TILE_BROADCAST_MIN = 1 << 14;

/**
 * Binary ops whose operands broadcast, run on operands expanded by the fast Tile above: wasm's
 * broadcasting path is a per-element index loop ~10x slower than its same-shape path, and BN's
 * forward and backward passes multiply and add per-channel vectors into whole activations.
 */
function broadcastByTiling(kernelName: string) {
  return function binaryBroadcast(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as tf.KernelBackend;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const run = stock.get(kernelName)!;
    if (a.dtype !== b.dtype || a.dtype === 'string' || a.shape.join() === b.shape.join())
      return run(args) as tf.TensorInfo;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (tf.util.sizeFromShape(outShape) < TILE_BROADCAST_MIN) return run(args) as tf.TensorInfo;
    const temps: tf.TensorInfo[] = [];
    const expand = (t: tf.TensorInfo): tf.TensorInfo => {
      if (t.shape.join() === outShape.join()) return t;
      const full = [...outShape.slice(0, outShape.length - t.shape.length).map(() => 1), ...t.shape];
      const r = runWasm(backend, 'Reshape', { x: t }, { shape: full });
      temps.push(r);
      const tiled = tile({ inputs: { x: r }, backend, attrs: { reps: outShape.map((d, i) => d / full[i]) } });
      temps.push(tiled);
      return tiled;
    };
    try {
      return run({ inputs: { a: expand(a), b: expand(b) }, backend, attrs: args.attrs }) as tf.TensorInfo;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/**
 * BatchMatMul with a transposed operand, transposed explicitly first: wasm's kernel sends
 * transposeA to a scalar loop (~60x slower than XNNPACK's GEMM for a dense layer's weight
 * gradient) and transposeB to a slower path too; a Transpose costs a fraction of either.
 */
function batchMatMul(args: KernelArgs): tf.TensorInfo {
  return withExplicitTransposes(stock.get('BatchMatMul')!, args);
}

/** Runs a stock matmul kernel with its transposed operands transposed explicitly first (see batchMatMul). */
function withExplicitTransposes(run: tf.KernelFunc, args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (!transposeA && !transposeB) return run(args) as tf.TensorInfo;
  const swapLast = (t: tf.TensorInfo) => {
    const perm = t.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return runWasm(backend, 'Transpose', { x: t }, { perm });
  };
  const temps: tf.TensorInfo[] = [];
  try {
    const aa = transposeA ? (temps.push(swapLast(a)), temps[temps.length - 1]) : a;
    const bb = transposeB ? (temps.push(swapLast(b)), temps[temps.length - 1]) : b;
    // _FusedMatMul's other inputs (bias, prelu weights) pass through as they came.
    return run({
      inputs: { ...args.inputs, a: aa, b: bb },
      backend,
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * _FusedMatMul with transposed operands transposed explicitly first, as batchMatMul above: besides
 * being slow, the stock wasm kernel computes transposeA wrongly (tfjs 4.22: [[1,2,3],[4,5,6]]^T x I
 * + bias gives 22 where 12 is right), which fused dense layers never hit but other callers would.
 */
function fusedMatMul(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf._FusedMatMulAttrs;
  const run = stock.get('_FusedMatMul')!;
  const { bias, preluActivationWeights } = args.inputs as {
    bias?: tf.TensorInfo;
    preluActivationWeights?: tf.TensorInfo;
  };
  const { activation } = args.attrs as unknown as tf._FusedMatMulAttrs;
  if (
    (a.shape.length > 2 || b.shape.length > 2) &&
    preluActivationWeights == null &&
    (activation === 'linear' || activation === 'relu')
  ) {
    // The stock kernel also adds the bias wrongly to batched products: run the three steps instead.
    const temps: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo): tf.TensorInfo => (temps.push(t), t);
    try {
      let out = batchMatMul({ inputs: { a, b }, backend, attrs: { transposeA, transposeB } });
      if (bias != null) out = runWasm(backend, 'Add', { a: keep(out), b: bias });
      if (activation === 'relu') out = runWasm(backend, 'Relu', { x: keep(out) });
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  }
  return withExplicitTransposes(run, args);
}

/**
 * MaxPoolGrad as one pass over the windows on the heap: find each window's first maximum per
 * channel (row-major, strictly greater wins, as tfjs's cpu kernel does) and add dy there. The
 * stock wasm kernel, ~20x slower than the forward pool, rescans windows for every dx element.
 */
function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return stock.get('MaxPoolGrad')!(args) as tf.TensorInfo;
  const info = tf.backend_util.computePool2DInfo(input.shape as Shape4, filterSize, strides, 1, pad, dimRoundingMode);
  const {
    batchSize,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
    filterHeight: FH,
    filterWidth: FW,
    strideHeight: SH,
    strideWidth: SW,
    padInfo,
  } = info;
  const out = backend.makeOutput(input.shape, 'float32');
  // Views after makeOutput (allocation may grow the heap); malloc'd memory is not zeroed.
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - padInfo.top;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * SW - padInfo.left;
        best.fill(-Infinity);
        where.fill(-1);
        for (let h = Math.max(0, h0); h < Math.min(H, h0 + FH); h++) {
          for (let w = Math.max(0, w0); w < Math.min(W, w0 + FW); w++) {
            const base = ((b * H + h) * W + w) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const gBase = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) if (where[c] >= 0) dx[where[c]] += g[gBase + c];
      }
    }
  }
  return out;
}

/**
 * Identity (and Cast to the same dtype) sharing the input's buffer, as the cpu backend does: the stock
 * wasm kernels copy the whole tensor, and a training step calls them ~20 times per activation (the
 * gradient tape and tfjs-layers clone tensors that are never written: tfjs tensors are immutable,
 * and a Variable's assign swaps buffers rather than writing into one).
 */
function identity(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return stock.get('Identity')!(args) as tf.TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function cast(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  return dtype === x.dtype ? identity(args) : (stock.get('Cast')!(args) as tf.TensorInfo);
}

/**
 * FusedBatchNorm with per-channel statistics (what BN layers send: mean, variance, offset and scale
 * of size C over NHWC) as y = x * a + b, with a = scale / sqrt(variance + eps) and b = offset - mean * a
 * folded per channel, then one broadcast Multiply and one Add (the tiled kernels below). The stock
 * wasm kernel takes a square root, a division and four modulo indexings per element, ~5x slower;
 * a JavaScript loop over the heap was ~3x slower than this.
 */
function fusedBatchNorm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
  const channels = x!.shape[x!.shape.length - 1] ?? 0;
  if (
    x!.dtype !== 'float32' ||
    tf.util.sizeFromShape(x!.shape) === 0 ||
    ![mean, variance, offset, scale].every((t) => isPerChannel(t, channels))
  ) {
    return stock.get('FusedBatchNorm')!(args) as tf.TensorInfo;
  }
  const a = backend.makeOutput([channels], 'float32');
  const b = backend.makeOutput([channels], 'float32');
  const temps = [a, b];
  try {
    // Views after makeOutput: allocating may grow (and so detach) the heap.
    const [m, v, av, bv] = [mean!, variance!, a, b].map((t) => backend.typedArrayFromHeap(t) as Float32Array);
    const o = offset == null ? undefined : (backend.typedArrayFromHeap(offset) as Float32Array);
    const g = scale == null ? undefined : (backend.typedArrayFromHeap(scale) as Float32Array);
    for (let c = 0; c < channels; c++) {
      av[c] = (g ? g[c] : 1) / Math.sqrt(v[c] + varianceEpsilon);
      bv[c] = (o ? o[c] : 0) - m[c] * av[c];
    }
    const scaled = runWasm(backend, 'Multiply', { a: x!, b: a });
    temps.push(scaled);
    return runWasm(backend, 'Add', { a: scaled, b });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** The replacement kernels, so a repeated registration never wraps one of them as "stock". */
const ours = new Set<tf.KernelFunc>();

/** Replaces a stock wasm kernel once, keeping the original for the cases the replacement delegates. */
function override(kernelName: string, kernelFunc: tf.KernelFunc): void {
  const current = tf.getKernel(kernelName, 'wasm');
  if (current != null && ours.has(current.kernelFunc)) return;
  ours.add(kernelFunc);
  if (current != null) {
    stock.set(kernelName, current.kernelFunc);
    tf.unregisterKernel(kernelName, 'wasm');
  }
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc, setupFunc: current?.setupFunc });
}

/**
 * Gives wasm the Conv2DBackpropFilter it lacks, so conv nets can train there, and replaces its slow
 * stock training kernels (see each one's comment) with faster ones. The stock kernels stay
 * available to the replacements for the cases they do not cover. Safe to call repeatedly.
 */
export function registerWasmKernels(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') == null) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter });
  }
  override('Conv2DBackpropInput', conv2DBackpropInput as tf.KernelFunc);
  override('Tile', tile as tf.KernelFunc);
  override('BatchMatMul', batchMatMul as tf.KernelFunc);
  override('_FusedMatMul', fusedMatMul as tf.KernelFunc);
  override('Sum', leadingReduction('Sum') as tf.KernelFunc);
  override('Mean', leadingReduction('Mean') as tf.KernelFunc);
  override('MaxPoolGrad', maxPoolGrad as tf.KernelFunc);
  override('Identity', identity as tf.KernelFunc);
  override('Cast', cast as tf.KernelFunc);
  override('FusedBatchNorm', fusedBatchNorm as tf.KernelFunc);
  for (const op of ['Multiply', 'Add', 'Sub', 'RealDiv']) override(op, broadcastByTiling(op) as tf.KernelFunc);
}

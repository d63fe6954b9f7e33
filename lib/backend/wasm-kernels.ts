import * as tf from '@tensorflow/tfjs';

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
function runWasm(backend: tf.KernelBackend, kernelName: string, inputs: tf.NamedTensorInfoMap,
                 attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
  return tf.getKernel(kernelName, 'wasm').kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/**
 * dW[kh,kw,ci,co] = sum over b,oh,ow of x[b, oh*s + kh*d - padTop, ow*s + kw*d - padLeft, ci] * dy[b,oh,ow,co]
 * is itself a convolution: input x as [ci,H,W,b] (batch becomes the channel that is summed),
 * filter dy as [OH,OW,b,co], stride d, dilation s, output [ci,KH,KW,co]. Running it as one
 * Conv2D lets XNNPACK's GEMM do the work instead of a scalar loop.
 */
function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  if (attrs.dataFormat === 'NCHW') {
    // wasm's forward Conv2D is NHWC-only, so an NCHW model cannot reach this gradient on wasm anyway.
    throw new Error("Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only; got 'NCHW'.");
  }
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, attrs.filterShape, attrs.strides,
    attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const { batchSize, inChannels, outChannels, filterHeight: kh, filterWidth: kw, padInfo } = info;
  const stride: Pair = [info.strideHeight, info.strideWidth];
  const dilation: Pair = [info.dilationHeight, info.dilationWidth];
  const out: Pair = [info.outHeight, info.outWidth];
  const size: Pair = [info.inHeight, info.inWidth];
  if (dy.shape.join() !== [batchSize, ...out, outChannels].join()) {
    throw new Error(`Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${[batchSize, ...out, outChannels]}].`);
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
    let grad = keep(runWasm(backend, 'Conv2D', { x: xT, filter: dyT }, {
      strides: direct ? dilation : [1, 1],
      dilations: stride,
      pad: [[0, 0], [padInfo.top, farPad[0]], [padInfo.left, farPad[1]], [0, 0]],
      dataFormat: 'NHWC',
    }));
    // With step > 1 and a filter wider than 1 the output is always larger than the filter.
    if (grad.shape[1] !== kh || grad.shape[2] !== kw) {
      grad = keep(runWasm(backend, 'StridedSlice', { x: grad }, {
        begin: [0, 0, 0, 0],
        end: [inChannels, (kh - 1) * step[0] + 1, (kw - 1) * step[1] + 1, outChannels],
        strides: [1, ...step, 1],
        beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
      }));
    }
    return runWasm(backend, 'Transpose', { x: grad }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * Gives wasm the Conv2DBackpropFilter it lacks, so conv nets can train there. Safe to call
 * repeatedly, and a no-op once a future tfjs-backend-wasm ships its own kernel.
 */
export function registerWasmKernels(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') == null) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter });
  }
}

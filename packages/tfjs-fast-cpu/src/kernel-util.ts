import * as tf from '@tensorflow/tfjs';

/** What tfjs passes a kernel function (its own type, which spells the backend as `{}`). */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Whether a batch-norm statistic is absent or one float32 per channel ([C] or [..., C]), as BN layers send it. */
export function isPerChannel(t: tf.TensorInfo | undefined, channels: number): boolean {
  return (
    t == null ||
    (t.dtype === 'float32' &&
      tf.util.sizeFromShape(t.shape) === channels &&
      (t.shape.length === 1 || t.shape[t.shape.length - 1] === channels))
  );
}

/** tfjs's geometry of an NHWC, non-depthwise 2-D convolution (the only kind these kernels take over). */
export function nhwcConvInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Pick<tf.Conv2DAttrs, 'strides' | 'pad' | 'dimRoundingMode'>,
  dilations: number | [number, number] = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

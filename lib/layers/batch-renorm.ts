import * as tf from '@tensorflow/tfjs';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';

/**
 * Batch renormalization (Ioffe 2017, arXiv:1702.03275) as a tfjs layer.
 *
 * Per channel (the last axis), over all other axes:
 *   training:  μB, σB = sqrt(varB + ε)
 *              σ = sqrt(movingVariance + ε)
 *              r = stop_gradient(clip(σB / σ, 1/rmax, rmax))
 *              d = stop_gradient(clip((μB − μ) / σ, −dmax, dmax))
 *              x̂ = (x − μB) / σB · r + d,   y = γ·x̂ + β
 *              then μ ← μ − (1 − momentum)(μ − μB), likewise the variance, and step ← step + 1
 *   inference: y = γ·(x − μ) / σ + β  (exactly what BatchNormalization does)
 *
 * Where it differs from the paper: the moving average is kept of the variance (as Keras and tfjs
 * BatchNormalization keep it), not of σ; σ is derived as sqrt(movingVariance + ε). With rmax = 1
 * and dmax = 0 the layer is therefore BatchNormalization, bit for bit, in both modes.
 *
 * rmax and dmax follow the paper's warm-up: rmax stays 1 until rmaxStartStep and grows linearly to
 * rmax at rmaxEndStep; dmax stays 0 until dmaxStartStep and grows linearly to dmax at dmaxEndStep.
 * The step counter is a non-trainable weight, so it is saved and restored with the model.
 */
export interface BatchRenormalizationArgs extends LayerArgs {
  /** Moving-average momentum (tfjs/Keras default 0.99). */
  momentum?: number;
  /** Added to the variance before the square root (tfjs/Keras default 1e-3). */
  epsilon?: number;
  /** Final r clipping bound (paper: 3). */
  rmax?: number;
  /** Final d clipping bound (paper: 5). */
  dmax?: number;
  /** Step at which rmax starts to grow from 1 (paper: 5000). */
  rmaxStartStep?: number;
  /** Step at which rmax reaches its final value (paper: 40000). */
  rmaxEndStep?: number;
  /** Step at which dmax starts to grow from 0 (paper: 5000). */
  dmaxStartStep?: number;
  /** Step at which dmax reaches its final value (paper: 25000). */
  dmaxEndStep?: number;
}

/** The schedule's knobs with their defaults filled in. */
export interface RenormSchedule {
  rmax: number;
  dmax: number;
  rmaxStartStep: number;
  rmaxEndStep: number;
  dmaxStartStep: number;
  dmaxEndStep: number;
}

/** The paper's clipping bounds and warm-up steps (section 4: ImageNet, batch 32 per worker). */
export const PAPER_RENORM_SCHEDULE: RenormSchedule = {
  rmax: 3,
  dmax: 5,
  rmaxStartStep: 5000,
  rmaxEndStep: 40000,
  dmaxStartStep: 5000,
  dmaxEndStep: 25000,
};

function ramp(step: number, start: number, end: number): number {
  if (end <= start) return step >= start ? 1 : 0;
  return Math.min(1, Math.max(0, (step - start) / (end - start)));
}

/**
 * The clipping bounds in effect at a training step (0 = the first update): plain numbers, for
 * tests and for plotting the warm-up.
 */
export function renormClipping(step: number, schedule: Partial<RenormSchedule> = {}): { rmax: number; dmax: number } {
  const s = { ...PAPER_RENORM_SCHEDULE, ...schedule };
  return {
    rmax: 1 + (s.rmax - 1) * ramp(step, s.rmaxStartStep, s.rmaxEndStep),
    dmax: s.dmax * ramp(step, s.dmaxStartStep, s.dmaxEndStep),
  };
}

/** The same ramp as renormClipping, as tensor ops on the step counter (no GPU/CPU sync). */
function rampTensor(step: tf.Tensor, start: number, end: number): tf.Tensor {
  if (end <= start) return tf.cast(tf.greaterEqual(step, start), 'float32');
  return tf.clipByValue(tf.div(tf.sub(step, start), end - start), 0, 1);
}

/** Passes its input through unchanged but lets no gradient back: TensorFlow's stop_gradient. */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

type Weight = ReturnType<tf.layers.Layer['addWeight']>;

export class BatchRenormalization extends tf.layers.Layer {
  /** @nocollapse */
  static className = 'BatchRenormalization';
  readonly momentum: number;
  readonly epsilon: number;
  readonly schedule: RenormSchedule;
  private gamma!: Weight;
  private beta!: Weight;
  private movingMean!: Weight;
  private movingVariance!: Weight;
  private step!: Weight;

  constructor(args: BatchRenormalizationArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    const p = PAPER_RENORM_SCHEDULE;
    this.schedule = {
      rmax: args.rmax ?? p.rmax,
      dmax: args.dmax ?? p.dmax,
      rmaxStartStep: args.rmaxStartStep ?? p.rmaxStartStep,
      rmaxEndStep: args.rmaxEndStep ?? p.rmaxEndStep,
      dmaxStartStep: args.dmaxStartStep ?? p.dmaxStartStep,
      dmaxEndStep: args.dmaxEndStep ?? p.dmaxEndStep,
    };
    if (!(this.schedule.rmax >= 1))
      throw new Error(`BatchRenormalization: rmax must be >= 1 (got ${this.schedule.rmax}).`);
    if (!(this.schedule.dmax >= 0))
      throw new Error(`BatchRenormalization: dmax must be >= 0 (got ${this.schedule.dmax}).`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) {
      throw new Error(
        `BatchRenormalization: the last axis needs a defined size (input shape ${JSON.stringify(shape)}).`,
      );
    }
    this.inputSpec = [{ ndim: shape.length, axes: { [shape.length - 1]: channels } }];
    const c = [channels];
    this.gamma = this.addWeight('gamma', c, 'float32', tf.initializers.ones(), undefined, true);
    this.beta = this.addWeight('beta', c, 'float32', tf.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight('moving_mean', c, 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', c, 'float32', tf.initializers.ones(), undefined, false);
    this.step = this.addWeight('renorm_step', [1], 'float32', tf.initializers.zeros(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const training = kwargs?.training === true;
      const gamma = this.gamma.read();
      const beta = this.beta.read();
      const movingMean = this.movingMean.read();
      const movingVariance = this.movingVariance.read();
      if (!training) return tf.batchNorm(x, movingMean, movingVariance, beta, gamma, this.epsilon);

      const axes = [...Array(x.rank - 1).keys()];
      const { mean, variance } = tf.moments(x, axes);
      const s = this.schedule;
      const step = this.step.read();
      const rmax = tf.add(1, tf.mul(s.rmax - 1, rampTensor(step, s.rmaxStartStep, s.rmaxEndStep)));
      const dmax = tf.mul(s.dmax, rampTensor(step, s.dmaxStartStep, s.dmaxEndStep));
      const sigmaB = tf.sqrt(tf.add(variance, this.epsilon));
      const sigma = tf.sqrt(tf.add(movingVariance, this.epsilon));
      const r = stopGradient(tf.minimum(tf.maximum(tf.div(sigmaB, sigma), tf.reciprocal(rmax)), rmax));
      const d = stopGradient(tf.minimum(tf.maximum(tf.div(tf.sub(mean, movingMean), sigma), tf.neg(dmax)), dmax));
      // γ·((x − μB)/σB · r + d) + β  =  batchNorm(x, μB, varB, offset β + γd, scale γr): the fused
      // kernel tfjs's own BatchNormalization uses, with gradients through μB and varB.
      const y = tf.batchNorm(x, mean, variance, tf.add(beta, tf.mul(gamma, d)), tf.mul(gamma, r), this.epsilon);

      // Moving averages after r and d have used the old values, as in the paper's Algorithm 1;
      // written imperatively like tfjs's BatchNormalization does.
      const decay = 1 - this.momentum;
      this.movingMean.write(tf.sub(movingMean, tf.mul(tf.sub(movingMean, mean), decay)));
      this.movingVariance.write(tf.sub(movingVariance, tf.mul(tf.sub(movingVariance, variance), decay)));
      this.step.write(tf.add(step, 1));
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { momentum: this.momentum, epsilon: this.epsilon, ...this.schedule, ...super.getConfig() };
  }
}
tf.serialization.registerClass(BatchRenormalization);

/**
 * A BatchRenormalization layer, the way tf.layers.batchNormalization(config) makes a BN layer.
 * Defaults are the paper's (rmax 3, dmax 5, warm-up 5k→40k and 5k→25k steps); short runs should
 * shorten the warm-up, e.g. batchRenorm({ rmaxStartStep: 50, rmaxEndStep: 500, ... }).
 */
export function batchRenorm(config: BatchRenormalizationArgs = {}): BatchRenormalization {
  return new BatchRenormalization(config);
}

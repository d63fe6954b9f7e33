import * as tf from '@tensorflow/tfjs';
import type { KernelArgs } from './kernel-util';

/** The parts of tfjs's AdamOptimizer its applyGradients uses (protected in its typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  incrementIterations(): void;
}

/** The parts of tfjs-backend-wasm's BackendWasm used here (not in its public typings). */
interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** An optional native loop with the same arithmetic (dnnl-kernels.ts supplies it when the addon loads). */
export type NativeAdam = (
  backend: tf.KernelBackend,
  n: number,
  inputs: tf.TensorInfo[],
  outputs: tf.TensorInfo[],
  attrs: AdamAttrs,
) => boolean;

interface AdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

const KERNEL = 'BnLabAdamUpdate';
let native: NativeAdam | undefined;

/** Lets the native addon take the update loop (same float32 steps); undefined returns it to JavaScript. */
export function setNativeAdam(loop: NativeAdam | undefined): void {
  native = loop;
}

/**
 * One Adam step for one variable on the wasm heap: new first and second moments and the new value,
 * with tfjs's AdamOptimizer's float32 arithmetic step by step (each intermediate rounded with
 * Math.fround, as each of its ops rounds), so results are bit-identical to the unfused ops.
 */
function adamUpdate(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { value, m, v, g, c1, c2 } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as AdamAttrs;
  const n = tf.util.sizeFromShape(value.shape);
  const outputs = [m, v, value].map((t) => backend.makeOutput(t.shape, 'float32'));
  if (n === 0 || native?.(backend, n, [value, m, v, g, c1, c2], outputs, attrs)) return outputs;
  // Views after makeOutput: allocating may grow (and so detach) the heap.
  const [W, M, V, G, C1, C2] = [value, m, v, g, c1, c2].map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  const [M2, V2, W2] = outputs.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  const f = Math.fround;
  // The scalars as tfjs makes them: JavaScript numbers turned into float32 tensors.
  const b1 = f(attrs.beta1),
    nb1 = f(1 - attrs.beta1),
    b2 = f(attrs.beta2),
    nb2 = f(1 - attrs.beta2);
  const eps = f(attrs.epsilon),
    step = f(-attrs.learningRate),
    bc1 = C1[0],
    bc2 = C2[0];
  for (let i = 0; i < n; i++) {
    const gi = G[i];
    const mi = f(f(M[i] * b1) + f(gi * nb1));
    const vi = f(f(V[i] * b2) + f(f(gi * gi) * nb2));
    const update = f(f(f(mi / bc1) / f(f(Math.sqrt(f(vi / bc2))) + eps)) * step);
    M2[i] = mi;
    V2[i] = vi;
    W2[i] = f(update + W[i]);
  }
  return outputs;
}

const originalApply = tf.AdamOptimizer.prototype.applyGradients;

/**
 * tfjs's AdamOptimizer.applyGradients with each variable's ~13 elementwise ops fused into one kernel
 * call. Small models spend most of a step in per-op overhead (iris: ~290 of ~920 kernel calls per
 * step are Adam's), and every op is a pass over all parameters. Same structure, state and results
 * as tfjs's (see adamUpdate); other backends, and anything unusual, take the original path.
 */
function fusedApplyGradients(this: AdamState, variableGradients: Parameters<typeof originalApply>[0]): void {
  if (tf.getBackend() !== 'wasm') {
    originalApply.call(this as unknown as tf.AdamOptimizer, variableGradients);
    return;
  }
  const varNames = Array.isArray(variableGradients)
    ? variableGradients.map((v) => v.name)
    : Object.keys(variableGradients);
  tf.tidy(() => {
    const oneMinusAccBeta1 = tf.sub(1, this.accBeta1);
    const oneMinusAccBeta2 = tf.sub(1, this.accBeta2);
    varNames.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      // Moments are created exactly as tfjs does, so saved optimizer state stays interchangeable.
      this.accumulatedFirstMoment[i] ??= {
        originalName: `${name}/m`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      this.accumulatedSecondMoment[i] ??= {
        originalName: `${name}/v`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
      if (gradient == null) return;
      const firstMoment = this.accumulatedFirstMoment[i]!.variable;
      const secondMoment = this.accumulatedSecondMoment[i]!.variable;
      const plain = [value, firstMoment, secondMoment, gradient].every(
        (t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, value.shape),
      );
      if (!plain) {
        // The unfused arithmetic, as in tfjs (broadcasting or other dtypes never come from layers).
        const newFirst = tf.add(tf.mul(firstMoment, this.beta1), tf.mul(gradient, 1 - this.beta1));
        const newSecond = tf.add(tf.mul(secondMoment, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
        firstMoment.assign(newFirst);
        secondMoment.assign(newSecond);
        value.assign(
          tf.add(
            tf.mul(
              tf.div(
                tf.div(newFirst, oneMinusAccBeta1),
                tf.add(tf.sqrt(tf.div(newSecond, oneMinusAccBeta2)), this.epsilon),
              ),
              -this.learningRate,
            ),
            value,
          ),
        );
        return;
      }
      const [m, v, w] = tf
        .engine()
        .runKernel(
          KERNEL,
          { value, m: firstMoment, v: secondMoment, g: gradient, c1: oneMinusAccBeta1, c2: oneMinusAccBeta2 },
          { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate },
        ) as tf.Tensor[];
      firstMoment.assign(m);
      secondMoment.assign(v);
      value.assign(w);
    });
    this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
    this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
  });
  this.incrementIterations();
}

/**
 * Turns the fused Adam update on or off for every tf.train.adam optimizer (it replaces
 * AdamOptimizer.prototype.applyGradients, which is where tfjs-layers' fit and trainOnBatch update
 * weights; the replacement defers to the original off the wasm backend). Idempotent.
 */
export function useFusedAdam(on: boolean): void {
  if (tf.getKernel(KERNEL, 'wasm') == null) {
    tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: adamUpdate as unknown as tf.KernelFunc });
  }
  tf.AdamOptimizer.prototype.applyGradients = on
    ? (fusedApplyGradients as unknown as typeof originalApply)
    : originalApply;
}

/** Whether the fused Adam update is on. */
export function fusedAdamActive(): boolean {
  return tf.AdamOptimizer.prototype.applyGradients !== originalApply;
}

/** Small statistics for the experiments' measurements: quantiles and per-unit activation summaries. */
import * as tf from '@tensorflow/tfjs';

/** The q-th quantile (0..1) of values sorted ascending, with linear interpolation (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Arithmetic mean. */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Median. */
export function median(xs: ArrayLike<number>): number {
  return quantileSorted(Float64Array.from(xs).sort(), 0.5);
}

/** Summary of a layer's output over a batch: pooled percentiles and std, per-unit means and stds. */
export interface UnitStats {
  p15: number;
  p50: number;
  p85: number;
  /** Std of all values pooled (units and rows together). */
  std: number;
  unitMean: number[];
  unitStd: number[];
}

/** Statistics of a [rows, ..., units] activation; units are the last axis. */
export function unitStats(activation: tf.Tensor): UnitStats {
  const values = activation.dataSync();
  const units = activation.shape[activation.rank - 1] as number;
  const n = values.length / units;
  const sorted = Float64Array.from(values).sort();
  const m = mean(values);
  const unitMean = new Array<number>(units).fill(0);
  const unitVar = new Array<number>(units).fill(0);
  for (let i = 0; i < values.length; i++) unitMean[i % units] += values[i] / n;
  for (let i = 0; i < values.length; i++) unitVar[i % units] += (values[i] - unitMean[i % units]) ** 2 / n;
  return {
    p15: quantileSorted(sorted, 0.15),
    p50: quantileSorted(sorted, 0.5),
    p85: quantileSorted(sorted, 0.85),
    std: Math.sqrt(mean(Array.from(values, (v) => (v - m) ** 2))),
    unitMean,
    unitStd: unitVar.map(Math.sqrt),
  };
}

/**
 * How far the units' centres moved from `start` to `now`: mean over units of |μ_now − μ_start|, in
 * units of the layer's pooled std at the start (a unit's own std can be tiny in a saturated layer).
 */
export function centreShift(now: UnitStats, start: UnitStats): number {
  return mean(now.unitMean.map((m, j) => Math.abs(m - start.unitMean[j]))) / Math.max(start.std, 1e-6);
}

/** How much the units' spread changed from `start` to `now`: mean unit std over its start value. */
export function spreadRatio(now: UnitStats, start: UnitStats): number {
  return mean(now.unitStd) / Math.max(mean(start.unitStd), 1e-6);
}

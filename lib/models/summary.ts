import * as tf from '@tensorflow/tfjs';
import { escapeHtml, inNotebook, showHtml } from '../notebook/display';

/** One row of a Keras-style model summary. */
export interface SummaryRow {
  name: string;
  type: string;
  outputShape: string;
  params: number;
}

/** Parameter totals as Keras reports them (BN's moving mean/variance count as non-trainable). */
export interface ParamCounts {
  total: number;
  trainable: number;
  nonTrainable: number;
}

const countOf = (weights: tf.LayerVariable[]) => weights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);

/** Counts a model's parameters the way Keras's model.summary() does. */
export function countParams(model: tf.LayersModel): ParamCounts {
  const trainable = countOf(model.trainableWeights);
  const nonTrainable = countOf(model.nonTrainableWeights);
  return { total: trainable + nonTrainable, trainable, nonTrainable };
}

/** Formats a shape as Keras prints it: (None, 32, 32, 6). */
export function formatShape(shape: tf.Shape | tf.Shape[]): string {
  const one = (s: tf.Shape) => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;
  return Array.isArray(shape[0]) ? (shape as tf.Shape[]).map(one).join(', ') : one(shape as tf.Shape);
}

/** The rows of a Keras-style summary: layer name and type, output shape, parameter count. */
export function summaryRows(model: tf.LayersModel): SummaryRow[] {
  return model.layers.map((layer) => ({
    name: layer.name,
    type: layer.getClassName(),
    outputShape: formatShape(layer.outputShape),
    params: layer.countParams(),
  }));
}

/** Renders the summary as an HTML table with Keras's columns and totals. */
export function summaryHtml(model: tf.LayersModel): string {
  const rows = summaryRows(model)
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.name)} (${escapeHtml(r.type)})</td><td>${escapeHtml(r.outputShape)}</td>` +
        `<td style="text-align:right">${r.params.toLocaleString('en-US')}</td></tr>`,
    )
    .join('');
  const c = countParams(model);
  const fmt = (n: number) => n.toLocaleString('en-US');
  return (
    `<table class="bn-lab-summary"><caption style="text-align:left"><b>Model: "${escapeHtml(model.name)}"</b></caption>` +
    `<thead><tr><th>Layer (type)</th><th>Output Shape</th><th>Param #</th></tr></thead><tbody>${rows}</tbody>` +
    `<tfoot><tr><td colspan="3">Total params: ${fmt(c.total)}<br>Trainable params: ${fmt(c.trainable)}` +
    `<br>Non-trainable params: ${fmt(c.nonTrainable)}</td></tr></tfoot></table>`
  );
}

/** Shows model.summary() as a table in the notebook, or tfjs's text summary headless. */
export function showSummary(model: tf.LayersModel): void {
  if (inNotebook()) showHtml(summaryHtml(model));
  else model.summary();
}

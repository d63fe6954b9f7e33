import * as tf from '@tensorflow/tfjs';
import { escapeHtml, inNotebook, showHtml } from './display';

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

const countOf = (weights: tf.LayerVariable[]) =>
  weights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);

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

/** Keras's to_snake_case: Conv2D -> conv2d, BatchNormalization -> batch_normalization. */
function snakeCase(className: string): string {
  return className
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Names layers as Keras's summary does (conv2d, conv2d_1, ...) where tfjs made up its own
 * (conv2d_Conv2D3, counted across every model of the session); names a user chose are kept.
 */
function kerasNames(model: tf.LayersModel): string[] {
  const seen = new Map<string, number>();
  return model.layers.map((layer) => {
    const className = layer.getClassName();
    const base = snakeCase(className);
    if (!new RegExp(`_${className}\\d+$`).test(layer.name)) return layer.name;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  });
}

/** The rows of a Keras-style summary: layer name and type, output shape, parameter count. */
export function summaryRows(model: tf.LayersModel): SummaryRow[] {
  const names = kerasNames(model);
  return model.layers.map((layer, i) => ({
    name: names[i],
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

/** Renders the summary as plain text, laid out like Keras's model.summary(). */
export function summaryText(model: tf.LayersModel): string {
  const rows = summaryRows(model).map((r) => [
    `${r.name} (${r.type})`,
    r.outputShape,
    r.params.toLocaleString('en-US'),
  ]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('');
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0));
  const c = countParams(model);
  return [
    `Model: "${model.name}"`,
    rule('_'),
    line(header),
    rule('='),
    ...rows.map(line),
    rule('='),
    `Total params: ${c.total.toLocaleString('en-US')}`,
    `Trainable params: ${c.trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${c.nonTrainable.toLocaleString('en-US')}`,
  ].join('\n');
}

/** Shows model.summary() as a table in the notebook, or as Keras's text layout headless. */
export function showSummary(model: tf.LayersModel): void {
  if (inNotebook()) showHtml(summaryHtml(model));
  else console.log(summaryText(model));
}

import type * as tf from '@tensorflow/tfjs';
import { Figure, PlotlyObject } from './figure';
import { showFigure } from './plotly';
import { PALETTE } from './palette';

/** What model.fit returns (tf.History); its logged values are plain numbers once fit resolves. */
type History = Pick<tf.History, 'epoch' | 'history'>;

function line(x: number[], y: number[], name: string, extra: PlotlyObject = {}): PlotlyObject {
  return { type: 'scatter', mode: x.length > 30 ? 'lines' : 'lines+markers', x, y, name, ...extra };
}

const epochsOf = (h: History) => h.epoch.map((e) => e + 1);

/**
 * Seed 003's figure: loss (left) and accuracy (right) side by side, training solid and
 * validation dashed, for one or more runs (e.g. { 'BN': h1, 'no BN': h2 }).
 */
export function historyFigure(runs: Record<string, History>, title = ''): Figure {
  const data: PlotlyObject[] = [];
  Object.entries(runs).forEach(([name, h], i) => {
    const color = PALETTE[i % PALETTE.length];
    const prefix = Object.keys(runs).length > 1 ? `${name} ` : '';
    (['loss', 'acc'] as const).forEach((metric, panel) => {
      const axes = panel === 0 ? {} : { xaxis: 'x2', yaxis: 'y2' };
      const show = { legendgroup: `${name}-${metric}`, showlegend: panel === 0 };
      if (h.history[metric])
        data.push(
          line(epochsOf(h), h.history[metric] as number[], `${prefix}train`, { ...axes, ...show, line: { color } }),
        );
      if (h.history[`val_${metric}`]) {
        data.push(
          line(epochsOf(h), h.history[`val_${metric}`] as number[], `${prefix}validation`, {
            ...axes,
            ...show,
            legendgroup: `${name}-val`,
            line: { color, dash: 'dash' },
          }),
        );
      }
    });
  });
  return {
    data,
    layout: {
      ...sideBySideLayout(
        title,
        [{ title: { text: 'epoch' } }, { title: { text: 'loss' } }],
        [{ title: { text: 'epoch' } }, { title: { text: 'accuracy' } }],
      ),
      annotations: [
        { text: 'loss', x: 0.22, y: 1.06, xref: 'paper', yref: 'paper', showarrow: false },
        { text: 'accuracy', x: 0.78, y: 1.06, xref: 'paper', yref: 'paper', showarrow: false },
      ],
    },
  };
}

/**
 * A layout with two independent panels side by side (traces on the right use xaxis 'x2' and
 * yaxis 'y2'); each panel is given as its [x axis, y axis] plotly settings.
 */
export function sideBySideLayout(
  title: string,
  left: [PlotlyObject, PlotlyObject],
  right: [PlotlyObject, PlotlyObject],
): PlotlyObject {
  return {
    title: { text: title },
    grid: { rows: 1, columns: 2, pattern: 'independent' },
    xaxis: left[0],
    yaxis: left[1],
    xaxis2: right[0],
    yaxis2: right[1],
  };
}

/** Shows loss and accuracy curves (two side-by-side panels) for one or more training runs. */
export function plotHistory(runs: Record<string, History> | History, title = ''): void {
  showFigure(historyFigure('epoch' in runs ? { run: runs as History } : (runs as Record<string, History>), title));
}

/** A line per run of one metric across epochs, e.g. the per-epoch loss of shuffle vs no shuffle. */
export function metricFigure(runs: Record<string, number[]>, metric: string, title = ''): Figure {
  return {
    data: Object.entries(runs).map(([name, ys], i) =>
      line(
        ys.map((_, e) => e + 1),
        ys,
        name,
        { line: { color: PALETTE[i % PALETTE.length] } },
      ),
    ),
    layout: {
      title: { text: title },
      xaxis: { title: { text: 'epoch' }, dtick: epochTick(runs) },
      yaxis: { title: { text: metric } },
    },
  };
}

function epochTick(runs: Record<string, number[]>): number | undefined {
  const longest = Math.max(...Object.values(runs).map((r) => r.length));
  return longest <= 20 ? 1 : undefined;
}

/** Shows one metric of several runs on shared axes. */
export function plotMetric(runs: Record<string, number[]>, metric: string, title = ''): void {
  showFigure(metricFigure(runs, metric, title));
}

/** Bars of class probabilities with the predicted class highlighted. */
export function probabilityFigure(probabilities: number[], classNames?: string[], title = ''): Figure {
  const names = classNames ?? probabilities.map((_, i) => String(i));
  const best = probabilities.indexOf(Math.max(...probabilities));
  return {
    data: [
      {
        type: 'bar',
        x: names,
        y: probabilities,
        marker: { color: probabilities.map((_, i) => (i === best ? PALETTE[3] : PALETTE[0])) },
        text: probabilities.map((p) => p.toFixed(3)),
        textposition: 'outside',
      },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: 'class' }, type: 'category' },
      yaxis: { title: { text: 'probability' }, range: [0, 1.1] },
    },
  };
}

/** Shows a probability bar chart (e.g. the 10 digit probabilities of one image). */
export function plotProbabilities(probabilities: number[], classNames?: string[], title = ''): void {
  showFigure(probabilityFigure(probabilities, classNames, title), 360);
}

/** Grouped bars comparing named results, e.g. test accuracy without and with BN. */
export function comparisonFigure(rows: Record<string, Record<string, number>>, title = ''): Figure {
  const metrics = [...new Set(Object.values(rows).flatMap((r) => Object.keys(r)))];
  return {
    data: metrics.map((m, i) => ({
      type: 'bar',
      name: m,
      x: Object.keys(rows),
      y: Object.values(rows).map((r) => r[m]),
      text: Object.values(rows).map((r) => (r[m] ?? NaN).toFixed(4)),
      textposition: 'outside',
      marker: { color: PALETTE[i % PALETTE.length] },
    })),
    layout: { title: { text: title }, barmode: 'group' },
  };
}

/** Shows grouped bars comparing results across runs. */
export function plotComparison(rows: Record<string, Record<string, number>>, title = ''): void {
  showFigure(comparisonFigure(rows, title), 360);
}

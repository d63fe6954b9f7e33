/** Plots the experiments' Traces: one panel per measured quantity, one colour per run. */
import type { Figure, PlotlyObject } from '../plots/figure';
import { showFigure } from '../plots/plotly';
import type { Trace } from './loop';
import { PALETTE } from '../plots/palette';

/** One panel of traceFigure: the series it draws for every trace. */
export interface TracePanel {
  /** The panel's y-axis title. */
  title: string;
  /** A series drawn as a line. */
  line?: string;
  /** Two series drawn as a shaded band between them. */
  band?: [string, string];
  log?: boolean;
}

function rgba(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255},${(v >> 8) & 255},${v & 255},${alpha})`;
}

const round4 = (xs: number[]) => xs.map((x) => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x));

/**
 * Panels side by side (three per row) against the training step; each trace (run) gets one colour
 * across all panels and one legend entry.
 */
export function traceFigure(traces: Trace[], panels: TracePanel[], title = ''): Figure {
  const columns = Math.min(3, panels.length);
  const rows = Math.ceil(panels.length / columns);
  const layout: PlotlyObject = {
    title: { text: title },
    grid: { rows, columns, pattern: 'independent', roworder: 'top to bottom' },
    legend: { orientation: 'h', y: -0.15 },
  };
  const data: PlotlyObject[] = [];
  panels.forEach((panel, p) => {
    const suffix = p === 0 ? '' : String(p + 1);
    const axes = { xaxis: `x${suffix}`, yaxis: `y${suffix}` };
    layout[`xaxis${suffix}`] = { title: { text: 'step' } };
    layout[`yaxis${suffix}`] = { title: { text: panel.title }, ...(panel.log ? { type: 'log' } : {}) };
    traces.forEach((trace, t) => {
      const color = PALETTE[t % PALETTE.length];
      const group = { legendgroup: trace.label, ...axes };
      const missing = [panel.line, ...(panel.band ?? [])].find((k) => k !== undefined && !trace.series[k]);
      if (missing)
        throw new Error(
          `traceFigure: run '${trace.label}' has no series '${missing}' (it has ${Object.keys(trace.series).join(', ')}).`,
        );
      if (panel.band) {
        const [lo, hi] = panel.band;
        data.push({
          type: 'scatter',
          mode: 'lines',
          x: trace.steps,
          y: round4(trace.series[lo]),
          line: { width: 0, color },
          hoverinfo: 'skip',
          showlegend: false,
          ...group,
        });
        data.push({
          type: 'scatter',
          mode: 'lines',
          x: trace.steps,
          y: round4(trace.series[hi]),
          fill: 'tonexty',
          fillcolor: rgba(color, 0.25),
          line: { width: 0, color },
          name: trace.label,
          showlegend: p === 0 && !panel.line,
          ...group,
        });
      }
      if (panel.line) {
        data.push({
          type: 'scatter',
          mode: 'lines',
          x: trace.steps,
          y: round4(trace.series[panel.line]),
          line: { color, width: 1.5 },
          name: trace.label,
          showlegend: p === 0,
          ...group,
        });
      }
    });
  });
  return { data, layout };
}

/** Shows the experiments' runs panel by panel, as plotHistory shows a fit's history (traceFigure's chart). */
export function plotTraces(traces: Trace[], panels: TracePanel[], title = '', height?: number): void {
  showFigure(traceFigure(traces, panels, title), height);
}

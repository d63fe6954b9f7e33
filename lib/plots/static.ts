/**
 * A static picture of a plotly figure, drawn in Node without a browser: the figure is translated to
 * an Apache ECharts option and rendered with ECharts' server-side SVG renderer (pure JavaScript, no
 * DOM, no canvas). plotly.js itself needs a real browser layout engine (getBBox, text metrics), and
 * ECharts already does the hard parts of a chart picture (nice ticks, log axes, text placement,
 * legends), so only the mapping of the plotly features this project uses lives here: scatter traces
 * (lines, markers, dashes, `fill: 'tonexty'` bands), bars (grouped, per-bar colours, text above),
 * linear/log/category axes with titles, ranges and dtick, `layout.grid` subplots, paper-referenced
 * annotations, the title and the legend. Anything else is drawn as well as it maps, never dropped
 * silently: an unsupported trace type is named in the picture.
 */
import { Figure, PlotlyObject, titleText } from './figure';
import { PALETTE } from './palette';

/**
 * Fonts for the picture: Arial-metric fonts first (ECharts lays text out with Arial-like widths, so
 * legends do not overlap), then Hangul fonts (Noto CJK on Linux, the system ones elsewhere).
 */
export const STATIC_FONT =
  'Liberation Sans, Arial, Helvetica, DejaVu Sans, Noto Sans CJK KR, Apple SD Gothic Neo, Malgun Gothic, sans-serif';

/** Size of the static picture in CSS pixels. */
export interface StaticSize {
  width: number;
  height: number;
}

type Obj = Record<string, unknown>;
type ECharts = typeof import('echarts');

let echartsModule: ECharts | undefined;
function echarts(): ECharts {
  // Loaded on the first chart only (about 0.3 s), so importing bn-lab stays fast.
  echartsModule ??= require('echarts') as ECharts;
  return echartsModule;
}

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Rough text width for layout decisions (ECharts measures again when it draws). */
function textWidth(s: string, fontSize = 12): number {
  let w = 0;
  for (const ch of s)
    w += /[\u1100-\u11ff\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]/.test(ch) ? fontSize : fontSize * 0.6;
  return w;
}

/** The subplot number of an axis id: 'x' -> 1, 'x3' -> 3. */
function axisNumber(id: unknown): number {
  const m = typeof id === 'string' ? /^[xy](\d*)$/.exec(id) : null;
  return m && m[1] ? Number(m[1]) : 1;
}
const axisKey = (letter: 'x' | 'y', n: number) => `${letter}axis${n === 1 ? '' : n}`;

/** The [start, end] fractions of the figure that subplot `n` covers, from `layout.grid` or the axes' domains. */
function subplotDomains(layout: Obj, n: number): { x: [number, number]; y: [number, number] } {
  const grid = obj(layout.grid);
  const xDomain = arr(obj(layout[axisKey('x', n)]).domain) as number[];
  const yDomain = arr(obj(layout[axisKey('y', n)]).domain) as number[];
  if (xDomain.length === 2 || yDomain.length === 2 || !grid.rows || !grid.columns) {
    return {
      x: xDomain.length === 2 ? [xDomain[0], xDomain[1]] : [0, 1],
      y: yDomain.length === 2 ? [yDomain[0], yDomain[1]] : [0, 1],
    };
  }
  const rows = Number(grid.rows);
  const cols = Number(grid.columns);
  const cell = (count: number, gap: number, i: number): [number, number] => {
    // plotly: `gap` is a fraction of one cell's size left empty between neighbouring cells.
    const size = 1 / (count + gap * (count - 1));
    const start = i * size * (1 + gap);
    return [start, start + size];
  };
  const row = Math.floor((n - 1) / cols);
  const col = (n - 1) % cols;
  const bottomToTop = grid.roworder === 'bottom to top';
  // plotly's defaults: independent axes leave room for each cell's own tick labels.
  const independent = grid.pattern === 'independent';
  const y = cell(rows, num(grid.ygap) ?? (independent ? 0.3 : 0.1), bottomToTop ? row : rows - 1 - row);
  return { x: cell(cols, num(grid.xgap) ?? (independent ? 0.2 : 0.1), col), y };
}

const isNumeric = (v: unknown) => typeof v === 'number';

function dashType(dash: unknown): string {
  if (dash === 'dash' || dash === 'longdash' || dash === 'dashdot' || dash === 'longdashdot') return 'dashed';
  if (dash === 'dot') return 'dotted';
  return 'solid';
}

/** ECharts symbols for plotly marker symbols (plotly's 'x' has no built-in twin, so it is a path). */
function symbolOf(symbol: unknown): string {
  switch (symbol) {
    case 'square':
      return 'rect';
    case 'diamond':
      return 'diamond';
    case 'triangle-up':
      return 'triangle';
    case 'x':
      return 'path://M0,0 L2,2 M2,0 L0,2 M0.2,0 L2,1.8 L1.8,2 L0,0.2 Z M1.8,0 L2,0.2 L0.2,2 L0,1.8 Z';
    default:
      return 'circle';
  }
}

/** Same colour, translucent, for band fills that give no fillcolor. */
function translucent(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const v = parseInt(m[1], 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}

interface Subplot {
  n: number;
  categories: string[] | null;
  xType: 'value' | 'log' | 'category';
  yType: 'value' | 'log' | 'category';
  hasBars: boolean;
}

/** The subplots the traces use, each with its axis types and categories (subplot 1 if none). */
function subplotsOf(layout: Obj, traces: Obj[]): Map<number, Subplot> {
  const subplots = new Map<number, Subplot>();
  for (const t of traces) {
    const n = axisNumber(t.xaxis ?? 'x');
    const xLayout = obj(layout[axisKey('x', n)]);
    const yLayout = obj(layout[axisKey('y', n)]);
    const sp = subplots.get(n) ?? {
      n,
      categories: null,
      xType: xLayout.type === 'log' ? 'log' : 'value',
      yType: yLayout.type === 'log' ? 'log' : 'value',
      hasBars: false,
    };
    const xs = arr(t.x);
    if (xLayout.type === 'category' || t.type === 'bar' || xs.some((v) => !isNumeric(v) && v != null)) {
      sp.xType = 'category';
      sp.categories ??= [];
      for (const v of xs) if (!sp.categories.includes(String(v))) sp.categories.push(String(v));
    }
    if (t.type === 'bar') sp.hasBars = true;
    subplots.set(n, sp);
  }
  if (subplots.size === 0) subplots.set(1, { n: 1, categories: null, xType: 'value', yType: 'value', hasBars: false });
  return subplots;
}

/** The legend as plotly would show it: one entry per distinct name of a listed trace. */
interface Legend {
  names: string[];
  shown: boolean;
  horizontal: boolean;
  /** Room it takes at the right of the plot (a vertical legend), in pixels. */
  width: number;
}

function legendOf(layout: Obj, traces: Obj[]): Legend {
  const names: string[] = [];
  for (const t of traces) {
    if (t.showlegend === false || typeof t.name !== 'string' || t.name === '') continue;
    if (!names.includes(t.name)) names.push(t.name);
  }
  const horizontal = obj(layout.legend).orientation === 'h';
  const wanted =
    layout.showlegend === false
      ? false
      : layout.showlegend === true || traces.filter((t) => t.showlegend !== false).length > 1;
  const shown = wanted && names.length > 0;
  const width = shown && !horizontal ? Math.min(260, 45 + Math.max(...names.map((s) => textWidth(s)))) : 0;
  return { names, shown, horizontal, width };
}

/** The plotting area in pixels, inside margins for the title, axis titles, annotations and the legend. */
interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

function plotAreaOf(layout: Obj, title: string, legend: Legend, size: StaticSize): PlotArea {
  const hasTopNotes = arr(layout.annotations).some((a) => (num(obj(a).y) ?? 0) >= 1);
  const top = (title ? 46 : 16) + (hasTopNotes ? 20 : 0);
  const bottom = 48 + (legend.shown && legend.horizontal ? 28 * Math.ceil(legend.names.length / 4) : 0);
  const left = 72;
  const right = 16 + legend.width;
  return {
    left,
    top,
    width: Math.max(50, size.width - left - right),
    height: Math.max(50, size.height - top - bottom),
  };
}

const AXIS_STYLE = {
  axisLine: { lineStyle: { color: '#888' } },
  axisTick: { show: false },
  splitLine: { lineStyle: { color: '#e6e6e6' } },
  axisLabel: { color: '#444', fontSize: 11, hideOverlap: true },
  nameTextStyle: { color: '#444', fontSize: 12 },
  nameLocation: 'middle',
};

/** One ECharts grid and x/y axis pair per subplot, placed by plotly's domains; gridIndex maps subplot → grid. */
function gridsAndAxes(layout: Obj, traces: Obj[], subplots: Map<number, Subplot>, area: PlotArea) {
  const grids: Obj[] = [];
  const xAxes: Obj[] = [];
  const yAxes: Obj[] = [];
  const gridIndex = new Map<number, number>();
  for (const sp of [...subplots.values()].sort((a, b) => a.n - b.n)) {
    const d = subplotDomains(layout, sp.n);
    gridIndex.set(sp.n, grids.length);
    grids.push({
      left: area.left + d.x[0] * area.width,
      top: area.top + (1 - d.y[1]) * area.height,
      width: (d.x[1] - d.x[0]) * area.width,
      height: (d.y[1] - d.y[0]) * area.height,
    });
    const styled = (spec: Obj, nameGap: number) => ({
      ...AXIS_STYLE,
      ...spec,
      axisLabel: { ...AXIS_STYLE.axisLabel, ...obj(spec.axisLabel) },
      gridIndex: grids.length - 1,
      nameGap,
    });
    xAxes.push(styled(axisSpec(obj(layout[axisKey('x', sp.n)]), sp.xType, sp.categories, false), 26));
    yAxes.push(styled(axisSpec(obj(layout[axisKey('y', sp.n)]), sp.yType, null, sp.hasBars), yTitleGap(traces, sp.n)));
  }
  shareMatchedRanges(layout, traces, yAxes, gridIndex);
  return { grids, xAxes, yAxes, gridIndex };
}

/** What every series of one trace needs: its subplot, colour, name, points' x/y and labels. */
interface TraceContext {
  t: Obj;
  i: number;
  sp: Subplot;
  color: string;
  name: string;
  common: Obj;
  xs: unknown[];
  ys: unknown[];
  texts: string[];
  xOf: (j: number) => unknown;
  yOf: (j: number) => number | null;
}

function traceContext(t: Obj, i: number, subplots: Map<number, Subplot>, gridIndex: Map<number, number>): TraceContext {
  const n = axisNumber(t.xaxis ?? 'x');
  const g = gridIndex.get(n) ?? 0;
  const sp = subplots.get(n)!;
  const line = obj(t.line);
  const marker = obj(t.marker);
  const color =
    (typeof line.color === 'string' && line.color) ||
    (typeof marker.color === 'string' && marker.color) ||
    PALETTE[i % PALETTE.length];
  const name = typeof t.name === 'string' ? t.name : `trace ${i}`;
  const xs = arr(t.x);
  const ys = arr(t.y);
  return {
    t,
    i,
    sp,
    color,
    name,
    xs,
    ys,
    common: { name, xAxisIndex: g, yAxisIndex: g, silent: true, z: 2 + i / 1000 },
    texts: arr(t.text).map((s) => (s == null ? '' : String(s))),
    xOf: (j) => (sp.xType === 'category' ? String(xs[j]) : xs[j]),
    yOf: (j) => {
      const y = num(ys[j]);
      return y === undefined || (sp.yType === 'log' && y <= 0) ? null : y;
    },
  };
}

/** A bar trace: grouped, stacked or overlaid as layout.barmode says, per-bar colours and text above. */
function barSeries(c: TraceContext, layout: Obj): Obj {
  const marker = obj(c.t.marker);
  const colors = arr(marker.color);
  return {
    ...c.common,
    type: 'bar',
    stack: layout.barmode === 'stack' || layout.barmode === 'relative' ? 'bars' : undefined,
    barGap: layout.barmode === 'overlay' ? '-100%' : '20%',
    itemStyle: { color: typeof marker.color === 'string' ? marker.color : PALETTE[c.i % PALETTE.length] },
    data: c.ys.map((_, j) => ({
      value: [c.xOf(j), c.yOf(j)],
      itemStyle: typeof colors[j] === 'string' ? { color: colors[j] } : undefined,
      label: c.texts[j]
        ? { show: true, position: 'top', formatter: c.texts[j], color: '#444', fontSize: 11 }
        : undefined,
    })),
  };
}

/** `fill: 'tonexty'`: the band between the previous trace and this one, drawn as one polygon. */
function bandSeries(c: TraceContext, lower: Obj): Obj {
  const lowerXs = arr(lower.x);
  const lowerYs = arr(lower.y);
  const fill = typeof c.t.fillcolor === 'string' ? c.t.fillcolor : translucent(c.color, 0.3);
  const upperPts = c.xs.map((x, j) => [x, c.yOf(j)]).filter((p) => p[1] !== null);
  const lowerPts = lowerXs
    .map((x, j) => [x, num(lowerYs[j]) ?? null])
    .filter((p) => p[1] !== null)
    .reverse();
  return {
    ...c.common,
    type: 'custom',
    itemStyle: { color: fill },
    data: upperPts,
    renderItem: (params: { dataIndex: number }, api: { coord: (p: unknown[]) => number[] }) =>
      params.dataIndex === 0
        ? { type: 'polygon', shape: { points: [...upperPts, ...lowerPts].map((p) => api.coord(p)) }, style: { fill } }
        : null,
  };
}

/** A scatter trace's lines and/or markers (plotly's mode), dashes, text labels and `tozeroy` fill. */
function lineSeries(c: TraceContext, mode: string): Obj {
  const line = obj(c.t.line);
  const marker = obj(c.t.marker);
  const symbols = arr(marker.symbol);
  const width = num(line.width) ?? 2;
  const showText = mode.includes('text');
  const lines = mode.includes('lines');
  const markers = mode.includes('markers');
  return {
    ...c.common,
    type: lines ? 'line' : 'scatter',
    showSymbol: markers,
    symbol: markers ? symbolOf(typeof marker.symbol === 'string' ? marker.symbol : 'circle') : 'none',
    symbolSize: markers ? (num(marker.size) ?? 6) : 0,
    connectNulls: false,
    itemStyle: { color: typeof marker.color === 'string' ? marker.color : c.color },
    lineStyle: lines ? { color: c.color, width, type: dashType(line.dash), opacity: width === 0 ? 0 : 1 } : undefined,
    areaStyle:
      c.t.fill === 'tozeroy'
        ? { color: typeof c.t.fillcolor === 'string' ? c.t.fillcolor : translucent(c.color, 0.3) }
        : undefined,
    data: c.ys.map((_, j) => ({
      value: [c.xOf(j), c.yOf(j)],
      symbol: symbols.length ? symbolOf(symbols[j]) : undefined,
      label: showText && c.texts[j] ? { show: true, position: 'top', formatter: c.texts[j], fontSize: 11 } : undefined,
    })),
  };
}

/**
 * The ECharts series of one trace (a band and its line, a bar, ...), or a note naming a trace type
 * that only the interactive chart draws.
 */
function traceSeries(c: TraceContext, traces: Obj[], layout: Obj): { series: Obj[]; note?: string } {
  if (c.t.type === 'bar') return { series: [barSeries(c, layout)] };
  if (c.t.type !== 'scatter' && c.t.type !== undefined) {
    return { series: [], note: `(${String(c.t.type)} trace "${c.name}" is drawn only in the interactive chart)` };
  }
  const mode = typeof c.t.mode === 'string' ? c.t.mode : c.xs.length > 20 ? 'lines' : 'lines+markers';
  const series: Obj[] = [];
  if (c.t.fill === 'tonexty' && c.i > 0 && c.sp.xType !== 'category') {
    series.push(bandSeries(c, traces[c.i - 1]));
    // A band with no visible edge line is only the band.
    if ((num(obj(c.t.line).width) ?? 2) === 0 && !mode.includes('markers')) return { series };
  }
  series.push(lineSeries(c, mode));
  return { series };
}

/** Paper-referenced annotations as text, and the notes about undrawn traces along the bottom. */
function textGraphics(layout: Obj, area: PlotArea, notes: string[], size: StaticSize): Obj[] {
  const graphics: Obj[] = [];
  for (const a of arr(layout.annotations).map(obj)) {
    if (a.xref !== 'paper' || a.yref !== 'paper' || typeof a.text !== 'string') continue;
    const y = num(a.y) ?? 0;
    graphics.push({
      type: 'text',
      x: area.left + (num(a.x) ?? 0) * area.width,
      y: area.top + (1 - y) * area.height - (y >= 1 ? 4 : 0),
      style: {
        text: a.text,
        fill: '#444',
        fontSize: 12,
        fontFamily: STATIC_FONT,
        align: a.xanchor === 'left' || a.xanchor === 'right' ? a.xanchor : 'center',
        verticalAlign: y >= 1 || a.yanchor === 'bottom' ? 'bottom' : a.yanchor === 'top' ? 'top' : 'middle',
      },
    });
  }
  notes.forEach((text, k) =>
    graphics.push({
      type: 'text',
      x: area.left,
      y: size.height - 6 - 14 * k,
      style: { text, fill: '#888', fontSize: 10, fontFamily: STATIC_FONT },
    }),
  );
  return graphics;
}

/** Builds the ECharts option that draws `figure` at `size` (exported for tests). */
export function echartsOption(figure: Figure, size: StaticSize): Obj {
  const layout = obj(figure.layout);
  const traces = figure.data.map(obj);
  const title = titleText(layout.title);
  const subplots = subplotsOf(layout, traces);
  const legend = legendOf(layout, traces);
  const area = plotAreaOf(layout, title, legend, size);
  const { grids, xAxes, yAxes, gridIndex } = gridsAndAxes(layout, traces, subplots, area);
  // Series in trace order, so later traces draw on top as in plotly.
  const series: Obj[] = [];
  const notes: string[] = [];
  traces.forEach((t, i) => {
    const drawn = traceSeries(traceContext(t, i, subplots, gridIndex), traces, layout);
    series.push(...drawn.series);
    if (drawn.note) notes.push(drawn.note);
  });
  const textStyle = { fontSize: 12, color: '#444', fontFamily: STATIC_FONT };
  return {
    animation: false,
    backgroundColor: '#fff',
    color: PALETTE,
    textStyle: { fontFamily: STATIC_FONT, color: '#444' },
    title: title
      ? { text: title, left: 'center', top: 10, textStyle: { ...textStyle, fontSize: 16, fontWeight: 'normal' } }
      : undefined,
    legend: legend.shown
      ? {
          data: legend.names,
          orient: legend.horizontal ? 'horizontal' : 'vertical',
          ...(legend.horizontal ? { left: 'center', bottom: 4 } : { right: 8, top: area.top }),
          itemWidth: 24,
          itemHeight: 10,
          textStyle,
        }
      : undefined,
    grid: grids,
    xAxis: xAxes,
    yAxis: yAxes,
    series,
    graphic: textGraphics(layout, area, notes, size),
  };
}

/**
 * Distance of a y axis title from its axis: just clear of the widest tick label, estimated from the
 * data's extremes at 2-3 significant digits (ECharts' own labels are not known before it draws), so
 * a right-hand panel's title stays out of the panel to its left.
 */
function yTitleGap(traces: Obj[], n: number): number {
  const values = traces
    .filter((t) => axisNumber(t.yaxis ?? 'y') === n)
    .flatMap((t) => arr(t.y).map(num))
    .filter((v): v is number => v !== undefined);
  if (values.length === 0) return 44;
  const label = (v: number) => String(Number(v.toPrecision(Math.abs(v) < 1 ? 2 : 3)));
  const widest = Math.max(...[Math.min(...values), Math.max(...values)].map((v) => textWidth(label(v), 11)));
  return Math.round(Math.min(60, Math.max(26, widest + 16)));
}

/** One plotly axis as an ECharts axis: type, title, range and tick spacing. */
function axisSpec(axis: Obj, type: Subplot['xType'], categories: string[] | null, fromZero: boolean): Obj {
  const spec: Obj = { type, name: titleText(axis.title) || undefined };
  const range = arr(axis.range).map(num);
  if (type === 'category') {
    spec.data = categories ?? [];
  } else if (type === 'log') {
    if (range.length === 2 && range[0] !== undefined && range[1] !== undefined) {
      spec.min = 10 ** range[0];
      spec.max = 10 ** range[1];
    }
    const ticks = arr(axis.tickvals)
      .map(num)
      .filter((v): v is number => v !== undefined && v > 0);
    // Batch sizes and similar powers of two read better on a base-2 axis (plotly shows them via tickvals).
    if (ticks.length > 1 && ticks.every((v) => Number.isInteger(Math.log2(v)))) spec.logBase = 2;
  } else {
    spec.scale = !fromZero;
    if (range.length === 2 && range[0] !== undefined && range[1] !== undefined) {
      spec.min = range[0];
      spec.max = range[1];
      // A range with headroom (plotly's [0, 1.1] for bars with text above) would print its odd end
      // value next to the last round tick; plotly shows round ticks only.
      const step = niceStep((range[1] - range[0]) / 5);
      const onTick = (v: number) => Math.abs(v / step - Math.round(v / step)) < 1e-9;
      spec.axisLabel = { showMinLabel: onTick(range[0]), showMaxLabel: onTick(range[1]) };
    }
    const dtick = num(axis.dtick);
    if (dtick) spec.interval = dtick;
  }
  return spec;
}

/** plotly's `matches: 'y'` shares one range between axes; give each matched group the union of its data. */
function shareMatchedRanges(layout: Obj, traces: Obj[], yAxes: Obj[], gridIndex: Map<number, number>): void {
  const groups = new Map<number, number[]>();
  for (const n of gridIndex.keys()) {
    const matches = obj(layout[axisKey('y', n)]).matches;
    if (typeof matches !== 'string') continue;
    const root = axisNumber(matches);
    groups.set(root, [...(groups.get(root) ?? [root]), n]);
  }
  for (const members of groups.values()) {
    const values = traces
      .filter((t) => members.includes(axisNumber(t.yaxis ?? 'y')))
      .flatMap((t) =>
        arr(t.y)
          .map(num)
          .filter((v): v is number => v !== undefined),
      );
    if (values.length === 0) continue;
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    // Round outwards to a tick step so the shared range ends on labelled values.
    const step = niceStep((hi - lo || Math.abs(hi) || 1) / 5);
    const min = Number((Math.floor(lo / step) * step).toPrecision(12));
    const max = Number((Math.ceil(hi / step) * step).toPrecision(12));
    for (const n of members) {
      const axis = yAxes[gridIndex.get(n) ?? -1];
      if (axis && axis.type === 'value' && axis.min === undefined) Object.assign(axis, { min, max, interval: step });
    }
  }
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

/** The figure drawn as a standalone SVG document of `size` (plotly is not needed). */
export function figureSvg(figure: Figure, size: StaticSize): string {
  const chart = echarts().init(null as unknown as HTMLElement, null, {
    renderer: 'svg',
    ssr: true,
    width: size.width,
    height: size.height,
  });
  try {
    chart.setOption(echartsOption(figure, size) as PlotlyObject);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { inNotebook, showHtml } from '../notebook/display';

/** A plotly trace or layout: plain JSON, passed to Plotly.newPlot unchanged. */
export type PlotlyObject = Record<string, unknown>;

/** A plotly figure: traces plus layout. */
export interface Figure {
  data: PlotlyObject[];
  layout?: PlotlyObject;
}

let bundle: string | undefined;

/**
 * plotly.js's basic bundle (scatter, bar, pie: all these charts need), read from the installed
 * package. It is embedded in the page rather than loaded from a CDN so charts render offline,
 * in nbconvert HTML opened from file:// and in classrooms without internet.
 */
export function plotlyBundle(): string {
  if (bundle === undefined) {
    const file = require.resolve('plotly.js-basic-dist-min');
    // Inside a <script> element the text "</script" would end it early.
    bundle = readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return bundle;
}

/** A <script> that defines window.Plotly; emitted once per kernel session. */
export function plotlyLoaderHtml(): string {
  return `<script type="text/javascript">${plotlyBundle()}</script>`;
}

/**
 * The HTML for one chart: a div plus a script that draws into it once window.Plotly exists. It
 * waits because Jupyter may render outputs before the one that loads the bundle has run.
 */
export function figureHtml(figure: Figure, height = 420): string {
  const id = `bnlab-${randomBytes(6).toString('hex')}`;
  const json = JSON.stringify({ data: figure.data, layout: { height, margin: { t: 50, r: 20 }, ...figure.layout } })
    .replace(/</g, '\\u003c');
  return (
    `<div id="${id}" class="bn-lab-chart" style="width:100%;min-height:${height}px"></div>` +
    `<script type="text/javascript">(function(){var fig=${json};var tries=0;` +
    `function draw(){var el=document.getElementById("${id}");if(!el)return;` +
    `if(window.Plotly){window.Plotly.newPlot(el,fig.data,fig.layout,{responsive:true,displaylogo:false});}` +
    `else if(++tries<200){setTimeout(draw,50);}` +
    `else{el.textContent="plotly.js did not load: run the notebook again from the top (and trust it in Jupyter).";}}` +
    `draw();})();</script>`
  );
}

let loaderShown = false;

/**
 * Shows a figure inline. The first chart of a kernel session also sends the plotly.js bundle,
 * so each notebook (and each HTML handout) carries the library once, not once per chart.
 * Headless, it prints the chart's title so logs show that a chart was made.
 */
export function showFigure(figure: Figure, height?: number): void {
  if (!inNotebook()) {
    const title = (figure.layout?.title as { text?: string } | undefined)?.text ?? 'chart';
    console.log(`[chart: ${title}]`);
    return;
  }
  if (!loaderShown) {
    showHtml(plotlyLoaderHtml());
    loaderShown = true;
  }
  showHtml(figureHtml(figure, height));
}

/** A complete standalone HTML page with figures, for files written outside notebooks. */
export function standaloneHtml(title: string, figures: Figure[]): string {
  const charts = figures.map((f) => figureHtml(f)).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${plotlyLoaderHtml()}</head><body>${charts}</body></html>`;
}

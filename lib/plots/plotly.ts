import { host, randomId } from '../host';
import { displayMimeBundle, frontEndSession, inNotebook, MimeBundle } from '../notebook/display';
import { Figure, titleText } from './figure';
import { echartsOption, figureSvg, StaticSize } from './static';

/** The MIME type plotly's own renderers use; VS Code and JupyterLab's plotly extension draw it without scripts. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** Default chart height in pixels. */
export const DEFAULT_HEIGHT = 420;
/** Width of the static picture (the interactive chart fills its output area instead). */
export const STATIC_WIDTH = 800;

let bundle: string | undefined;

/**
 * plotly.js's basic bundle (scatter, bar, pie traces, with every axis type, subplots, annotations
 * and legends: all these charts need), read from the installed package. It is embedded in the page
 * rather than loaded from a CDN so charts render offline, from file:// and in classrooms without
 * internet.
 */
export function plotlyBundle(): string {
  if (bundle === undefined) {
    // Inside a <script> element the text "</script" would end it early.
    bundle = host()
      .plotlyLibrary()
      .replace(/<\/script/gi, '<\\/script');
  }
  return bundle;
}

/** How the plotly.js loader script begins and ends (handouts keep the first of several). */
export const PLOTLY_LOADER_START = '<script type="text/javascript">if (!window.Plotly) {\n';
export const PLOTLY_LOADER_END = '\n}</script>';

/** A <script> that defines window.Plotly unless the page already has it. */
export function plotlyLoaderHtml(): string {
  return `${PLOTLY_LOADER_START}${plotlyBundle()}${PLOTLY_LOADER_END}`;
}

/** The figure as drawn: its layout completed with the height and margins every chart uses. */
export function completeFigure(figure: Figure, height = DEFAULT_HEIGHT): Figure {
  return { data: figure.data, layout: { height, margin: { t: 50, r: 20 }, ...figure.layout } };
}

/** A figure's title, or 'chart' when it has none (the text/plain form of a chart). */
export function figureTitle(figure: Figure): string {
  return titleText(figure.layout?.title) || 'chart';
}

/** The static picture's size for a completed figure. */
function staticSize(full: Figure): StaticSize {
  return { width: STATIC_WIDTH, height: Number(full.layout!.height) };
}

/** The figure's static picture as PNG, drawn synchronously; undefined where the host cannot (the browser: figurePngLater). */
export function figurePng(figure: Figure, height = DEFAULT_HEIGHT): Buffer | undefined {
  const rasterize = host().svgToPng;
  if (!rasterize) return undefined;
  const full = completeFigure(figure, height);
  const png = rasterize(figureSvg(full, staticSize(full)));
  return Buffer.from(png.buffer, png.byteOffset, png.byteLength);
}

/**
 * The figure's static picture as PNG from a host that encodes it asynchronously (the browser's
 * canvas); undefined where the host has no such drawing. The scene is taken from the figure now.
 */
export function figurePngLater(figure: Figure, height = DEFAULT_HEIGHT): Promise<Uint8Array> | undefined {
  const draw = host().chartPng;
  if (!draw) return undefined;
  const full = completeFigure(figure, height);
  const size = staticSize(full);
  return draw(echartsOption(full, size), size);
}

/** Bytes as base64 without Node's Buffer (the browser bundle has none). */
function base64(bytes: Uint8Array): string {
  let binary = '';
  // String.fromCharCode takes its arguments on the stack: a chunk at a time.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Options for figureHtml. */
export interface FigureHtmlOptions {
  /** A static picture (PNG as base64) shown until plotly draws (and for good where scripts do not run). */
  png?: string;
  /** Embed plotly.js before the chart (once per page is enough). */
  includeLibrary?: boolean;
  /**
   * For a chart that replaces itself many times (live curves): the chart it replaces is purged by
   * plotly first, so its window listeners and detached nodes do not pile up over a long training.
   */
  replaces?: string;
}

/**
 * The HTML for one chart: a div holding the static picture (if given) and a script that replaces
 * it with the interactive chart once window.Plotly exists. Sanitizing front ends (untrusted
 * notebooks in JupyterLab and Notebook) drop the script and keep the picture. The script waits
 * because Jupyter may render this output before the one that loads the library has run.
 */
export function figureHtml(figure: Figure, height = DEFAULT_HEIGHT, options: FigureHtmlOptions = {}): string {
  const id = `bnlab-${randomId(6)}`;
  const full = completeFigure(figure, height);
  const json = JSON.stringify(full).replace(/</g, '\\u003c');
  const title = figureTitle(figure).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const picture = options.png
    ? `<img class="bn-lab-chart-static" src="data:image/png;base64,${options.png}" alt="${title}" ` +
      `width="${STATIC_WIDTH}" style="max-width:100%;height:auto">`
    : '';
  return (
    (options.includeLibrary ? plotlyLoaderHtml() : '') +
    `<div id="${id}" class="bn-lab-chart" style="width:100%;min-height:${height}px">${picture}</div>` +
    `<script type="text/javascript">(function(){var fig=${json};var tries=0;` +
    `function draw(){var el=document.getElementById("${id}");if(!el)return;` +
    `if(!window.Plotly){if(++tries<200)setTimeout(draw,50);return;}` +
    `var pic=el.querySelector(".bn-lab-chart-static");if(pic)el.removeChild(pic);` +
    (options.replaces
      ? `var live=window.bnLabLiveCharts=window.bnLabLiveCharts||{};var key=${JSON.stringify(options.replaces)};` +
        `if(live[key]&&live[key]!==el){try{window.Plotly.purge(live[key]);}catch(e){}}live[key]=el;`
      : '') +
    `window.Plotly.newPlot(el,fig.data,fig.layout,{responsive:true,displaylogo:false})` +
    `.catch(function(e){if(pic)el.appendChild(pic);console.warn("bn-lab chart:",e);});}` +
    `draw();})();</script>`
  );
}

/**
 * One chart as one output with every representation, as plotly's own Python renderer sends it:
 * the plotly JSON (drawn without scripts by VS Code and by JupyterLab with plotly's extension), the
 * HTML (interactive, with the static picture inside for sanitized pages), the PNG (GitHub,
 * nbviewer) and the title as text. Synchronous: where the host draws pictures asynchronously (the
 * browser) it has no PNG; figureOutput adds it there.
 */
export function figureBundle(
  figure: Figure,
  height = DEFAULT_HEIGHT,
  options: Pick<FigureHtmlOptions, 'includeLibrary' | 'replaces'> = {},
): MimeBundle {
  const full = completeFigure(figure, height);
  const png = staticPicture(figure, height);
  return {
    [PLOTLY_MIME]: { data: full.data, layout: full.layout, config: { displaylogo: false, responsive: true } },
    'text/html': figureHtml(figure, height, { ...options, png }),
    ...(png ? { 'image/png': png } : {}),
    'text/plain': figureTitle(figure),
  };
}

/** A chart's output: its bundle and, on a host that encodes pictures asynchronously, the PNG entries to come. */
export interface FigureOutput {
  data: MimeBundle;
  /** `image/png` and the `text/html` with the picture inside; rejects (naming the chart) if the picture fails. */
  pending?: Promise<MimeBundle>;
}

/** figureBundle, with the browser's asynchronously encoded PNG as `pending` (see DisplayHost.showBundle). */
export function figureOutput(
  figure: Figure,
  height = DEFAULT_HEIGHT,
  options: Pick<FigureHtmlOptions, 'includeLibrary' | 'replaces'> = {},
): FigureOutput {
  const data = figureBundle(figure, height, options);
  if (data['image/png'] !== undefined) return { data };
  let later: Promise<Uint8Array> | undefined;
  try {
    later = figurePngLater(figure, height);
  } catch (e) {
    later = Promise.reject(e);
  }
  if (!later) return { data };
  // The HTML is written when the PNG arrives: from the figure as it is now (live curves keep growing theirs).
  const now = structuredClone(figure);
  const pending = later.then(
    (png) => {
      const b64 = base64(png);
      return { 'text/html': figureHtml(now, height, { ...options, png: b64 }), 'image/png': b64 };
    },
    (e: unknown) => {
      throw new Error(pictureFailed(figure, e));
    },
  );
  return { data, pending };
}

function pictureFailed(figure: Figure, e: unknown): string {
  const why = e instanceof Error ? e.message : String(e);
  return `bn-lab: the static picture of chart "${figureTitle(figure)}" could not be drawn (${why}); only the interactive chart is shown.`;
}

/**
 * figurePng as base64, or undefined (with a warning on stderr) if the picture cannot be drawn: the
 * interactive chart and the plotly JSON still carry the figure, so a cell does not fail over it.
 */
function staticPicture(figure: Figure, height: number): string | undefined {
  try {
    return figurePng(figure, height)?.toString('base64');
  } catch (e) {
    console.error(pictureFailed(figure, e));
    return undefined;
  }
}

let libraryPage: string | null | undefined;

/**
 * Whether the next chart must carry plotly.js: once per browser page. A page reloaded while its
 * kernel runs on (JupyterLab keeps kernels alive) connects anew and gets the library again with its
 * first chart; an executed notebook and its handout carry it exactly once. Without the front-end
 * session (an unpatched tslab) it falls back to once per kernel.
 */
export function chartNeedsLibrary(): boolean {
  const page = frontEndSession() ?? null;
  if (libraryPage !== undefined && libraryPage === page) return false;
  libraryPage = page;
  return true;
}

/**
 * Shows a figure inline as one multi-MIME output (see figureBundle); the first chart of each page
 * also carries plotly.js. Headless, it prints the chart's title so logs show that a chart was made.
 */
export function showFigure(figure: Figure, height?: number): void {
  if (!inNotebook()) {
    console.log(`[chart: ${figureTitle(figure)}]`);
    return;
  }
  const { data, pending } = figureOutput(figure, height, { includeLibrary: chartNeedsLibrary() });
  displayMimeBundle(data, undefined, false, pending);
}

/** A complete standalone HTML page with figures (plotly embedded once), for files written outside notebooks. */
export function standaloneHtml(title: string, figures: Figure[]): string {
  const charts = figures
    .map((f) => figureHtml(f, DEFAULT_HEIGHT, { png: staticPicture(f, DEFAULT_HEIGHT) }))
    .join('\n');
  const safeTitle = title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${safeTitle}</title>${plotlyLoaderHtml()}</head><body>${charts}</body></html>`;
}

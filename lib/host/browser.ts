import * as tf from '@tensorflow/tfjs';
import type * as Danfo from 'danfojs/dist/danfojs-browser/src';
import { imageFigureHtml, showHtml } from '../notebook/display';
import { initBrowserBackend } from './browser-backend';
import { chartPng } from './browser-chart';
import { besideBundle } from './bundle-url';
import { gunzip, imageDataUri, loadCifar10, loadImageTensor, readDatasetFile } from './browser-data';
import { randomId } from './index';
import type { DisplayHost, Host, MimeBundle } from './types';

/** One display message to the kernel worker: Jupyter's display_data / update_display_data content. */
export interface KernelDisplayMessage {
  data: Record<string, string | object>;
  metadata: object;
  transient: { display_id?: string };
  update: boolean;
  /**
   * Entries still being drawn (a chart's `image/png` and the `text/html` with the picture inside):
   * the worker merges them into `data` before it sends the output, keeping the cell's outputs in
   * order; if they fail it sends `data` alone and warns on stderr.
   */
  pending?: Promise<Record<string, string | object>>;
}

/**
 * What the JupyterLite kernel worker sets as `globalThis.__bnLabKernel` before user code runs
 * (the contract in lib/host/README.md; the kernel extension implements the other side).
 */
export interface BnLabKernel {
  /** Queues one output for the notebook (update: replace the output with transient.display_id). */
  display(msg: KernelDisplayMessage): void;
  /** Base URL of the site's data folder; ends with '/'. */
  dataUrl: string;
  /** True after the user pressed stop. */
  interrupted(): boolean;
}

/** The kernel worker's interface, or undefined outside the bn-lab kernel. */
export function kernel(): BnLabKernel | undefined {
  return (globalThis as { __bnLabKernel?: BnLabKernel }).__bnLabKernel;
}

function send(
  data: MimeBundle,
  displayId: string | undefined,
  update: boolean,
  pending?: Promise<MimeBundle>,
): boolean {
  const k = kernel();
  if (!k) return false;
  k.display({
    data,
    metadata: {},
    transient: displayId ? { display_id: displayId } : {},
    update,
    ...(pending ? { pending } : {}),
  });
  return true;
}

const browserDisplay: DisplayHost = {
  inNotebook: () => kernel() != null,
  show: (contentType, data) => void send({ [contentType]: data }, undefined, false),
  showBundle: (data, displayId, update = false, pending) => send(data, displayId, update, pending),
  // One page per kernel worker: the page that started it.
  frontEndSession: () => undefined,
  newLiveOutput() {
    if (!kernel()) return null;
    const id = `bn-lab-${randomId(8)}`;
    let shown = false;
    const show = (data: MimeBundle) => {
      send(data, id, shown);
      shown = true;
    };
    return { text: (s) => show({ 'text/plain': s }), html: (s) => show({ 'text/html': s }) };
  },
};

let plotly: string | undefined;

/** plotly.js from beside the bundle, read synchronously (allowed in workers) because charts are drawn synchronously. */
function plotlyLibrary(): string {
  if (plotly !== undefined) return plotly;
  const url = besideBundle('plotly.js') ?? new URL('plotly.js', dataUrlBase()).href;
  const xhr = new XMLHttpRequest();
  xhr.open('GET', url, false);
  xhr.send();
  if (xhr.status !== 200)
    throw new Error(`Could not load plotly.js from ${url} (HTTP ${xhr.status}); it ships beside bn-lab.js.`);
  return (plotly = xhr.responseText);
}

function dataUrlBase(): string {
  return kernel()?.dataUrl ?? String(globalThis.location);
}

let danfojs: typeof Danfo | undefined;

/** Gives the browser host danfo.js (the bundle's entry imports it from danfojs.js, bound to the same tfjs). */
export function provideDanfo(module: typeof Danfo): void {
  danfojs = module;
}

/**
 * bn-lab in a browser's Web Worker (the JupyterLite kernel): data fetched from the site's data
 * folder with checksums and Cache Storage, display through the kernel worker, images through
 * createImageBitmap and OffscreenCanvas, chart pictures with ECharts on an OffscreenCanvas, and the
 * webgpu, webgl, wasm and cpu backends.
 */
export const browserHost: Host = {
  name: 'browser',
  display: browserDisplay,
  readDatasetFile,
  gunzip,
  loadCifar10,
  loadImageTensor,
  async showImage(file, width, caption) {
    const { url, uri } = await imageDataUri(file);
    if (!kernel()) {
      console.log(`[image: ${url}]`);
      return;
    }
    showHtml(imageFigureHtml(uri, width, file, caption));
  },
  // No svgToPng (a worker has no synchronous SVG rasterizer): charts are drawn on an OffscreenCanvas
  // from the same ECharts option, and the PNG, encoded asynchronously, reaches the chart's output
  // through showBundle's `pending` (the kernel worker holds the cell's later outputs until it lands).
  chartPng,
  plotlyLibrary,
  danfo() {
    if (!danfojs)
      throw new Error(
        'danfo.js is not loaded: import bn-lab from out/browser/bn-lab.js, which loads danfojs.js beside it.',
      );
    return danfojs;
  },
  interrupted: () => kernel()?.interrupted() ?? false,
  initBackend: initBrowserBackend,
  describeBackend: (info) => `tfjs ${tf.version_core}, backend ${info.name}: ${info.summary} (${info.reason})`,
  benchSpeedNote: (info) =>
    `브라우저에서는 학습 속도를 재지 않습니다(\`npm run bench\`는 Node에서만 잽니다). 지금은 ${info.summary}에서 학습합니다.`,
};

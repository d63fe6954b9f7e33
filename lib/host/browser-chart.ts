import { type EChartsCoreOption, init, setPlatformAPI, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { STATIC_CHART_PARTS } from '../plots/echarts-parts';
import type { StaticSize } from '../plots/static';

let ready = false;

/** echarts/core with the parts static charts use and the canvas renderer, measuring text on an OffscreenCanvas (a worker has no document). */
function setUp(): void {
  if (ready) return;
  use([...STATIC_CHART_PARTS, CanvasRenderer]);
  setPlatformAPI({ createCanvas: () => new OffscreenCanvas(1, 1) as unknown as HTMLCanvasElement });
  ready = true;
}

/**
 * The static picture of a chart in the browser: the same ECharts option Node renders to SVG for
 * sharp, drawn by ECharts' canvas renderer on an OffscreenCanvas (zrender draws straight into a
 * root without a nodeName), then encoded as PNG. The scene is drawn synchronously; only the
 * encoding waits.
 */
export function chartPng(option: object, size: StaticSize): Promise<Uint8Array> {
  setUp();
  const canvas = new OffscreenCanvas(size.width, size.height);
  const chart = init(canvas as unknown as HTMLElement, null, {
    renderer: 'canvas',
    width: size.width,
    height: size.height,
    devicePixelRatio: 1,
  });
  let blob: Promise<Blob>;
  try {
    chart.setOption(option as EChartsCoreOption);
    // zrender otherwise paints on the next animation frame.
    chart.getZr().flush();
    // convertToBlob copies the bitmap now, so the chart can go at once.
    blob = canvas.convertToBlob({ type: 'image/png' });
  } finally {
    chart.dispose();
  }
  return blob.then(async (b) => new Uint8Array(await b.arrayBuffer()));
}

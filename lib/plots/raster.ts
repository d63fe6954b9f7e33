import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { RasterRequest } from './raster-worker';

/** librsvg's density for `scale` times the SVG's own pixel size (it reads SVG pixels at 72 dpi). */
const densityFor = (scale: number) => 72 * scale;

let worker: Worker | undefined;
/** Why static pictures are off for the rest of this process, once the worker stopped answering. */
let broken: string | undefined;

/**
 * An SVG rasterized to PNG with sharp (librsvg), synchronously; `scale` 2 gives a sharper, 4x
 * larger image. Notebook display calls (plotHistory, ...) are synchronous so that their output
 * lands in the cell that made it, while sharp only has an async API; one worker thread loads and runs
 * sharp and this thread sleeps on a shared flag until the PNG is back (about 40 ms per chart).
 * The worker is unref'd so it never keeps a script alive. If it ever fails to answer within
 * `timeoutMs`, later calls fail at once rather than wait again.
 */
export function svgToPngSync(svg: string, scale = 1, timeoutMs = 20_000): Buffer {
  if (broken) throw new Error(broken);
  if (!worker) {
    worker = new Worker(join(__dirname, 'raster-worker.js'));
    worker.unref();
    worker.on('error', () => (worker = undefined));
    worker.on('exit', () => (worker = undefined));
  }
  const done = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const request: RasterRequest = { svg, density: densityFor(scale), reply: port2, done };
  worker.postMessage(request, [port2]);
  const waited = Atomics.wait(new Int32Array(done), 0, 0, timeoutMs);
  const message = receiveMessageOnPort(port1)?.message as { png?: Uint8Array; error?: string } | undefined;
  port1.close();
  if (waited === 'timed-out' || !message) {
    broken = `The chart rasterizer (a worker thread running sharp) did not answer within ${timeoutMs / 1000} s`;
    void worker?.terminate();
    worker = undefined;
    throw new Error(broken);
  }
  if (message.error !== undefined || !message.png) {
    throw new Error(`Could not rasterize a chart: ${message.error ?? 'no image returned'}`);
  }
  return Buffer.from(message.png);
}

/**
 * Worker thread behind svgToPngSync: sharp is asynchronous, and chart display calls in a notebook
 * must finish before the cell does, so the kernel thread waits on this worker instead.
 */
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type sharpFunction from 'sharp';

/** One request: the SVG, where to reply, and the flag the waiting thread sleeps on. */
export interface RasterRequest {
  svg: string;
  density: number;
  reply: MessagePort;
  done: SharedArrayBuffer;
}

type Sharp = typeof sharpFunction;
let sharpModule: Sharp | undefined;

// Loaded on the first request and inside the try, so a broken sharp install becomes an error
// reply instead of a dead worker that the waiting thread would wait on until its timeout.
parentPort?.on('message', async ({ svg, density, reply, done }: RasterRequest) => {
  try {
    if (!sharpModule) {
      sharpModule = require('sharp') as Sharp;
      sharpModule.cache(false);
    }
    const sharp = sharpModule;
    const png = await sharp(Buffer.from(svg), { density }).png({ compressionLevel: 9, palette: false }).toBuffer();
    reply.postMessage({ png });
  } catch (e) {
    reply.postMessage({ error: (e as Error).message });
  } finally {
    reply.close();
    const flag = new Int32Array(done);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
});

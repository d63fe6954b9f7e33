import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { describeBackend, initBackend } from '../backend/select';
import { benchSpeedNote } from '../backend/speed';
import { loadCifar10 } from '../data/cifar10';
import { readDatasetFile } from '../data/files';
import { loadImageTensor } from '../data/image';
import { showImage } from '../notebook/image';
import { svgToPngSync } from '../plots/raster';
import { nodeDisplay } from './node-display';
import type { Host } from './types';

const gunzipAsync = promisify(gunzip);

let plotly: string | undefined;

/**
 * bn-lab in Node: files through lib/data/files.ts's lookup (option, environment variable, data/,
 * download cache, download), tslab for display, sharp for images, native and wasm backends.
 */
export const nodeHost: Host = {
  name: 'node',
  display: nodeDisplay,
  readDatasetFile,
  async gunzip(bytes, name) {
    try {
      return await gunzipAsync(bytes);
    } catch (err) {
      throw new Error(
        `${name}: cannot gunzip it (${(err as Error).message}); the file is truncated or not gzip data.`,
        { cause: err },
      );
    }
  },
  loadCifar10,
  loadImageTensor,
  showImage,
  svgToPng: (svg) => svgToPngSync(svg),
  plotlyLibrary() {
    return (plotly ??= readFileSync(require.resolve('plotly.js-basic-dist-min'), 'utf8'));
  },
  danfo: () => require('danfojs'),
  interrupted: () => false,
  initBackend,
  describeBackend,
  benchSpeedNote: (info, family) => benchSpeedNote(info, family),
};

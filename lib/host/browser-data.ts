import * as tf from '@tensorflow/tfjs';
import {
  Cifar10SplitBuilder,
  CIFAR10_CLASS_NAMES,
  CIFAR10_RECORD_BYTES,
  parseCifar10ClassNames,
} from '../data/cifar10-records';
import type { Cifar10Data, Cifar10Options } from '../data/cifar10';
import type { DatasetName, SourceOptions } from '../data/files';
import type { ImageTensorOptions } from '../data/image';
import { MANIFEST, parseManifest } from '../data/manifest';
import type { DatasetBytes } from './types';

/** The Cache Storage bucket for data files; a file is served from it only after its checksum passed. */
export const DATA_CACHE = 'bn-lab-data-v1';

/** The site's data folder: the kernel's dataUrl (it ends with '/'). */
export function dataUrl(): string {
  const url = (globalThis as { __bnLabKernel?: { dataUrl?: string } }).__bnLabKernel?.dataUrl;
  if (!url) {
    throw new Error(
      'bn-lab in a browser reads data from globalThis.__bnLabKernel.dataUrl, which is not set: run it in the bn-lab JupyterLite kernel (see lib/host/README.md).',
    );
  }
  return url.endsWith('/') ? url : `${url}/`;
}

/** The folder a dataset is read from: `dir` (relative to the data folder) or `<dataUrl>/<dataset>/`. */
function folderUrl(dataset: DatasetName, options: SourceOptions): string {
  const dir = options.dir ?? dataset;
  return new URL(dir.endsWith('/') ? dir : `${dir}/`, dataUrl()).href;
}

async function fetchOk(url: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new Error(`Could not fetch ${url}: ${(err as Error).message}. Is the site's data folder served?`, {
      cause: err,
    });
  }
  if (!res.ok) throw new Error(`Could not fetch ${url}: HTTP ${res.status} ${res.statusText}.`);
  return res;
}

const manifests = new Map<string, Promise<Map<string, string>>>();

/** A folder's SHA256SUMS, fetched afresh once per kernel (it decides whether cached files are still right). */
function manifest(folder: string): Promise<Map<string, string>> {
  let pending = manifests.get(folder);
  if (!pending) {
    pending = (async () => {
      const url = folder + MANIFEST;
      const text = await (await fetchOk(url, { cache: 'no-cache' })).text();
      try {
        return parseManifest(text);
      } catch (err) {
        throw new Error(`${url}: ${(err as Error).message}`, { cause: err });
      }
    })();
    manifests.set(folder, pending);
    pending.catch(() => manifests.delete(folder));
  }
  return pending;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function openCache(): Promise<Cache | null> {
  // Cache Storage exists only in secure contexts (https, localhost); elsewhere every load fetches.
  try {
    return typeof caches === 'undefined' ? null : await caches.open(DATA_CACHE);
  } catch {
    return null;
  }
}

/**
 * The bytes at `folder + file`, checked against the folder's SHA256SUMS: from Cache Storage when
 * the cached copy still matches, else from the network (then cached). A file the manifest does not
 * list, or whose bytes differ from it, is an error that names the URL and the fix.
 */
export async function fetchVerified(folder: string, file: string, title: string): Promise<DatasetBytes> {
  const url = folder + file;
  const expected = (await manifest(folder)).get(file);
  if (!expected) {
    throw new Error(
      `${title}: ${file} is not listed in ${folder}${MANIFEST}, so bn-lab cannot verify it. ` +
        `Add its line (sha256sum ${file} >> ${MANIFEST}) in the site's data folder and rebuild the site.`,
    );
  }
  const cache = await openCache();
  const cached = await cache?.match(url);
  if (cached) {
    const bytes = new Uint8Array(await cached.arrayBuffer());
    if ((await sha256Hex(bytes)) === expected) return { bytes, path: url };
    await cache!.delete(url);
  }
  const res = await fetchOk(url, { cache: 'no-cache' });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const actual = await sha256Hex(bytes);
  if (actual !== expected) {
    throw new Error(
      `${url} failed its checksum: sha256 ${actual}, but ${folder}${MANIFEST} says ${expected}. ` +
        `The site's copy is corrupt or was changed without updating ${MANIFEST}; nothing was cached. Rebuild the site's data folder.`,
    );
  }
  await cache
    ?.put(url, new Response(bytes as BlobPart, { headers: { 'content-type': 'application/octet-stream' } }))
    .catch(() => undefined);
  return { bytes, path: url };
}

const TITLES: Record<DatasetName, string> = { mnist: 'MNIST', cifar10: 'CIFAR-10', iris: 'iris' };

/** A dataset file from the site's data folder (see fetchVerified). */
export function readDatasetFile(dataset: DatasetName, file: string, options: SourceOptions): Promise<DatasetBytes> {
  return fetchVerified(folderUrl(dataset, options), file, TITLES[dataset]);
}

/** Gunzipped bytes, with the browser's own DecompressionStream. */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new Error(`${name}: cannot gunzip it (${(err as Error).message}); the file is truncated or not gzip data.`, {
      cause: err,
    });
  }
}

const OFFICIAL_TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);

/** Record files listed in the folder's manifest, in reading order (the manifest is the folder's listing). */
function cifarLayout(names: string[]): { train: string[]; test: string[]; meta?: string } {
  const meta = names.includes('batches.meta.txt') ? 'batches.meta.txt' : undefined;
  const official = OFFICIAL_TRAIN.filter((f) => names.includes(f));
  if (official.length > 0 || names.includes('test_batch.bin')) {
    return { train: official, test: names.includes('test_batch.bin') ? ['test_batch.bin'] : [], meta };
  }
  const pick = (prefix: string) => names.filter((f) => f.startsWith(prefix) && f.endsWith('.bin')).sort();
  return { train: pick('train'), test: pick('test'), meta };
}

/**
 * CIFAR-10 from `<dataUrl>/cifar10/`: the official batches or record files train_*.bin /
 * test_*.bin, as listed in its SHA256SUMS, decoded by the same code as in Node. Files are fetched
 * only until the requested counts are filled.
 */
export async function loadCifar10(options: Cifar10Options = {}): Promise<Cifar10Data> {
  const { trainCount = 50000, testCount = 10000, scale = true } = options;
  for (const [name, value] of [
    ['trainCount', trainCount],
    ['testCount', testCount],
  ] as const) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`${name} must be a non-negative integer (got ${value}).`);
  }
  const folder = folderUrl('cifar10', options);
  const layout = cifarLayout([...(await manifest(folder)).keys()]);
  if (layout.train.length === 0 && layout.test.length === 0) {
    throw new Error(
      `CIFAR-10: ${folder}${MANIFEST} lists no record files (data_batch_*.bin, test_batch.bin, or train_*.bin / test_*.bin).`,
    );
  }
  const classNames = layout.meta
    ? parseCifar10ClassNames(
        new TextDecoder().decode((await fetchVerified(folder, layout.meta, 'CIFAR-10')).bytes),
        folder + layout.meta,
      )
    : [...CIFAR10_CLASS_NAMES];
  const readSplit = async (split: 'train' | 'test', count: number) => {
    const builder = new Cifar10SplitBuilder(count, scale);
    let have = 0;
    for (const file of layout[split]) {
      if (builder.filled >= count) break;
      const { bytes, path } = await fetchVerified(folder, file, 'CIFAR-10');
      if (bytes.length % CIFAR10_RECORD_BYTES !== 0) {
        throw new Error(
          `${path} is not a CIFAR-10 record file: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records.`,
        );
      }
      have += bytes.length / CIFAR10_RECORD_BYTES;
      builder.add(bytes, path);
    }
    if (builder.filled < count) {
      throw new Error(
        `CIFAR-10: asked for ${count} ${split === 'train' ? 'training' : 'test'} images, but ${folder} holds only ${have} ` +
          `(${layout[split].join(', ') || 'no files'}). The full dataset has 50,000 training and 10,000 test images; ask for at most ${have} here.`,
      );
    }
    return builder.tensors();
  };
  const train = await readSplit('train', trainCount);
  try {
    return { train, test: await readSplit('test', testCount), classNames, dir: folder };
  } catch (err) {
    tf.dispose([train.images, train.labels]);
    throw err;
  }
}

/**
 * The URL of an image a notebook names by path. Notebooks say '../data/2.png' (Node's layout);
 * in the site the data folder is dataUrl, so leading '../' and 'data/' are dropped and the rest is
 * looked up there. Absolute URLs (http:, blob:, data:) are used as they are.
 */
export function imageUrl(file: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(file)) return file;
  const rel = file.replace(/^(\.\.?\/)+/, '').replace(/^data\//, '');
  return new URL(rel, dataUrl()).href;
}

async function fetchImage(file: string): Promise<{ url: string; blob: Blob }> {
  const url = imageUrl(file);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new Error(`Image not found: ${url} (from "${file}"): ${(err as Error).message}.`, { cause: err });
  }
  if (!res.ok)
    throw new Error(
      `Image not found: ${url} (from "${file}", HTTP ${res.status}). Put the file in the site's data folder.`,
    );
  return { url, blob: await res.blob() };
}

async function decode(file: string): Promise<{ url: string; bitmap: ImageBitmap; blob: Blob }> {
  const { url, blob } = await fetchImage(file);
  try {
    return { url, blob, bitmap: await createImageBitmap(blob) };
  } catch (err) {
    throw new Error(
      `Cannot read image ${url}: the browser could not decode it (${(err as Error).message}). ` +
        'It is corrupt or not an image format browsers read (PNG, JPEG, WebP, GIF): export it again as PNG or JPEG.',
      { cause: err },
    );
  }
}

/**
 * loadImageTensor in a browser: decoded with createImageBitmap and resized by drawing on an
 * OffscreenCanvas over black (so transparency becomes MNIST's background). The browser's resampling
 * differs slightly from sharp's, so resized pixels can differ a little from Node's.
 */
export async function loadImageTensor(file: string, options: ImageTensorOptions): Promise<tf.Tensor4D> {
  const { height, width, channels = 1, scale = true, fit = 'fill' } = options;
  for (const [name, value] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`loadImageTensor: ${name} must be a positive integer (got ${value}).`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`loadImageTensor: channels must be 1 or 3 (got ${channels}).`);
  const { bitmap } = await decode(file);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, height);
  let w = width;
  let h = height;
  if (fit !== 'fill') {
    const k = (fit === 'contain' ? Math.min : Math.max)(width / bitmap.width, height / bitmap.height);
    w = bitmap.width * k;
    h = bitmap.height * k;
  }
  ctx.drawImage(bitmap, (width - w) / 2, (height - h) / 2, w, h);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const k = scale ? 1 / 255 : 1;
  const values = new Float32Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = [rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]];
    // Rec. 709 luma, as libvips (sharp) weighs channels for 'b-w'.
    if (channels === 1) values[p] = Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b) * k;
    else for (let c = 0; c < 3; c++) values[3 * p + c] = [r, g, b][c] * k;
  }
  return tf.tensor4d(values, [1, height, width, channels], 'float32');
}

/** The image file's bytes as base64 and its MIME type, for an <img> in the notebook. */
export async function imageDataUri(file: string): Promise<{ url: string; uri: string }> {
  const { url, blob } = await decode(file);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { url, uri: `data:${blob.type || 'image/png'};base64,${btoa(binary)}` };
}

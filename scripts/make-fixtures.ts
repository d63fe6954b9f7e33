/**
 * Regenerates the small real-data files committed in data/: the test fixtures (the first records of
 * MNIST and CIFAR-10, cut from the verified official files), data/2.png (a real MNIST test digit)
 * and data/iris.csv. Reads the datasets the way the notebooks do, so point it at a local copy with
 * BN_LAB_MNIST_DIR / BN_LAB_CIFAR10_DIR / BN_LAB_IRIS_DIR, or let it download them.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/make-fixtures.js
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { fileDigests, formatManifest, MANIFEST, readVerified } from '../lib/data/checksums';
import { CIFAR10_RECORD_BYTES, locateCifar10 } from '../lib/data/cifar10';
import { readDatasetFile } from '../lib/data/files';
import { projectRoot } from '../lib/project';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, MNIST_FILES, parseIdx } from '../lib/data/mnist';

const MNIST_COUNTS = { train: 200, test: 100 };
const CIFAR_COUNTS = { train: 100, test: 50 };

async function writeManifest(dir: string, names: string[]): Promise<void> {
  const entries: [string, string][] = [];
  for (const name of [...names].sort()) entries.push([name, (await fileDigests(path.join(dir, name))).sha256]);
  await writeFile(path.join(dir, MANIFEST), formatManifest(entries));
}

/** The first `count` items of an IDX file, with the header's first dimension rewritten to match. */
function cutIdx(
  gz: Buffer,
  magic: number,
  count: number,
  name: string,
): { gz: Buffer; idx: ReturnType<typeof parseIdx> } {
  const idx = parseIdx(gunzipSync(gz), magic, name);
  const [, ...rest] = idx.dims;
  const itemBytes = rest.reduce((a, b) => a * b, 1);
  const header = Buffer.alloc(4 + 4 * idx.dims.length);
  header.writeUInt32BE(magic, 0);
  [count, ...rest].forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const raw = Buffer.concat([header, idx.data.subarray(0, count * itemBytes)]);
  // zlib writes mtime 0 and no file name, so the same input always gives the same bytes.
  return { gz: gzipSync(raw, { level: 9 }), idx };
}

async function mnistFixtures(dataDir: string): Promise<void> {
  const out = path.join(dataDir, 'fixtures', 'mnist');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  let testImages: ReturnType<typeof parseIdx> | null = null;
  let testLabels: ReturnType<typeof parseIdx> | null = null;
  for (const split of ['train', 'test'] as const) {
    for (const kind of ['images', 'labels'] as const) {
      const name = MNIST_FILES[split][kind];
      const { bytes, path: source } = await readDatasetFile('mnist', name);
      const cut = cutIdx(bytes, kind === 'images' ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC, MNIST_COUNTS[split], source);
      await writeFile(path.join(out, name), cut.gz);
      written.push(name);
      if (split === 'test' && kind === 'images') testImages = cut.idx;
      if (split === 'test' && kind === 'labels') testLabels = cut.idx;
    }
  }
  await writeManifest(out, written);
  console.log(`wrote ${out} (${MNIST_COUNTS.train} train / ${MNIST_COUNTS.test} test images)`);

  // data/2.png: the first test digit labelled 2, padded to LeNet's 32×32 like the training images.
  const index = testLabels!.data.indexOf(2);
  const [, rows, cols] = testImages!.dims;
  const pad = 2;
  const size = rows + 2 * pad;
  const pixels = Buffer.alloc(size * size);
  for (let r = 0; r < rows; r++) {
    pixels.set(
      testImages!.data.subarray((index * rows + r) * cols, (index * rows + r + 1) * cols),
      (r + pad) * size + pad,
    );
  }
  const png = path.join(dataDir, '2.png');
  await sharp(pixels, { raw: { width: size, height: size, channels: 1 } })
    .png({ compressionLevel: 9 })
    .toFile(png);
  console.log(`wrote ${png} (MNIST test image #${index}, label 2)`);
}

async function cifarFixtures(dataDir: string): Promise<void> {
  const found = await locateCifar10();
  const out = path.join(dataDir, 'fixtures', 'cifar10');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  for (const split of ['train', 'test'] as const) {
    const count = CIFAR_COUNTS[split];
    const first = (split === 'train' ? found.layout.train : found.layout.test)[0];
    const bytes = await readVerified(first);
    if (bytes.length < count * CIFAR10_RECORD_BYTES) throw new Error(`${first} holds fewer than ${count} records.`);
    const name = `${split}_0000-${String(count - 1).padStart(4, '0')}.bin`;
    await writeFile(path.join(out, name), bytes.subarray(0, count * CIFAR10_RECORD_BYTES));
    written.push(name);
  }
  if (found.layout.meta) {
    await writeFile(path.join(out, 'batches.meta.txt'), await readVerified(found.layout.meta));
    written.push('batches.meta.txt');
  }
  await writeManifest(out, written);
  console.log(`wrote ${out} (${CIFAR_COUNTS.train} train / ${CIFAR_COUNTS.test} test records)`);
}

async function iris(dataDir: string): Promise<void> {
  const { bytes, path: source } = await readDatasetFile('iris', 'iris.csv');
  const target = path.join(dataDir, 'iris.csv');
  if (path.resolve(source) !== target) await writeFile(target, bytes);
  console.log(`wrote ${target}`);
}

async function main(): Promise<void> {
  const root = projectRoot();
  if (!root) throw new Error('make-fixtures must run inside the bn-lab checkout.');
  const dataDir = path.join(root, 'data');
  await mnistFixtures(dataDir);
  await cifarFixtures(dataDir);
  await iris(dataDir);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as tar from 'tar';
import { fileDigests, formatManifest, MANIFEST, readVerified, UnknownChecksumError, verifyFile } from './checksums';
import {
  cacheRoot, DATASETS, downloadUrl, locateDatasetFile, namedSource, officialUrl, ownSources, SourceDir, SourceOptions,
} from './files';
import type { LabeledImages } from './mnist';
import { CIFAR10_CLASS_NAMES as CIFAR10_CLASS_NAMES_LIST, CIFAR10_RECORD_BYTES, Cifar10SplitBuilder, parseCifar10ClassNames } from './cifar10-records';

export { CIFAR10_CLASS_NAMES, CIFAR10_RECORD_BYTES, standardizePerChannel } from './cifar10-records';
export type { Standardized } from './cifar10-records';

/** The official archive's name, and the folder it unpacks to. */
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
const BATCHES_DIR = 'cifar-10-batches-bin';
/** The archive's public URL, which messages cite as the dataset's origin even when a mirror is configured. */
const OFFICIAL_URL = officialUrl('cifar10', CIFAR10_ARCHIVE);
const OFFICIAL_TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const OFFICIAL_TEST = 'test_batch.bin';
const META = 'batches.meta.txt';

/** Record files found in a directory: the official batches, or files named train_*.bin / test_*.bin. */
export interface Cifar10Layout {
  dir: string;
  kind: 'official' | 'records';
  /** Training record files in reading order. */
  train: string[];
  /** Test record files in reading order. */
  test: string[];
  /** batches.meta.txt, if present. */
  meta?: string;
}

async function listDir(dir: string): Promise<string[] | null> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
}

/**
 * Finds CIFAR-10 record files in `dir` (or in its cifar-10-batches-bin/), or null if there are none.
 * Official batches are read in Keras's order (data_batch_1..5); other record files by name.
 */
export async function findCifar10Layout(dir: string): Promise<Cifar10Layout | null> {
  const entries = await listDir(dir);
  if (!entries) return null;
  if (entries.includes(BATCHES_DIR)) {
    const inner = await findCifar10Layout(path.join(dir, BATCHES_DIR));
    if (inner) return inner;
  }
  const meta = entries.includes(META) ? path.join(dir, META) : undefined;
  const officialTrain = OFFICIAL_TRAIN.filter((f) => entries.includes(f));
  if (officialTrain.length > 0 || entries.includes(OFFICIAL_TEST)) {
    return {
      dir,
      kind: 'official',
      train: officialTrain.map((f) => path.join(dir, f)),
      test: entries.includes(OFFICIAL_TEST) ? [path.join(dir, OFFICIAL_TEST)] : [],
      meta,
    };
  }
  const pick = (prefix: string) => entries.filter((f) => f.startsWith(prefix) && f.endsWith('.bin')).sort().map((f) => path.join(dir, f));
  const train = pick('train');
  const test = pick('test');
  if (train.length === 0 && test.length === 0) return null;
  return { dir, kind: 'records', train, test, meta };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Unpacks the official archive's cifar-10-batches-bin/ into `destDir` and writes a SHA256SUMS for
 * the unpacked files, so later runs can verify them without the archive. Verifies the archive's
 * md5 first. Unpacks into a temporary folder and renames it into place, so an interrupted run
 * leaves no half-extracted folder behind.
 */
export async function extractCifar10Archive(archive: string, destDir: string, advice = ''): Promise<string> {
  await verifyFile(archive, DATASETS.cifar10.files[CIFAR10_ARCHIVE], advice);
  const tmp = await mkdtemp(path.join(destDir, '.extract-'));
  try {
    await tar.x({
      file: archive,
      cwd: tmp,
      strict: true,
      filter: (p) => p.replace(/^\.\//, '').startsWith(`${BATCHES_DIR}/`),
    });
    const out = path.join(tmp, BATCHES_DIR);
    // The md5 already vouches for the official archive; this catches an archive trusted through a
    // SHA256SUMS that does not hold the batches at all.
    for (const name of [...OFFICIAL_TRAIN, OFFICIAL_TEST]) {
      const file = path.join(out, name);
      const size = (await isFile(file)) ? (await stat(file)).size : -1;
      if (size <= 0 || size % CIFAR10_RECORD_BYTES !== 0) {
        throw new Error(
          `${archive} does not hold the CIFAR-10 binary batches: ${BATCHES_DIR}/${name} is ` +
            (size < 0 ? 'missing' : `${size} bytes, not a whole number of ${CIFAR10_RECORD_BYTES}-byte records`) + '.',
        );
      }
    }
    const names = (await readdir(out)).filter((f) => f !== MANIFEST).sort();
    const entries: [string, string][] = [];
    for (const name of names) {
      if (await isFile(path.join(out, name))) entries.push([name, (await fileDigests(path.join(out, name))).sha256]);
    }
    await writeFile(path.join(out, MANIFEST), formatManifest(entries));
    const final = path.join(destDir, BATCHES_DIR);
    // Only reached when the folder is missing or cannot be verified; the archive's copy replaces it.
    await rm(final, { recursive: true, force: true });
    await rename(out, final);
    return final;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Where loadCifar10 reads from: the record files and where they came from. */
export interface Cifar10Source {
  layout: Cifar10Layout;
  source: SourceDir;
}

const EXPECTED_LAYOUTS =
  `${BATCHES_DIR}/ (the official batches with a ${MANIFEST}), data_batch_1..5.bin and test_batch.bin, ` +
  `record files train_*.bin / test_*.bin with a ${MANIFEST}, or the official ${CIFAR10_ARCHIVE}`;

/**
 * Finds CIFAR-10 on disk (the `dir` option, else BN_LAB_CIFAR10_DIR, else the download cache),
 * unpacking the official archive when only the archive is there, and downloading the archive into
 * the cache when nothing is.
 */
export async function locateCifar10(options: SourceOptions = {}): Promise<Cifar10Source> {
  const named = namedSource('cifar10', options);
  const source = named ?? ownSources('cifar10', options).at(-1)!;
  const archive = path.join(source.dir, CIFAR10_ARCHIVE);
  const archiveAdvice = `Delete ${archive} and run again to download it afresh, or replace it with the official ${OFFICIAL_URL}.`;
  let layout = await findCifar10Layout(source.dir);
  // Batches without a manifest cannot be verified; if the archive sits beside them, re-derive them from it.
  const unverifiable = layout?.kind === 'official' && !(await isFile(path.join(layout.dir, MANIFEST)));
  if ((!layout || unverifiable) && (await isFile(archive))) {
    await extractCifar10Archive(archive, source.dir, archiveAdvice);
    layout = await findCifar10Layout(source.dir);
  }
  if (!layout && !named) {
    const located = await locateDatasetFile('cifar10', CIFAR10_ARCHIVE, options);
    await extractCifar10Archive(located.path, source.dir, archiveAdvice);
    layout = await findCifar10Layout(source.dir);
  }
  if (!layout) {
    throw new Error(
      `CIFAR-10: no CIFAR-10 files in ${source.dir} (from ${source.label}). Expected ${EXPECTED_LAYOUTS}. ` +
        `The official archive is ${OFFICIAL_URL}.`,
    );
  }
  return { layout, source };
}

/** What loadCifar10 returns. */
export interface Cifar10Data {
  train: LabeledImages;
  test: LabeledImages;
  /** Class names in label order, from batches.meta.txt when present. */
  classNames: string[];
  /** The folder the records were read from. */
  dir: string;
}

/** Options for loadCifar10. */
export interface Cifar10Options extends SourceOptions {
  /** The first N training images (across data_batch_1..5 in order, like Keras's x_train[:N]); default 50,000. */
  trainCount?: number;
  /** The first N test images; default 10,000. */
  testCount?: number;
  /** Divide by 255 so pixels are 0..1; default true. Pass false to standardize the raw values instead. */
  scale?: boolean;
}

function fileAdvice(found: Cifar10Source, options: SourceOptions): string {
  const url = downloadUrl('cifar10', CIFAR10_ARCHIVE, options);
  if (found.source.origin === 'cache') {
    return `Delete ${found.layout.dir} and run again; bn-lab unpacks it again from the verified archive (or downloads ${url}).`;
  }
  return (
    `The folder came from ${found.source.label}. Replace the file with a fresh copy (the official data is ${OFFICIAL_URL}, ` +
    `whose md5 bn-lab checks), or put ${CIFAR10_ARCHIVE} into ${found.source.dir} and bn-lab unpacks and records checksums itself.`
  );
}

function tooManyMessage(split: 'train' | 'test', count: number, have: number, found: Cifar10Source, options: SourceOptions): string {
  const what = split === 'train' ? 'training' : 'test';
  const files = (split === 'train' ? found.layout.train : found.layout.test).map((f) => path.basename(f)).join(', ') || 'no files';
  let how: string;
  switch (found.source.origin) {
    case 'env':
      how =
        `${DATASETS.cifar10.envVar} points at ${found.source.dir}: unset it to let bn-lab download and unpack the archive into ` +
        `${path.join(cacheRoot(options), 'cifar10')}, or point it at a folder holding ${CIFAR10_ARCHIVE} or its ${BATCHES_DIR}/.`;
      break;
    case 'option':
      how = `Pass a \`dir\` holding ${CIFAR10_ARCHIVE} or its ${BATCHES_DIR}/, or drop \`dir\` to let bn-lab download it.`;
      break;
    default:
      how = `Ask for at most ${have}.`;
  }
  return (
    `CIFAR-10: asked for ${count} ${what} images, but ${found.layout.dir} holds only ${have} (${files}). ` +
    `The full dataset has 50,000 training and 10,000 test images; it comes from the official archive ${OFFICIAL_URL} ` +
    `(md5 ${DATASETS.cifar10.files[CIFAR10_ARCHIVE].md5}). ${how}`
  );
}

async function readSplit(split: 'train' | 'test', count: number, scale: boolean, found: Cifar10Source, options: SourceOptions): Promise<LabeledImages> {
  const files = split === 'train' ? found.layout.train : found.layout.test;
  const sizes: number[] = [];
  for (const file of files) {
    const size = (await stat(file)).size;
    if (size % CIFAR10_RECORD_BYTES !== 0) {
      throw new Error(
        `${file} is truncated or not a CIFAR-10 binary file: ${size} bytes is not a whole number of ` +
          `${CIFAR10_RECORD_BYTES}-byte records. ${fileAdvice(found, options)}`,
      );
    }
    sizes.push(size / CIFAR10_RECORD_BYTES);
  }
  const have = sizes.reduce((a, b) => a + b, 0);
  if (count > have) throw new Error(tooManyMessage(split, count, have, found, options));
  const builder = new Cifar10SplitBuilder(count, scale);
  for (let f = 0; f < files.length && builder.filled < count; f++) {
    builder.add(await readVerified(files[f], undefined, fileAdvice(found, options)), files[f]);
  }
  return builder.tensors();
}

async function readClassNames(found: Cifar10Source, options: SourceOptions): Promise<string[]> {
  if (!found.layout.meta) return [...CIFAR10_CLASS_NAMES_LIST];
  const bytes = await readVerified(found.layout.meta, undefined, fileAdvice(found, options));
  return parseCifar10ClassNames(new TextDecoder().decode(bytes), found.layout.meta);
}

/**
 * Loads CIFAR-10 as NHWC float tensors [n, 32, 32, 3] with float32 class ids, taking the first N
 * records of each split. Reads the official batches (downloading, md5-checking and unpacking the
 * official archive into the cache when needed) or folders of record files with a SHA256SUMS.
 * Asking for more images than the files hold is an error that says how many exist and where the
 * full dataset comes from.
 */
export async function loadCifar10(options: Cifar10Options = {}): Promise<Cifar10Data> {
  const { trainCount = 50000, testCount = 10000, scale = true } = options;
  for (const [name, value] of [['trainCount', trainCount], ['testCount', testCount]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer (got ${value}).`);
  }
  const found = await locateCifar10(options);
  if (found.layout.kind === 'official' && !(await isFile(path.join(found.layout.dir, MANIFEST)))) {
    // Say up front what would otherwise surface as a bare "no known checksum" on the first batch.
    throw new UnknownChecksumError(
      found.layout.train[0] ?? found.layout.test[0],
      `Or put the official ${CIFAR10_ARCHIVE} into ${found.source.dir}: bn-lab checks its md5, unpacks it and records the checksums itself.`,
    );
  }
  const classNames = await readClassNames(found, options);
  const train = await readSplit('train', trainCount, scale, found, options);
  try {
    const test = await readSplit('test', testCount, scale, found, options);
    return { train, test, classNames, dir: found.layout.dir };
  } catch (err) {
    tf.dispose([train.images, train.labels]);
    throw err;
  }
}

import { stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Checksums, MANIFEST, readVerified, verifyFile } from './checksums';
import { downloadFile, DownloadProgress } from './download';
import { projectRoot } from '../project';

/** The datasets bn-lab knows how to find, verify and download. */
export type DatasetName = 'mnist' | 'cifar10' | 'iris';

/** An official file of a dataset: its published digests and, where fixed, its size. */
export interface OfficialFile extends Checksums {
  bytes?: number;
}

/** What bn-lab knows about a public dataset: where users point it, where it comes from. */
export interface DatasetInfo {
  name: DatasetName;
  /** Shown in messages. */
  title: string;
  /** Environment variable naming a directory that holds the dataset's files. */
  envVar: string;
  /** Public URL "directory"; a file's URL is this plus its name. */
  baseUrl: string;
  /** Official files and their published checksums. */
  files: Record<string, OfficialFile>;
  /**
   * A copy committed in the project's data/ folder (iris is small enough to ship); looked up
   * before the download cache.
   */
  shipped?: string[];
}

/**
 * The official files and checksums. MNIST's md5s are the ones published with the files, CIFAR-10's
 * is the archive's published md5, iris's md5 is scikit-learn's file; sha256s were computed from
 * byte-identical copies.
 */
export const DATASETS: Readonly<Record<DatasetName, DatasetInfo>> = {
  mnist: {
    name: 'mnist',
    title: 'MNIST',
    envVar: 'BN_LAB_MNIST_DIR',
    baseUrl: 'https://storage.googleapis.com/cvdf-datasets/mnist/',
    files: {
      'train-images-idx3-ubyte.gz': {
        bytes: 9912422,
        md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
        sha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
      },
      'train-labels-idx1-ubyte.gz': {
        bytes: 28881,
        md5: 'd53e105ee54ea40749a09fcbcd1e9432',
        sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
      },
      't10k-images-idx3-ubyte.gz': {
        bytes: 1648877,
        md5: '9fb629c4189551a2d022fa330f9573f3',
        sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
      },
      't10k-labels-idx1-ubyte.gz': {
        bytes: 4542,
        md5: 'ec29112dd5afa0611ce80d1b7f02629c',
        sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
      },
    },
  },
  cifar10: {
    name: 'cifar10',
    title: 'CIFAR-10',
    envVar: 'BN_LAB_CIFAR10_DIR',
    baseUrl: 'https://www.cs.toronto.edu/~kriz/',
    files: {
      'cifar-10-binary.tar.gz': { bytes: 170052171, md5: 'c32a1d4ab5d03f1284b67883e8d87530' },
    },
  },
  iris: {
    name: 'iris',
    title: 'iris',
    envVar: 'BN_LAB_IRIS_DIR',
    baseUrl: 'https://raw.githubusercontent.com/scikit-learn/scikit-learn/main/sklearn/datasets/data/',
    files: {
      'iris.csv': {
        bytes: 2734,
        md5: 'd69a16ea6136ccb02a7c37c66375ebba',
        sha256: 'f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449',
      },
    },
    shipped: ['.'],
  },
};

/** Environment variable for a mirror root laid out as `<base>/<dataset>/<file>` (used instead of the public URLs). */
export const DOWNLOAD_BASE_ENV = 'BN_LAB_DOWNLOAD_BASE';
/** Environment variable that moves the download cache (default `<project>/data/cache`). */
export const CACHE_DIR_ENV = 'BN_LAB_CACHE_DIR';

/** Where a loader may look for a dataset and how it may download it; every loader takes these. */
export interface SourceOptions {
  /** Read the files from this directory only (highest precedence; no download). */
  dir?: string;
  /** Root of the download cache; the dataset's files go to `<cacheDir>/<dataset>/`. */
  cacheDir?: string;
  /** Mirror root used instead of the public URLs: files are fetched from `<downloadBase>/<dataset>/<file>`. */
  downloadBase?: string;
  /** Set to false to fail instead of downloading a missing file. */
  download?: boolean;
  /** Print a progress bar (TTY) or progress lines (otherwise) on stderr while downloading; default true. */
  progress?: boolean;
  /** Called as bytes arrive; total is undefined when the server does not say. */
  onProgress?: DownloadProgress;
}

/** Where a directory came from, which decides what a missing or bad file's message advises. */
export type SourceOrigin = 'option' | 'env' | 'shipped' | 'cache';

/** A directory a dataset is read from, with its origin for messages. */
export interface SourceDir {
  dir: string;
  origin: SourceOrigin;
  /** Human-readable origin, e.g. "BN_LAB_MNIST_DIR". */
  label: string;
}

/** The download cache root: the option, then BN_LAB_CACHE_DIR, then `<project>/data/cache` (or ~/.cache/bn-lab outside a checkout). */
export function cacheRoot(options: Pick<SourceOptions, 'cacheDir'> = {}): string {
  if (options.cacheDir) return path.resolve(options.cacheDir);
  const fromEnv = process.env[CACHE_DIR_ENV];
  if (fromEnv) return path.resolve(fromEnv);
  const root = projectRoot();
  return root ? path.join(root, 'data', 'cache') : path.join(os.homedir(), '.cache', 'bn-lab');
}

/**
 * The directory the user named for a dataset (the `dir` option, else its environment variable), or
 * null when bn-lab should use its own copies. A named directory is authoritative: a file missing
 * there is an error, never a silent download of something else.
 */
export function namedSource(dataset: DatasetName, options: SourceOptions = {}): SourceDir | null {
  if (options.dir) return { dir: path.resolve(options.dir), origin: 'option', label: 'the `dir` option' };
  const envVar = DATASETS[dataset].envVar;
  const fromEnv = process.env[envVar];
  if (fromEnv) return { dir: path.resolve(fromEnv), origin: 'env', label: envVar };
  return null;
}

/** bn-lab's own places for a dataset, in lookup order: copies shipped in data/, then the download cache. */
export function ownSources(dataset: DatasetName, options: SourceOptions = {}): SourceDir[] {
  const sources: SourceDir[] = [];
  const root = projectRoot();
  // An explicit cache means "use exactly this cache", so the shipped copy is skipped with it.
  const cacheOverridden = Boolean(options.cacheDir || process.env[CACHE_DIR_ENV]);
  if (root && !cacheOverridden) {
    for (const rel of DATASETS[dataset].shipped ?? []) {
      sources.push({ dir: path.join(root, 'data', rel), origin: 'shipped', label: 'the copy shipped in data/' });
    }
  }
  const cache = path.join(cacheRoot(options), dataset);
  sources.push({ dir: cache, origin: 'cache', label: 'the download cache' });
  return sources;
}

/** The URL a dataset file is downloaded from: the mirror root if one is set, else the public URL. */
export function downloadUrl(
  dataset: DatasetName,
  file: string,
  options: Pick<SourceOptions, 'downloadBase'> = {},
): string {
  const base = options.downloadBase ?? process.env[DOWNLOAD_BASE_ENV];
  if (base) return `${base.replace(/\/+$/, '')}/${dataset}/${file}`;
  return DATASETS[dataset].baseUrl + file;
}

/** A file's public URL, cited in messages as where the real file comes from even when a mirror is set. */
export function officialUrl(dataset: DatasetName, file: string): string {
  return DATASETS[dataset].baseUrl + file;
}

/** What to tell a user whose file in a given place failed verification. */
export function adviceFor(dataset: DatasetName, file: string, source: SourceDir, options: SourceOptions = {}): string {
  const url = downloadUrl(dataset, file, options);
  switch (source.origin) {
    case 'cache':
      return `The cached copy is corrupt or incomplete: delete it and run again to download a fresh copy from ${url}.`;
    case 'shipped':
      return `The copy in data/ was changed; restore it with \`git checkout -- data/\`.`;
    default:
      return (
        `The directory came from ${source.label}. Replace the file with a fresh copy (the official one is at ${officialUrl(dataset, file)}), ` +
        `or, if you changed it on purpose, update its entry in ${MANIFEST}.`
      );
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** A dataset file found on disk (or just downloaded), not yet verified. */
export interface LocatedFile {
  path: string;
  source: SourceDir;
  /** The official checksum, if this is an official file. */
  official?: OfficialFile;
  /** What the user should do if the file fails verification. */
  advice: string;
}

/**
 * Finds one dataset file: in the `dir` option, else the dataset's environment variable, else data/
 * and the download cache, and finally by downloading it into the cache (atomically, checked against
 * the official checksum). Throws if the file is missing from a named directory.
 */
export async function locateDatasetFile(
  dataset: DatasetName,
  file: string,
  options: SourceOptions = {},
): Promise<LocatedFile> {
  const info = DATASETS[dataset];
  const official = info.files[file];
  const found = (source: SourceDir): LocatedFile => ({
    path: path.join(source.dir, file),
    source,
    official,
    advice: adviceFor(dataset, file, source, options),
  });
  const named = namedSource(dataset, options);
  if (named) {
    if (!(await exists(path.join(named.dir, file)))) {
      throw new Error(
        `${info.title}: ${file} not found in ${named.dir} (from ${named.label}). ` +
          `Put the file there (official copy: ${officialUrl(dataset, file)}), or ` +
          (named.origin === 'env' ? `unset ${info.envVar}` : 'drop the `dir` option') +
          ` to let bn-lab download it into ${path.join(cacheRoot(options), dataset)}.`,
      );
    }
    return found(named);
  }
  const own = ownSources(dataset, options);
  for (const source of own) {
    if (await exists(path.join(source.dir, file))) return found(source);
  }
  const cache = own[own.length - 1];
  const url = downloadUrl(dataset, file, options);
  if (options.download === false) {
    throw new Error(
      `${info.title}: ${file} is not in ${cache.dir} and downloads are off. Download ${url} into that folder, ` +
        `or set ${info.envVar} to a directory that holds it.`,
    );
  }
  if (!official) {
    throw new Error(`${info.title}: ${file} is not an official file of the dataset, so bn-lab cannot download it.`);
  }
  await downloadFile(url, path.join(cache.dir, file), {
    expected: official,
    progress: options.progress,
    onProgress: options.onProgress,
    hint: `Download it yourself into ${cache.dir}, or set ${info.envVar} to a directory that holds it.`,
  });
  return found(cache);
}

/** The verified path of one dataset file (see locateDatasetFile for the lookup order). */
export async function datasetFile(dataset: DatasetName, file: string, options: SourceOptions = {}): Promise<string> {
  const located = await locateDatasetFile(dataset, file, options);
  await verifyFile(located.path, located.official, located.advice);
  return located.path;
}

/** The verified bytes of one dataset file, read once (see locateDatasetFile for the lookup order). */
export async function readDatasetFile(
  dataset: DatasetName,
  file: string,
  options: SourceOptions = {},
): Promise<{ path: string; bytes: Buffer }> {
  const located = await locateDatasetFile(dataset, file, options);
  return { path: located.path, bytes: await readVerified(located.path, located.official, located.advice) };
}

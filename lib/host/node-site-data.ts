import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { locateCifar10 } from '../data/cifar10';
import { DATASETS, datasetFile } from '../data/files';
import { formatManifest, MANIFEST } from '../data/manifest';
import { MNIST_FILES } from '../data/mnist';
import { projectPath } from '../project';

/** One file of the site's data folder: copied from `file`, or written from `text`. */
export interface SiteDataFile {
  file?: string;
  text?: string;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * The browser's data folder (the layout lib/host/README.md names), by URL path relative to it:
 * mnist/ (the four official files), cifar10/ (record files as found through BN_LAB_CIFAR10_DIR or
 * the cache), iris/iris.csv and 2.png, each folder with its SHA256SUMS. Files are found and verified
 * by the Node loaders, so the site serves exactly what Node would read.
 */
export async function siteDataFiles(): Promise<Map<string, SiteDataFile>> {
  const files = new Map<string, SiteDataFile>();
  for (const dataset of ['mnist', 'iris'] as const) {
    const names = dataset === 'mnist' ? Object.values(MNIST_FILES).flatMap((s) => [s.images, s.labels]) : ['iris.csv'];
    const entries: [string, string][] = [];
    for (const name of names) {
      const file = await datasetFile(dataset, name);
      files.set(`${dataset}/${name}`, { file });
      entries.push([name, DATASETS[dataset].files[name]?.sha256 ?? sha256(file)]);
    }
    files.set(`${dataset}/${MANIFEST}`, { text: formatManifest(entries) });
  }
  const { layout } = await locateCifar10();
  const cifar = [...layout.train, ...layout.test, ...(layout.meta ? [layout.meta] : [])];
  for (const file of cifar) files.set(`cifar10/${basename(file)}`, { file });
  files.set(`cifar10/${MANIFEST}`, { text: formatManifest(cifar.map((f) => [basename(f), sha256(f)])) });
  const png = projectPath('data', '2.png');
  files.set('2.png', { file: png });
  files.set(MANIFEST, { text: formatManifest([['2.png', sha256(png)]]) });
  return files;
}

/** Writes the site's data folder into `dest` (see siteDataFiles). */
export async function writeSiteData(dest: string): Promise<void> {
  for (const [rel, entry] of await siteDataFiles()) {
    const target = join(dest, rel);
    mkdirSync(dirname(target), { recursive: true });
    if (entry.file) copyFileSync(entry.file, target);
    else writeFileSync(target, entry.text!);
  }
}

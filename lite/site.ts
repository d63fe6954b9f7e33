// The collection as a static JupyterLite site: the kernel extension, plotly's renderer, the
// notebooks and their exercise versions, the browser bundles and the data, plus a local server
// that sends the cross-origin isolation headers SharedArrayBuffer and wasm threads need.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileDigests, formatManifest, MANIFEST, verifyFile } from '../lib/data/checksums';
import { CIFAR10_RECORD_BYTES, locateCifar10 } from '../lib/data/cifar10';
import { DATASETS, locateDatasetFile, type DatasetName } from '../lib/data/files';
import { findJupyterPython, JUPYTER_HELP } from '../lib/runner/python';

/** Where the site keeps bn-lab's own files, beside JupyterLite's (the kernel's default URLs point here). */
export const SITE_FOLDER = 'bn-lab';
/** The ES module bundles the kernel imports, as `npm run build:browser` writes them to out/browser/. */
export const BROWSER_MODULES = ['tfjs.js', 'bn-lab.js', 'danfojs.js', 'charts.js'];
/** CIFAR-10 records the default site carries (the shared subset's size): train, test. */
export const CIFAR_SUBSET = { train: 4000, test: 1000 };

/**
 * Builds what a site is made of, from this repository (after tsc): the kernel extension (with its
 * own npm install on first use), the exercise notebooks, and the browser bundles (npm run build:browser).
 */
export function buildSiteParts(root: string): void {
  const kernel = path.join(root, 'lite', 'kernel');
  const run = (command: string, args: string[], cwd = root) => execFileSync(command, args, { cwd, stdio: 'inherit' });
  if (!existsSync(path.join(kernel, 'node_modules'))) run('npm', ['ci', '--no-audit', '--no-fund'], kernel);
  run(process.execPath, [path.join(kernel, 'build.mjs')]);
  run(process.execPath, [path.join(root, 'dist', 'scripts', 'exercises.js')]);
  // Always: bundles older than lib/ would teach with yesterday's code.
  run(process.execPath, [path.join(root, 'dist', 'scripts', 'build-browser.js')]);
}

/** What buildSite needs. */
export interface SiteOptions {
  /** The repository root. */
  root: string;
  /** The site folder to (re)create. */
  outDir: string;
  /** Copy every CIFAR-10 record instead of the subset (needs the official batches). */
  fullCifar?: boolean;
  /** More folders of notebooks to put in the site beside notebooks/ and exercises/ (tests use it for copies with small parameters). */
  extraContents?: string[];
}

/** Builds the site; returns the files it copied into the data folder, relative to it. */
export async function buildSite(options: SiteOptions): Promise<string[]> {
  const { root, outDir } = options;
  const extension = path.join(root, 'out', 'lite', 'labextension');
  if (!existsSync(path.join(extension, 'package.json')))
    throw new Error(`No kernel extension in ${extension}: build it with node lite/kernel/build.mjs.`);
  const browser = path.join(root, 'out', 'browser');
  const missing = BROWSER_MODULES.filter((f) => !existsSync(path.join(browser, f)));
  if (missing.length)
    throw new Error(
      `The site needs the browser bundles ${missing.join(', ')} in ${browser}: run npm run build:browser first.`,
    );
  const stage = await mkdtemp(path.join(os.tmpdir(), 'bn-lab-site-'));
  try {
    // The notebooks as they are in notebooks/, and the exercise versions: files the student opens.
    for (const folder of ['notebooks', 'exercises']) {
      const from = path.join(root, folder);
      const notebooks = (await readdir(from)).filter((f) => f.endsWith('.ipynb'));
      if (!notebooks.length)
        throw new Error(`No notebooks in ${from}${folder === 'exercises' ? ': run npm run exercises first' : ''}.`);
      await mkdir(path.join(stage, 'contents', folder), { recursive: true });
      for (const file of notebooks) await copyFile(path.join(from, file), path.join(stage, 'contents', folder, file));
    }
    for (const extra of options.extraContents ?? [])
      await cp(extra, path.join(stage, 'contents', path.basename(extra)), { recursive: true });
    // New notebooks and consoles get the TypeScript kernel (the collection's notebooks name it themselves).
    await writeFile(
      path.join(stage, 'jupyter-lite.json'),
      JSON.stringify({ 'jupyter-config-data': { defaultKernelName: 'tslab' } }),
    );
    await rm(outDir, { recursive: true, force: true });
    const python = findJupyterPython(['jupyterlite_core']);
    if (!python) throw new Error(`jupyter lite build needs jupyterlite-core (requirements.txt).\n${JUPYTER_HELP}`);
    execFileSync(
      python,
      [
        '-m',
        'jupyterlite_core',
        'build',
        '--lite-dir',
        stage,
        '--output-dir',
        outDir,
        '--contents',
        path.join(stage, 'contents'),
        `--LiteBuildConfig.federated_extensions=${extension}`,
        '--no-libarchive',
        '--no-sourcemaps',
      ],
      // cwd: jupyter lite keeps its task database (.jupyterlite.doit.db) in the working folder.
      { stdio: ['ignore', 'inherit', 'inherit'], cwd: stage },
    );
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  const modules = path.join(outDir, SITE_FOLDER, 'modules');
  await mkdir(modules, { recursive: true });
  // The bundles may come with chunks and wasm files; the folder goes over whole.
  for (const file of await readdir(browser)) {
    if ((await stat(path.join(browser, file))).isFile())
      await copyFile(path.join(browser, file), path.join(modules, file));
  }
  return copyData(root, path.join(outDir, SITE_FOLDER, 'data'), options.fullCifar ?? false);
}

async function writeManifest(dir: string, names: string[]): Promise<void> {
  const entries: [string, string][] = [];
  for (const name of names.sort()) entries.push([name, (await fileDigests(path.join(dir, name))).sha256]);
  await writeFile(path.join(dir, MANIFEST), formatManifest(entries));
}

async function copyOfficial(dataset: DatasetName, dest: string): Promise<string[]> {
  const dir = path.join(dest, dataset);
  await mkdir(dir, { recursive: true });
  const names = Object.keys(DATASETS[dataset].files);
  for (const name of names) {
    const located = await locateDatasetFile(dataset, name);
    await verifyFile(located.path, located.official, located.advice);
    await copyFile(located.path, path.join(dir, name));
  }
  await writeManifest(dir, names);
  return names.map((n) => `${dataset}/${n}`);
}

async function readRecords(files: string[], count: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for (const file of files) {
    if (bytes >= count * CIFAR10_RECORD_BYTES) break;
    const data = await readFile(file);
    parts.push(data);
    bytes += data.length;
  }
  const all = Buffer.concat(parts);
  if (all.length < count * CIFAR10_RECORD_BYTES) {
    throw new Error(
      `CIFAR-10: the site's subset needs ${count} records but ${files.join(', ')} hold ${all.length / CIFAR10_RECORD_BYTES}.`,
    );
  }
  return all.subarray(0, count * CIFAR10_RECORD_BYTES);
}

async function copyCifar(dest: string, full: boolean): Promise<string[]> {
  const { layout } = await locateCifar10();
  const dir = path.join(dest, 'cifar10');
  await mkdir(dir, { recursive: true });
  const sources = [...layout.train, ...layout.test, ...(layout.meta ? [layout.meta] : [])];
  for (const file of sources) await verifyFile(file);
  const names: string[] = [];
  if (full) {
    if (layout.kind !== 'official') {
      throw new Error(
        `--full-cifar needs the official CIFAR-10 batches, but ${layout.dir} holds record files (a subset). ` +
          'Point BN_LAB_CIFAR10_DIR at the unpacked cifar-10-binary.tar.gz, or unset it to let bn-lab download the archive.',
      );
    }
    for (const file of sources) {
      await copyFile(file, path.join(dir, path.basename(file)));
      names.push(path.basename(file));
    }
  } else {
    // Named like the shared subset (train_0000-3999.bin), which the loader reads as record files.
    const write = async (prefix: string, files: string[], count: number) => {
      const name = `${prefix}_0000-${String(count - 1).padStart(4, '0')}.bin`;
      await writeFile(path.join(dir, name), await readRecords(files, count));
      names.push(name);
    };
    await write('train', layout.train, CIFAR_SUBSET.train);
    await write('test', layout.test, CIFAR_SUBSET.test);
    if (layout.meta) {
      await copyFile(layout.meta, path.join(dir, path.basename(layout.meta)));
      names.push(path.basename(layout.meta));
    }
  }
  await writeManifest(dir, names);
  return names.map((n) => `cifar10/${n}`);
}

async function copyData(root: string, dest: string, fullCifar: boolean): Promise<string[]> {
  await mkdir(dest, { recursive: true });
  const files = [
    ...(await copyOfficial('mnist', dest)),
    ...(await copyOfficial('iris', dest)),
    ...(await copyCifar(dest, fullCifar)),
  ];
  await copyFile(path.join(root, 'data', '2.png'), path.join(dest, '2.png'));
  await writeManifest(dest, ['2.png']);
  return [...files, '2.png'];
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ipynb': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** A running site server. */
export interface SiteServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Serves a built site on localhost with Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy,
 * so the page is cross-origin isolated (SharedArrayBuffer, wasm threads, interrupts of busy cells).
 */
export function serveSite(dir: string, port = 0, host = '127.0.0.1'): Promise<SiteServer> {
  const root = path.resolve(dir);
  const server = createServer(async (req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
    };
    try {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let file = path.join(root, path.normalize(pathname));
      if (!file.startsWith(root)) throw Object.assign(new Error('outside the site'), { code: 'ENOENT' });
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const info = await stat(file);
      res.writeHead(200, {
        ...headers,
        'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': info.size,
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({
        url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${actual}/`,
        server,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

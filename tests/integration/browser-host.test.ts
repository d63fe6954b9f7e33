/**
 * bn-lab's browser bundle (npm run build:browser) in headless Chromium: the bundle runs in a module
 * Web Worker with a fake `__bnLabKernel` (the contract in lib/host/README.md), served with the site's
 * data folder from a local HTTP server. Checks data loading through fetch with checksums, display
 * messages from progress bars, charts and record(), stopping a fit, and that a conv+BN model trains
 * to the same numbers on cpu, wasm, webgl and webgpu (SwiftShader).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Browser, chromium, Page } from 'playwright-core';
import { loadMnist } from '../../lib/data/mnist';
import { loadCifar10 } from '../../lib/data/cifar10';
import { loadImageTensor } from '../../lib/data/image';
import { siteDataFiles, SiteDataFile } from '../../lib/host/node-site-data';
import { CHROMIUM } from '../helpers/browser';
import sharp from 'sharp';
import { PALETTE } from '../../lib/plots/palette';
import { STATIC_WIDTH } from '../../lib/plots/plotly';
import { projectPath } from '../../lib/project';

const root = join(__dirname, '..', '..', '..');
const outDir = join(root, 'out', 'browser');
const screenshots = projectPath('out', 'screenshots');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.html': 'text/html',
};

// The worker: installs the fake kernel, imports the bundle, and runs tasks the page forwards.
const WORKER = `
// Displays in order, each a message or (a chart whose PNG is still being encoded) a promise of one.
const messages = [];
const settle = () => Promise.all(messages.splice(0));
let stop = false;
globalThis.__bnLabKernel = {
  display: ({ pending, ...msg }) => {
    const sent = JSON.parse(JSON.stringify(msg));
    messages.push(pending ? pending.then((extra) => ({ ...sent, data: { ...sent.data, ...extra } })) : sent);
  },
  dataUrl: new URL('/data/', location.href).href,
  interrupted: () => stop,
};
const bn = await import('/browser/bn-lab.js');
const tf = await import('/browser/tfjs.js');
const sum = (t) => t.sum().dataSync()[0];
const fitModel = () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
  model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
};
const tasks = {
  async names() {
    return Object.keys(bn);
  },
  async mnist() {
    await bn.initBackend('cpu');
    const d = await bn.loadMnist({ trainCount: 100, testCount: 50 });
    const again = await bn.loadMnist({ trainCount: 100, testCount: 50 });
    const cached = await (await caches.open('bn-lab-data-v1')).keys();
    return { shape: d.train.images.shape, pixelSum: sum(d.train.images), labels: Array.from(d.test.labelBytes),
      againSum: sum(again.train.images), cached: cached.map((r) => new URL(r.url).pathname).sort() };
  },
  async badChecksum() {
    try { await bn.loadIris({ dir: 'bad' }); return 'no error'; } catch (e) { return e.message; }
  },
  async iris() {
    const iris = await bn.loadIris();
    return { rows: iris.data.length, columns: iris.frame.columns, shape: iris.frame.shape, target: iris.target.slice(0, 3) };
  },
  async cifar() {
    const c = await bn.loadCifar10({ trainCount: 20, testCount: 10 });
    return { shape: c.train.images.shape, pixelSum: sum(c.train.images), labels: Array.from(c.test.labelBytes), classNames: c.classNames };
  },
  async image() {
    const t = await bn.loadImageTensor('../data/2.png', { height: 32, width: 32 });
    return Array.from(t.dataSync());
  },
  async fit() {
    messages.length = 0;
    const model = fitModel();
    const x = tf.randomNormal([64, 4]);
    const y = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 3));
    const h = await model.fit(x, y, { epochs: 2, batchSize: 16, callbacks: [bn.progressBar(), bn.liveCurves({ minIntervalMs: 0 })] });
    return { epochs: h.epoch.length, messages: await settle() };
  },
  async stop() {
    const model = fitModel();
    const x = tf.randomNormal([64, 4]);
    const y = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 3));
    let batches = 0;
    const pressStop = new tf.CustomCallback({ onBatchEnd: async () => { if (++batches === 2) stop = true; } });
    const h = await model.fit(x, y, { epochs: 10, batchSize: 16, callbacks: [pressStop, bn.progressBar({ every: 'epoch' })] });
    stop = false;
    messages.length = 0;
    return { epochs: h.epoch.length, batches };
  },
  async chart() {
    messages.length = 0;
    const log = console.log;
    console.log = (...args) => messages.push({ stream: args.join(' ') });
    try {
      bn.plotMetric({ run: [1, 0.5, 0.25] }, 'loss', '손실 곡선 (배치 정규화)');
      console.log('after the chart');
    } finally {
      console.log = log;
    }
    bn.showTable({ columns: ['a'], values: [[1]] });
    return settle();
  },
  async chartTime() {
    // The first chart set up ECharts; time the next ones, from the call until the PNG is encoded.
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      bn.plotMetric({ a: [1, 0.5, 0.25, 0.2], b: [1.2, 0.7, 0.4, 0.3] }, 'loss', '시간 ' + i);
      const drawn = performance.now() - t;
      await settle();
      times.push([drawn, performance.now() - t]);
    }
    return times;
  },
  async record() {
    messages.length = 0;
    bn.record('testAccuracy', 0.75);
    return settle();
  },
  async sabotage() {
    // webgl's Relu made leaky: it still runs, but trains to other numbers, so auto must pass it by.
    const leaky = tf.getKernel('LeakyRelu', 'webgl');
    tf.unregisterKernel('Relu', 'webgl');
    tf.registerKernel({ kernelName: 'Relu', backendName: 'webgl',
      kernelFunc: ({ inputs, backend }) => leaky.kernelFunc({ inputs, backend, attrs: { alpha: 0.5 } }) });
    const wasm = await bn.initBackend('wasm');
    const info = await bn.initBackend('auto');
    return {
      wasm: [wasm.path, bn.describeBackend(wasm)], name: info.name, reason: info.reason };
  },
  async agreement() {
    const runs = [];
    for (const b of ['cpu', 'wasm', 'webgl', 'webgpu']) runs.push(await bn.convBnProbe(b));
    const wasm = await bn.initBackend('wasm');
    return {
      wasm: [wasm.path, bn.describeBackend(wasm)], runs, diffs: runs.map((r) => bn.probeDifference(r, runs[0])), tolerance: bn.AGREEMENT_TOLERANCE };
  },
  async auto() {
    // In a fresh worker, as a notebook's first cell: here no webgpu device exists yet when auto
    // tries webgpu's synchronous read in its throwaway worker (on SwiftShader, that read while this
    // worker holds a webgpu device left this worker's webgl hanging).
    const info = await bn.initBackend('auto');
    return { describe: bn.describeBackend(info), note: bn.benchSpeedNote(info, 'lenet') };
  },
};
self.onmessage = async (e) => {
  try { postMessage({ id: e.data.id, result: await tasks[e.data.task]() }); }
  catch (err) { postMessage({ id: e.data.id, error: String(err && err.stack || err) }); }
};
postMessage({ ready: true });
`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>bn-lab worker</title><script>
// One worker per name, as one kernel each; tasks run in the named worker.
const workers = new Map(); const waiting = new Map(); let next = 0;
function start(name) {
  const worker = new Worker('/worker.js', { type: 'module', name });
  const ready = new Promise((resolve, reject) => {
    worker.onerror = (e) => reject(new Error('worker: ' + e.message));
    worker.onmessage = (e) => {
      if (e.data.ready) return resolve(worker);
      const w = waiting.get(e.data.id); waiting.delete(e.data.id);
      if (e.data.error) w.reject(new Error(e.data.error)); else w.resolve(e.data.result);
    };
  });
  workers.set(name, ready);
  return ready;
}
window.workerReady = start('main').then(() => true);
window.run = async (task, name = 'main') => {
  const worker = await (workers.get(name) ?? start(name));
  return new Promise((resolve, reject) => { const id = next++; waiting.set(id, { resolve, reject }); worker.postMessage({ id, task }); });
};
</script>`;

let server: Server;
let browser: Browser;
let page: Page;
let base: string;
let data: Map<string, SiteDataFile>;

function serve(): Promise<string> {
  server = createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (type: string, body: string) => res.writeHead(200, { 'content-type': type }).end(body);
    if (url === '/') return send('text/html', PAGE);
    if (url === '/worker.js') return send('text/javascript', WORKER);
    // A folder whose manifest disagrees with its file: the loader must refuse it.
    if (url === '/data/bad/SHA256SUMS') return send('text/plain', `${'0'.repeat(64)}  iris.csv\n`);
    if (url === '/data/bad/iris.csv')
      return createReadStream(data.get('iris/iris.csv')!.file!).pipe(res.writeHead(200));
    if (url.startsWith('/data/')) {
      const entry = data.get(url.slice('/data/'.length));
      if (entry?.text !== undefined) return send('text/plain', entry.text);
      if (entry?.file)
        return createReadStream(entry.file).pipe(
          res.writeHead(200, { 'content-type': TYPES[extname(entry.file)] ?? 'application/octet-stream' }),
        );
    }
    if (url.startsWith('/browser/')) {
      const file = join(outDir, normalize(url.slice('/browser/'.length)));
      if (file.startsWith(outDir) && existsSync(file) && statSync(file).isFile()) {
        return createReadStream(file).pipe(
          res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }),
        );
      }
    }
    res.writeHead(404).end('not found');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)),
  );
}

before(async () => {
  execFileSync(process.execPath, [join(root, 'dist', 'scripts', 'build-browser.js')], { stdio: 'inherit' });
  data = await siteDataFiles();
  base = await serve();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      '--use-vulkan=swiftshader',
      '--use-webgpu-adapter=swiftshader',
    ],
  });
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`browser: ${m.text()}`);
  });
  await page.goto(base);
  await page.evaluate(() => (window as unknown as { workerReady: Promise<boolean> }).workerReady);
});

after(async () => {
  await browser?.close();
  server?.close();
});

const run = <T>(task: string, worker = 'main'): Promise<T> =>
  page.evaluate(
    ([t, w]) => (window as unknown as { run(t: string, w: string): Promise<unknown> }).run(t, w),
    [task, worker],
  ) as Promise<T>;

type Message = { data: Record<string, unknown>; metadata: object; transient: { display_id?: string }; update: boolean };

/** A PNG's size from its IHDR chunk, after checking the signature. */
function pngSize(b64: string): { width: number; height: number } {
  const bytes = Buffer.from(b64, 'base64');
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('every name notebooks 01-07 import from bn-lab is exported by the browser bundle', async () => {
  const index = readFileSync(join(root, 'lib', 'index.ts'), 'utf8');
  const typeOnly = new Set(
    [...index.matchAll(/export type \{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((n) => n.trim())),
  );
  const wanted = new Set<string>();
  for (const name of readdirSync(join(root, 'notebooks')).filter((n) => /^0[1-7].*\.ipynb$/.test(n))) {
    const notebook = JSON.parse(readFileSync(join(root, 'notebooks', name), 'utf8')) as {
      cells: { cell_type: string; source: string[] }[];
    };
    const code = notebook.cells
      .filter((c) => c.cell_type === 'code')
      .map((c) => c.source.join(''))
      .join('\n');
    for (const m of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*'bn-lab'/g)) {
      for (const n of m[1]
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean))
        if (!typeOnly.has(n)) wanted.add(n);
    }
  }
  assert.ok(wanted.size > 40, `found ${wanted.size} names`);
  const exported = new Set(await run<string[]>('names'));
  assert.deepEqual(
    [...wanted].filter((n) => !exported.has(n)),
    [],
  );
});

test('loadMnist fetches the official files, verifies them and caches them; the pixels match Node', async () => {
  const got = await run<{ shape: number[]; pixelSum: number; labels: number[]; againSum: number; cached: string[] }>(
    'mnist',
  );
  const node = await loadMnist({ trainCount: 100, testCount: 50 });
  assert.deepEqual(got.shape, [100, 32, 32, 1]);
  assert.deepEqual(got.labels, Array.from(node.test.labelBytes));
  assert.ok(Math.abs(got.pixelSum - node.train.images.sum().dataSync()[0]) < 1e-2, `${got.pixelSum}`);
  assert.equal(got.againSum, got.pixelSum);
  assert.deepEqual(got.cached, [
    '/data/mnist/t10k-images-idx3-ubyte.gz',
    '/data/mnist/t10k-labels-idx1-ubyte.gz',
    '/data/mnist/train-images-idx3-ubyte.gz',
    '/data/mnist/train-labels-idx1-ubyte.gz',
  ]);
  tf.dispose(node as unknown as tf.TensorContainer);
});

test('a file whose bytes differ from its SHA256SUMS is refused with the URL and the fix', async () => {
  const message = await run<string>('badChecksum');
  assert.match(message, /\/data\/bad\/iris\.csv failed its checksum: sha256 f13ffa8f.*says 0{64}/);
});

test('loadIris builds a danfo DataFrame on the shared tfjs; loadCifar10 reads the record files like Node', async () => {
  const iris = await run<{ rows: number; columns: string[]; shape: number[]; target: number[] }>('iris');
  assert.equal(iris.rows, 150);
  assert.deepEqual(iris.shape, [150, 4]);
  assert.equal(iris.columns[0], 'sepal length (cm)');
  const cifar = await run<{ shape: number[]; pixelSum: number; labels: number[]; classNames: string[] }>('cifar');
  const node = await loadCifar10({ trainCount: 20, testCount: 10 });
  assert.deepEqual(cifar.shape, [20, 32, 32, 3]);
  assert.deepEqual(cifar.labels, Array.from(node.test.labelBytes));
  assert.ok(Math.abs(cifar.pixelSum - node.train.images.sum().dataSync()[0]) < 1e-2);
  assert.equal(cifar.classNames[9], 'truck');
});

test('loadImageTensor decodes 2.png like sharp does in Node', async () => {
  const got = await run<number[]>('image');
  const node = Array.from((await loadImageTensor(join(root, 'data', '2.png'), { height: 32, width: 32 })).dataSync());
  const maxDiff = Math.max(...got.map((v, i) => Math.abs(v - node[i])));
  console.log(`loadImageTensor browser vs sharp: max pixel difference ${maxDiff.toFixed(4)}`);
  assert.ok(maxDiff <= 2 / 255, `max difference ${maxDiff}`);
});

test('progressBar and liveCurves emit display messages and in-place updates', async () => {
  const { epochs, messages } = await run<{ epochs: number; messages: Message[] }>('fit');
  assert.equal(epochs, 2);
  const ids = new Set(messages.map((m) => m.transient.display_id));
  assert.ok(ids.size >= 2, 'a progress output and a chart output');
  for (const id of ids) {
    const mine = messages.filter((m) => m.transient.display_id === id);
    assert.equal(mine[0].update, false, 'each output is first displayed');
    assert.ok(
      mine.slice(1).every((m) => m.update),
      'then updated in place',
    );
  }
  assert.ok(messages.some((m) => String(m.data['text/plain']).includes('Epoch 2/2')));
  const charts = messages.filter((m) => String(m.data['text/html'] ?? '').includes('Plotly.newPlot'));
  const first = String(charts[0].data['text/html']);
  assert.ok(
    first.includes('if (!window.Plotly)') && first.length > 1e6,
    "the kernel's first chart embeds plotly.js (read beside bn-lab.js)",
  );
  const final = messages.filter((m) => m.data['application/vnd.plotly.v1+json']).at(-1)!;
  assert.ok(final.update && String(final.data['text/html']).includes('Plotly.newPlot'));
  assert.equal(pngSize(String(final.data['image/png'])).width, STATIC_WIDTH, 'the final curves carry their picture');
  assert.ok(
    charts.slice(0, -1).every((m) => m.data['image/png'] === undefined),
    'redraws during training carry no picture',
  );
});

test('pressing stop (interrupted() turning true) stops model.fit after the current batch', async () => {
  const { epochs, batches } = await run<{ epochs: number; batches: number }>('stop');
  assert.equal(batches, 2);
  assert.equal(epochs, 1);
});

test('a chart is one bundle with plotly JSON, interactive HTML and a PNG, in order; record() emits scrapbook data', async () => {
  const [chart, logged, table] = await run<Message[]>('chart');
  const plotly = chart.data['application/vnd.plotly.v1+json'] as {
    data: { y: number[] }[];
    layout: { height: number };
  };
  assert.deepEqual(plotly.data[0].y, [1, 0.5, 0.25]);
  const html = String(chart.data['text/html']);
  assert.ok(
    html.includes('Plotly.newPlot') && !html.includes('if (!window.Plotly)'),
    'plotly.js is embedded once per kernel, not again',
  );
  // The PNG, drawn by ECharts on an OffscreenCanvas in the worker, at the static picture's size.
  const b64 = String(chart.data['image/png']);
  assert.deepEqual(pngSize(b64), { width: STATIC_WIDTH, height: plotly.layout.height });
  assert.ok(
    html.includes(`src="data:image/png;base64,${b64}"`),
    'the HTML shows the same picture to sanitizing viewers',
  );
  const png = Buffer.from(b64, 'base64');
  mkdirSync(screenshots, { recursive: true });
  writeFileSync(join(screenshots, 'browser-chart.png'), png);
  const { data: pixels, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(PALETTE[0].slice(i, i + 2), 16));
  let traceColoured = 0;
  let ink = 0;
  for (let i = 0; i < pixels.length; i += info.channels) {
    if (Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) < 60) traceColoured++;
    if (pixels[i] < 200 || pixels[i + 1] < 200 || pixels[i + 2] < 200) ink++;
  }
  console.log(
    `browser chart PNG: ${info.width}x${info.height}, ${traceColoured} pixels of the trace colour, ${ink} inked`,
  );
  assert.ok(traceColoured > 300, `the trace is drawn in ${PALETTE[0]} (${traceColoured} pixels)`);
  assert.ok(ink > 0.01 * info.width * info.height, 'axes, labels and title are drawn');
  assert.deepEqual(logged, { stream: 'after the chart' }, "a log after the chart comes after the chart's output");
  assert.match(String(table.data['text/html']), /<table/);
  const times = await run<[number, number][]>('chartTime');
  console.log(
    `browser chart: ${times.map(([d, t]) => `${d.toFixed(0)}/${t.toFixed(0)}`).join(' ')} ms (synchronous part / until the PNG is encoded)`,
  );
  const [recorded] = await run<Message[]>('record');
  assert.deepEqual(recorded.data, {
    'application/scrapbook.scrap.json+json': { name: 'testAccuracy', data: 0.75, encoder: 'json', version: 1 },
  });
});

test('a conv+BN model trains to the same losses and moving statistics on cpu, wasm, webgl and webgpu', async () => {
  type Run = { backend: string; losses: number[]; movingMean: number[]; movingVariance: number[] };
  const got = await run<{
    runs: Run[];
    diffs: number[];
    tolerance: number;
    wasm: string[];
  }>('agreement');
  console.log('backend | losses (5 SGD steps) | moving variance[0] | max rel. diff vs cpu');
  got.runs.forEach((r, i) =>
    console.log(
      `${r.backend.padEnd(6)} | ${r.losses.map((l) => l.toFixed(6)).join(' ')} | ${r.movingVariance[0].toFixed(6)} | ${got.diffs[i].toExponential(2)}`,
    ),
  );

  assert.deepEqual(
    got.runs.map((r) => r.backend),
    ['cpu', 'wasm', 'webgl', 'webgpu'],
  );
  assert.ok(got.runs[0].losses[4] < got.runs[0].losses[0], 'the probe model learns');
  for (const d of got.diffs) assert.ok(d <= got.tolerance, `difference ${d}`);
  // Not cross-origin isolated here, so no SharedArrayBuffer and one wasm thread.
  assert.equal(got.wasm[0], 'wasm-1thread');
  assert.match(got.wasm[1], /backend wasm: wasm \(SIMD, 1 thread\)/);
});

test("initBackend('auto') passes by webgpu when its synchronous reads come back wrong", async () => {
  const got = await run<{ describe: string; note: string }>('auto', 'auto');
  console.log(`initBackend('auto'): ${got.describe}`);
  // SwiftShader's WebGPU reads back zeros through dataSync (NOTES.md), which every notebook uses.
  assert.match(got.describe, /backend webgl: webgl 2 \(.+\)/);
  assert.match(
    got.describe,
    /webgpu: a synchronous read \(dataSync\) in a Web Worker gave \[0, 0, 0, 0\] instead of \[1, 4, 9, 16\], so webgl/,
  );
  assert.match(got.note, /브라우저/);
});

test("initBackend('auto') passes by a GPU backend that trains to other numbers than cpu", async () => {
  const got = await run<{ name: string; reason: string }>('sabotage', 'sabotaged');
  console.log(`sabotaged webgl: ${got.reason}`);
  assert.equal(got.name, 'wasm');
  assert.match(
    got.reason,
    /webgl: a conv\+BN training probe differs from cpu by [\d.e+-]+ \(tolerance 0\.001\), so wasm: WebAssembly/,
  );
});

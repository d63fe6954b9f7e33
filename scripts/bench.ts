/**
 * Training-throughput benchmark (issue #4): each model family of the collection, trained with
 * trainOnBatch (Adam 1e-3, cross-entropy) on every available tfjs backend, against PyTorch on the
 * same machine, plus an estimate of the collection's wall time. Inputs are seeded random numbers:
 * throughput does not depend on pixel values, and it keeps the benchmark free of dataset files.
 *
 * Run: `node dist/scripts/bench.js [--backends auto,wasm-threads,...] [--steps N] [--warmup N] [--families a,b] [--no-torch]`
 * --backends takes initBackend's names (auto, tensorflow, wasm, wasm-dnnl, wasm-threads, wasm-1thread, cpu); each
 * is resolved to the path it runs, and the path 'auto' picks is recorded and compared with PyTorch's
 * better thread count per family. Writes out/bench-<timestamp>.json.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileClassifier, irisMlp, lenet, smallCifarCnn, vggCnn } from './reference-models';
import { BackendPath, describeBackend, initBackend } from '../lib/backend/select';

/** A model family as the notebooks train it. */
interface Family {
  name: string;
  label: string;
  batch: number;
  inputShape: number[];
  classes: number;
  onehot: boolean;
  build: () => tf.LayersModel;
}

const FAMILIES: Family[] = [
  {
    name: 'lenet',
    label: 'LeNet+BN 32x32x1',
    batch: 32,
    inputShape: [32, 32, 1],
    classes: 10,
    onehot: false,
    build: () => lenet(true),
  },
  {
    name: 'lenet_s5',
    label: 'LeNet+BN conv3 1x1/5',
    batch: 32,
    inputShape: [32, 32, 1],
    classes: 10,
    onehot: false,
    build: () => lenet(true, { kernelSize: 1, strides: 5 }),
  },
  {
    name: 'small_cnn',
    label: 'small CIFAR CNN+BN',
    batch: 256,
    inputShape: [32, 32, 3],
    classes: 10,
    onehot: false,
    build: () => smallCifarCnn(),
  },
  {
    name: 'vgg',
    label: 'VGG CIFAR CNN+BN',
    batch: 32,
    inputShape: [32, 32, 3],
    classes: 10,
    onehot: false,
    build: () => vggCnn(),
  },
  {
    name: 'iris',
    label: 'iris MLP+BN',
    batch: 32,
    inputShape: [4],
    classes: 3,
    onehot: true,
    build: () => irisMlp(true),
  },
];

/** One family on one engine (a tfjs backend, or torch at a thread count). */
interface Result {
  family: string;
  engine: string;
  batch: number;
  steps: number;
  msPerStep: number;
  /**
   * Median CPU time of this process per step (all its threads): on a shared machine wall time
   * depends on what else runs, CPU time much less; with one thread it is the step's cost on a free core.
   */
  cpuMsPerStep?: number;
  imagesPerSec: number;
  evalImagesPerSec: number;
  peakRssMB?: number;
  peakTensorMB?: number;
  note?: string;
}

function parseArgs(argv: string[]) {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    backends: (get('--backends') ?? 'auto,wasm-threads,wasm-1thread').split(','),
    steps: Number(get('--steps') ?? 20),
    warmup: Number(get('--warmup') ?? 3),
    families: (get('--families') ?? FAMILIES.map((f) => f.name).join(',')).split(','),
    torch: !argv.includes('--no-torch'),
  };
}

/** Seeded inputs and labels for one batch. */
function batchData(f: Family): [tf.Tensor, tf.Tensor] {
  const x = tf.randomNormal([f.batch, ...f.inputShape], 0, 1, 'float32', 7);
  const ids = tf.randomUniform([f.batch], 0, f.classes, 'int32', 8);
  const y = f.onehot ? tf.oneHot(ids, f.classes) : ids.cast('float32');
  ids.dispose();
  return [x, y];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function benchTfjs(f: Family, backend: BackendPath, steps: number, warmup: number): Promise<Result> {
  const model = f.build();
  compileClassifier(model, f.onehot ? 'onehot' : 'sparse');
  const [x, y] = batchData(f);
  let peakRss = process.memoryUsage().rss;
  let peakTensor = tf.memory().numBytes;
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    peakTensor = Math.max(peakTensor, tf.memory().numBytes);
  };
  for (let i = 0; i < warmup; i++) await model.trainOnBatch(x, y);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < steps; i++) {
    // trainOnBatch awaits the loss, so each step is complete when it resolves.
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await model.trainOnBatch(x, y);
    const c = process.cpuUsage(c0);
    times.push(performance.now() - t0);
    cpuTimes.push((c.user + c.system) / 1000);
    sample();
  }
  // The median step, so another process's burst on a shared machine does not skew the figure.
  const msPerStep = median(times);
  // Evaluation throughput (inference mode, same batch), for the wall-time estimate's val/test passes.
  const evalSteps = Math.max(3, Math.ceil(steps / 2));
  tf.tidy(() => model.predict(x));
  const e0 = performance.now();
  for (let i = 0; i < evalSteps; i++) {
    const p = model.predict(x) as tf.Tensor;
    await p.data();
    p.dispose();
  }
  const evalMs = performance.now() - e0; // a mean: eval steps are short and many
  sample();
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
  return {
    family: f.name,
    engine: `tfjs-${backend}`,
    batch: f.batch,
    steps,
    msPerStep,
    cpuMsPerStep: median(cpuTimes),
    imagesPerSec: (f.batch * 1000) / msPerStep,
    evalImagesPerSec: (f.batch * evalSteps * 1000) / evalMs,
    peakRssMB: peakRss / 2 ** 20,
    peakTensorMB: peakTensor / 2 ** 20,
  };
}

function runTorch(
  steps: number,
  warmup: number,
  families: string[],
): { version?: string; results: Result[]; note?: string } {
  const py = '/usr/bin/python3';
  const script = resolve(__dirname, '../../scripts/bench_torch.py');
  if (!existsSync(py) || spawnSync(py, ['-c', 'import torch']).status !== 0) {
    return { results: [], note: 'PyTorch not importable by /usr/bin/python3 (apt-get install python3-torch)' };
  }
  const r = spawnSync(
    py,
    [
      script,
      '--steps',
      String(steps),
      '--warmup',
      String(Math.max(warmup, 5)),
      '--threads',
      '1,2',
      '--families',
      families.join(','),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) return { results: [], note: `bench_torch.py failed: ${r.stderr.trim().split('\n').pop()}` };
  const out = JSON.parse(r.stdout) as { torch: string; results: Array<Omit<Result, 'engine'> & { threads: number }> };
  return {
    version: out.torch,
    results: out.results.map(({ threads, ...rest }) => ({ ...rest, engine: `torch-${threads}t` })),
  };
}

/** Samples and epochs of one notebook's training runs, per family, in one profile. */
interface Workload {
  nb: string;
  family: string;
  runs: number;
  train: number;
  epochs: number;
  evalPerEpoch: number;
  evalOnce: number;
}

/** The notebooks' settings (see the issue): full, and the quick profile `npm start` uses. */
const WORKLOADS: Record<'quick' | 'full', Workload[]> = {
  full: [
    { nb: 'nb1', family: 'lenet', runs: 2, train: 50_000, epochs: 1, evalPerEpoch: 0, evalOnce: 10_000 },
    { nb: 'nb2', family: 'small_cnn', runs: 1, train: 50_000, epochs: 10, evalPerEpoch: 10_000, evalOnce: 0 },
    { nb: 'nb3', family: 'iris', runs: 2, train: 84, epochs: 1000, evalPerEpoch: 0, evalOnce: 0 },
    { nb: 'nb4', family: 'vgg', runs: 1, train: 35_000, epochs: 30, evalPerEpoch: 15_000, evalOnce: 0 },
    { nb: 'nb5', family: 'lenet', runs: 1, train: 50_000, epochs: 1, evalPerEpoch: 0, evalOnce: 0 },
    { nb: 'nb5', family: 'lenet_s5', runs: 3, train: 5_000, epochs: 5, evalPerEpoch: 0, evalOnce: 0 },
  ],
  // Mirrors COLLECTION's quick profile in lib/runner/collection.ts.
  quick: [
    { nb: 'nb1', family: 'lenet', runs: 2, train: 12_000, epochs: 1, evalPerEpoch: 0, evalOnce: 2_000 },
    { nb: 'nb2', family: 'small_cnn', runs: 1, train: 4_000, epochs: 6, evalPerEpoch: 1_000, evalOnce: 0 },
    { nb: 'nb3', family: 'iris', runs: 2, train: 84, epochs: 200, evalPerEpoch: 0, evalOnce: 0 },
    { nb: 'nb4', family: 'vgg', runs: 1, train: 2_800, epochs: 5, evalPerEpoch: 1_200, evalOnce: 500 },
    { nb: 'nb5', family: 'lenet', runs: 1, train: 12_000, epochs: 1, evalPerEpoch: 0, evalOnce: 0 },
    { nb: 'nb5', family: 'lenet_s5', runs: 3, train: 2_000, epochs: 3, evalPerEpoch: 0, evalOnce: 0 },
  ],
};

/**
 * Seconds one engine needs for a profile's training and evaluation, from measured throughput.
 * Training counts whole batches (a partial last batch costs about a full step: iris is all
 * overhead); fit's per-epoch bookkeeping and data loading are not included.
 */
function estimateSeconds(profile: Workload[], engine: string, results: Result[]): Record<string, number> | undefined {
  const perNb: Record<string, number> = {};
  for (const w of profile) {
    const r = results.find((x) => x.engine === engine && x.family === w.family);
    if (r == null) return undefined;
    const train = (Math.ceil(w.train / r.batch) * r.msPerStep) / 1000;
    const evalImgs = w.evalPerEpoch * w.epochs + w.evalOnce;
    perNb[w.nb] = (perNb[w.nb] ?? 0) + w.runs * (w.epochs * train + evalImgs / r.evalImagesPerSec);
  }
  perNb.total = Object.values(perNb).reduce((a, b) => a + b, 0);
  return perNb;
}

const fmt = (n: number | undefined, digits = 0) => (n == null || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const minutes = (s: number) =>
  s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const families = FAMILIES.filter((f) => args.families.includes(f.name));
  const results: Result[] = [];
  const notes: string[] = ['inputs are seeded random numbers (throughput does not depend on pixel values)'];
  const backendsUsed: Record<string, string> = {};
  let autoPath: BackendPath | undefined;

  // Each name resolves to the path it runs; a path named twice (auto and its pick) runs once.
  const paths: BackendPath[] = [];
  for (const name of args.backends) {
    try {
      const info = await initBackend(name);
      if (name === 'auto') autoPath = info.path;
      if (!paths.includes(info.path)) paths.push(info.path);
      backendsUsed[info.path] = describeBackend(info);
    } catch (e) {
      notes.push(`${name}: not available (${(e as Error).message.split('. ')[0]})`);
    }
  }
  if (autoPath) notes.push(`auto picked ${autoPath}: ${backendsUsed[autoPath]}`);
  // Family by family, every engine back to back (PyTorch right after tfjs): on a shared machine the
  // load changes by the minute, so engines measured minutes apart are not comparable.
  let torchVersion: string | undefined;
  for (const f of families) {
    for (const backend of paths) {
      // cpu is ~20x slower than wasm: fewer steps, and the deep CNN would take minutes per step.
      if (backend === 'cpu' && (f.name === 'vgg' || f.name === 'small_cnn')) {
        notes.push(`cpu: ${f.name} skipped (about a minute per step)`);
        continue;
      }
      await initBackend(backend);
      const steps = backend === 'cpu' ? Math.max(2, Math.ceil(args.steps / 5)) : args.steps;
      const warmup = backend === 'cpu' ? 1 : args.warmup;
      const r = await benchTfjs(f, backend, steps, warmup);
      console.error(
        `  ${f.name} on ${backend}: ${fmt(r.imagesPerSec)} img/s, ${fmt(r.msPerStep, 1)} ms/step ` +
          `(CPU ${fmt(r.cpuMsPerStep, 1)} ms)`,
      );
      results.push(r);
    }
    if (args.torch) {
      const t = runTorch(args.steps, args.warmup, [f.name]);
      torchVersion ??= t.version;
      results.push(...t.results);
      for (const r of t.results)
        console.error(`  ${f.name} on ${r.engine}: ${fmt(r.imagesPerSec)} img/s (CPU ${fmt(r.cpuMsPerStep, 1)} ms)`);
      if (t.note && !notes.includes(t.note)) notes.push(t.note);
    }
  }
  for (const backend of paths) console.error(backendsUsed[backend]);

  const engines = [...new Set(results.map((r) => r.engine))];
  const tfjsEngines = engines.filter((e) => e.startsWith('tfjs-'));
  const torchEngines = engines.filter((e) => e.startsWith('torch-'));
  const header = [
    'family (batch)',
    ...engines.map((e) => `${e} img/s`),
    ...engines.filter((e) => e.startsWith('tfjs')).map((e) => `${e} ms/step`),
  ];
  if (torchEngines.length) header.push(...tfjsEngines.map((e) => `${e}/torch best`));
  header.push('peak RSS MB', 'peak tensors MB');
  const rows = [header];
  /** Per family: PyTorch's better thread count, and each tfjs path's throughput as a fraction of it. */
  const ratios: Record<string, { torchBest?: string; byEngine: Record<string, number> }> = {};
  for (const f of families) {
    const get = (e: string) => results.find((r) => r.engine === e && r.family === f.name);
    const row = [
      `${f.label} (${f.batch})`,
      ...engines.map((e) => fmt(get(e)?.imagesPerSec)),
      ...tfjsEngines.map((e) => fmt(get(e)?.msPerStep, 1)),
    ];
    const best = torchEngines
      .map(get)
      .filter((r): r is Result => r != null)
      .sort((a, b) => b.imagesPerSec - a.imagesPerSec)[0];
    ratios[f.name] = { torchBest: best?.engine, byEngine: {} };
    if (torchEngines.length) {
      for (const e of tfjsEngines) {
        const ours = get(e)?.imagesPerSec;
        if (ours && best) ratios[f.name].byEngine[e] = ours / best.imagesPerSec;
        row.push(ours && best ? `${(ours / best.imagesPerSec).toFixed(2)} (${best.engine.slice(6)})` : '-');
      }
    }
    const mine = tfjsEngines.map(get).filter((r): r is Result => r != null);
    row.push(
      fmt(Math.max(...mine.map((r) => r.peakRssMB ?? 0))),
      fmt(Math.max(...mine.map((r) => r.peakTensorMB ?? 0)), 1),
    );
    rows.push(row);
  }
  console.log(
    `\nTraining throughput (images/s; ratios are ours / PyTorch ${torchVersion ?? 'n/a'} at its better thread count` +
      `${autoPath ? `; auto = ${autoPath}` : ''})`,
  );
  printTable(rows);

  // The same comparison in CPU time per step (all threads of the process): on a shared machine wall
  // time depends on what else runs; CPU time of single-threaded runs is the work per step.
  const cpuRatios: Record<string, Record<string, number>> = {};
  if (torchEngines.length) {
    const cpuRows = [
      ['family (batch)', ...engines.map((e) => `${e} CPU ms`), ...tfjsEngines.map((e) => `torch-1t/${e} CPU`)],
    ];
    for (const f of families) {
      const get = (e: string) => results.find((r) => r.engine === e && r.family === f.name);
      const torch1 = get('torch-1t')?.cpuMsPerStep;
      cpuRatios[f.name] = {};
      for (const e of tfjsEngines) {
        const ours = get(e)?.cpuMsPerStep;
        if (ours && torch1) cpuRatios[f.name][e] = torch1 / ours;
      }
      cpuRows.push([
        `${f.label} (${f.batch})`,
        ...engines.map((e) => fmt(get(e)?.cpuMsPerStep, 1)),
        ...tfjsEngines.map((e) => fmt(cpuRatios[f.name][e], 2)),
      ]);
    }
    console.log("\nCPU time per training step (ms, all threads) and PyTorch 1 thread's CPU time as a fraction of ours");
    printTable(cpuRows);
  }

  const estimates: Record<string, Record<string, Record<string, number>>> = {};
  const estRows = [['engine', 'profile', 'nb1', 'nb2', 'nb3', 'nb4', 'nb5', 'total']];
  for (const e of engines) {
    for (const profile of ['quick', 'full'] as const) {
      const est = estimateSeconds(WORKLOADS[profile], e, results);
      if (est == null) continue;
      (estimates[e] ??= {})[profile] = est;
      estRows.push([e, profile, ...['nb1', 'nb2', 'nb3', 'nb4', 'nb5', 'total'].map((k) => minutes(est[k]))]);
    }
  }
  if (estRows.length > 1) {
    console.log(
      '\nEstimated training + evaluation time of the collection (excludes data loading, plotting, notebook start-up)',
    );
    printTable(estRows);
  }
  for (const n of notes) console.log(`note: ${n}`);

  const outDir = resolve(__dirname, '../../out');
  mkdirSync(outDir, { recursive: true });
  const file = resolve(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        tfjs: tf.version_core,
        torch: torchVersion,
        backends: backendsUsed,
        autoPath,
        args,
        results,
        ratios,
        cpuRatios,
        estimates,
        notes,
        load: loadavg(),
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Training-throughput benchmark (issues #4, #14): each model family of the collection, trained with
 * trainOnBatch (Adam 1e-3, cross-entropy) on tfjs paths and on the Python anchors (Keras on
 * TensorFlow, PyTorch 2 from PyPI, Debian's PyTorch; scripts/bench-anchors.ts) on the same machine,
 * plus an estimate of the collection's wall time (scripts/bench-workloads.ts). Inputs are seeded
 * random numbers: throughput does not depend on pixel values, and it keeps the benchmark free of
 * dataset files. `npm run bench -- --help` lists the options. Writes out/bench-<timestamp>.json.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileClassifier, irisMlp, lenet, smallCifarCnn, vggCnn } from './reference-models';
import {
  ANCHOR_NAMES,
  AnchorName,
  AnchorStatus,
  isAnchorEngine,
  prepareAnchors,
  Result,
  runAnchor,
} from './bench-anchors';
import { batchMismatches, estimateSeconds, workloads } from './bench-workloads';
import { BackendPath, describeBackend, initBackend } from '../lib/backend/select';
import { projectPath } from '../lib/project';

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

const USAGE = `Usage: npm run bench -- [options]   (or node dist/scripts/bench.js [options])

Trains each model family with trainOnBatch on tfjs paths and on the Python anchors (Keras on
TensorFlow, PyTorch 2 from PyPI, Debian's PyTorch), then prints throughput, CPU time, ratios to the
best anchor and an estimate of the collection's wall time; writes out/bench-<time>.json.

  --backends a,b    tfjs paths by initBackend name (auto, tensorflow, wasm, wasm-dnnl, wasm-threads,
                    wasm-1thread, cpu); default auto,wasm-dnnl,wasm-threads,wasm-1thread
  --anchors a,b     ${ANCHOR_NAMES.join(', ')}, or none; default all. Keras and torch run in .venv/ and
                    install requirements-bench.txt there on first use (2.7 GB download)
  --no-install      do not install requirements-bench.txt; a missing anchor is reported as skipped
  --steps N         timed training steps per family and engine (default 20; cpu runs a fifth)
  --warmup N        untimed steps first (default 3; anchors at least 5)
  --families a,b    ${FAMILIES.map((f) => f.name).join(', ')} (default all)
  --help            this text`;

interface Args {
  backends: string[];
  anchors: AnchorName[];
  install: boolean;
  steps: number;
  warmup: number;
  families: string[];
}

/** The command line, or null after printing the usage (--help). Unknown flags and names are errors. */
function parseArgs(argv: string[]): Args | null {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return null;
  }
  const valued = ['--backends', '--anchors', '--steps', '--warmup', '--families'];
  for (const [i, a] of argv.entries()) {
    const isValue = i > 0 && valued.includes(argv[i - 1]);
    if (!isValue && ![...valued, '--no-install'].includes(a)) throw new Error(`bench: unknown option ${a}\n\n${USAGE}`);
  }
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (flag: string, all: readonly string[], fallback = all) => {
    const raw = get(flag);
    if (raw === 'none') return [];
    const names = raw?.split(',') ?? [...fallback];
    const bad = names.filter((n) => !all.includes(n));
    if (bad.length) throw new Error(`bench: ${flag} does not know ${bad.join(', ')}; use ${all.join(', ')}`);
    return names;
  };
  const count = (flag: string, fallback: number) => {
    const n = Number(get(flag) ?? fallback);
    if (!Number.isInteger(n) || n < 1) throw new Error(`bench: ${flag} takes a whole number of steps >= 1`);
    return n;
  };
  return {
    backends: list(
      '--backends',
      ['auto', 'tensorflow', 'wasm', 'wasm-dnnl', 'wasm-threads', 'wasm-1thread', 'cpu'],
      ['auto', 'wasm-dnnl', 'wasm-threads', 'wasm-1thread'],
    ),
    anchors: list('--anchors', ANCHOR_NAMES) as AnchorName[],
    install: !argv.includes('--no-install'),
    steps: count('--steps', 20),
    warmup: count('--warmup', 3),
    families: list(
      '--families',
      FAMILIES.map((f) => f.name),
    ),
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

/** What one run measured, as the JSON records it. */
interface Measured {
  results: Result[];
  notes: string[];
  /** Each tfjs path run, described. */
  backends: Record<string, string>;
  autoPath?: BackendPath;
  anchors: Partial<Record<AnchorName, AnchorStatus>>;
}

/** Resolves each backend name to the path it runs; a path named twice (auto and its pick) runs once. */
async function resolvePaths(names: string[], m: Measured): Promise<BackendPath[]> {
  const paths: BackendPath[] = [];
  for (const name of names) {
    try {
      const info = await initBackend(name);
      if (name === 'auto') m.autoPath = info.path;
      if (!paths.includes(info.path)) paths.push(info.path);
      m.backends[info.path] = describeBackend(info);
    } catch (e) {
      m.notes.push(`${name}: not available (${(e as Error).message.split('. ')[0]})`);
    }
  }
  if (m.autoPath) m.notes.push(`auto picked ${m.autoPath}: ${m.backends[m.autoPath]}`);
  return paths;
}

/** One family on every tfjs path, then on every ready anchor. */
async function measureFamily(f: Family, paths: BackendPath[], anchors: AnchorName[], args: Args, m: Measured) {
  for (const backend of paths) {
    // cpu is ~20x slower than wasm: fewer steps, and the deep CNNs would take minutes per step.
    if (backend === 'cpu' && (f.name === 'vgg' || f.name === 'small_cnn')) {
      m.notes.push(`cpu: ${f.name} skipped (about a minute per step)`);
      continue;
    }
    await initBackend(backend);
    const steps = backend === 'cpu' ? Math.max(2, Math.ceil(args.steps / 5)) : args.steps;
    const r = await benchTfjs(f, backend, steps, backend === 'cpu' ? 1 : args.warmup);
    console.error(
      `  ${f.name} on ${backend}: ${fmt(r.imagesPerSec)} img/s, ${fmt(r.msPerStep, 1)} ms/step (CPU ${fmt(r.cpuMsPerStep, 1)} ms)`,
    );
    m.results.push(r);
  }
  for (const name of anchors) {
    if (m.anchors[name]?.skipped) continue;
    const t = runAnchor(name, f.name, args.steps, Math.max(args.warmup, 5));
    m.results.push(...t.results);
    if (t.version) m.anchors[name] = { version: t.version };
    if (t.failed) m.anchors[name] = { ...m.anchors[name], skipped: `${f.name}: ${t.failed}` };
    for (const r of t.results)
      console.error(`  ${f.name} on ${r.engine}: ${fmt(r.imagesPerSec)} img/s (CPU ${fmt(r.cpuMsPerStep, 1)} ms)`);
  }
}

const resultOf = (results: Result[], engine: string, family: string) =>
  results.find((r) => r.engine === engine && r.family === family);

/** Per family: the fastest anchor engine, and each tfjs path's throughput as a fraction of it. */
function throughputRatios(families: Family[], m: Measured) {
  const engines = [...new Set(m.results.map((r) => r.engine))];
  const anchorEngines = engines.filter(isAnchorEngine);
  const ratios: Record<string, { anchorBest?: string; byEngine: Record<string, number> }> = {};
  for (const f of families) {
    const best = anchorEngines
      .map((e) => resultOf(m.results, e, f.name))
      .filter((r): r is Result => r != null)
      .sort((a, b) => b.imagesPerSec - a.imagesPerSec)[0];
    ratios[f.name] = { anchorBest: best?.engine, byEngine: {} };
    for (const e of engines.filter((x) => !isAnchorEngine(x))) {
      const ours = resultOf(m.results, e, f.name)?.imagesPerSec;
      if (ours && best) ratios[f.name].byEngine[e] = ours / best.imagesPerSec;
    }
  }
  return ratios;
}

function printThroughput(families: Family[], m: Measured, ratios: ReturnType<typeof throughputRatios>) {
  const engines = [...new Set(m.results.map((r) => r.engine))];
  const tfjsEngines = engines.filter((e) => !isAnchorEngine(e));
  const header = ['family (batch)', ...engines.map((e) => `${e} img/s`), ...tfjsEngines.map((e) => `${e} ms/step`)];
  header.push(...tfjsEngines.map((e) => `${e}/best anchor`), 'peak RSS MB', 'peak tensors MB');
  const rows = [header];
  for (const f of families) {
    const get = (e: string) => resultOf(m.results, e, f.name);
    const mine = tfjsEngines.map(get).filter((r): r is Result => r != null);
    const best = ratios[f.name].anchorBest;
    rows.push([
      `${f.label} (${f.batch})`,
      ...engines.map((e) => fmt(get(e)?.imagesPerSec)),
      ...tfjsEngines.map((e) => fmt(get(e)?.msPerStep, 1)),
      ...tfjsEngines.map((e) =>
        ratios[f.name].byEngine[e] ? `${ratios[f.name].byEngine[e].toFixed(2)} (${best})` : '-',
      ),
      fmt(Math.max(...mine.map((r) => r.peakRssMB ?? 0))),
      fmt(Math.max(...mine.map((r) => r.peakTensorMB ?? 0)), 1),
    ]);
  }
  console.log(
    `\nTraining throughput (images/s; ratios are ours / the fastest anchor engine of the family` +
      `${m.autoPath ? `; auto = ${m.autoPath}` : ''})`,
  );
  printTable(rows);
}

/**
 * The comparison in CPU time per step (all threads of the process): on a shared machine wall time
 * depends on what else runs; the CPU time of a one-thread run is the work per step. The reference
 * is the cheapest one-thread anchor of the family.
 */
function cpuRatios(families: Family[], m: Measured): Record<string, Record<string, number>> {
  const engines = [...new Set(m.results.map((r) => r.engine))];
  const tfjsEngines = engines.filter((e) => !isAnchorEngine(e));
  const oneThread = engines.filter((e) => isAnchorEngine(e) && e.endsWith('-1t'));
  const out: Record<string, Record<string, number>> = {};
  if (!oneThread.length) return out;
  const rows = [
    ['family (batch)', ...engines.map((e) => `${e} CPU ms`), ...tfjsEngines.map((e) => `anchor 1t/${e} CPU`)],
  ];
  for (const f of families) {
    const get = (e: string) => resultOf(m.results, e, f.name);
    const anchorCpu = Math.min(...oneThread.map((e) => get(e)?.cpuMsPerStep ?? Infinity));
    out[f.name] = {};
    for (const e of tfjsEngines) {
      const ours = get(e)?.cpuMsPerStep;
      if (ours && Number.isFinite(anchorCpu)) out[f.name][e] = anchorCpu / ours;
    }
    rows.push([
      `${f.label} (${f.batch})`,
      ...engines.map((e) => fmt(get(e)?.cpuMsPerStep, 1)),
      ...tfjsEngines.map((e) => fmt(out[f.name][e], 2)),
    ]);
  }
  console.log(
    "\nCPU time per training step (ms, all threads) and the cheapest one-thread anchor's CPU time as a fraction of ours",
  );
  printTable(rows);
  return out;
}

/** The collection's estimated training + evaluation time per engine and profile. */
function estimates(families: Family[], m: Measured): Record<string, Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, Record<string, number>>> = {};
  const rows = [['engine', 'profile', 'nb1', 'nb2', 'nb3', 'nb4', 'nb5', 'total']];
  const benchBatch = (family: string) => families.find((f) => f.name === family)?.batch;
  for (const profile of ['quick', 'full'] as const) {
    const load = workloads(profile);
    for (const n of batchMismatches(load, benchBatch)) m.notes.push(`${profile}: ${n} (its estimate is rougher)`);
    for (const e of [...new Set(m.results.map((r) => r.engine))]) {
      const est = estimateSeconds(load, e, m.results);
      if (est == null) continue;
      (out[e] ??= {})[profile] = est;
      rows.push([e, profile, ...['nb1', 'nb2', 'nb3', 'nb4', 'nb5', 'total'].map((k) => minutes(est[k]))]);
    }
  }
  if (rows.length > 1) {
    console.log(
      '\nEstimated training + evaluation time of the seed notebooks (profiles from the notebooks and COLLECTION; ' +
        'excludes data loading, plotting, notebook start-up)',
    );
    printTable(rows);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args == null) return;
  const families = FAMILIES.filter((f) => args.families.includes(f.name));
  const m: Measured = {
    results: [],
    notes: ['inputs are seeded random numbers (throughput does not depend on pixel values)'],
    backends: {},
    anchors: {},
  };
  // libtensorflow (tfjs-node) logs its CPU features on load unless told otherwise.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const paths = await resolvePaths(args.backends, m);
  const { ready, status } = prepareAnchors(args.anchors, args.install);
  m.anchors = status;
  // Family by family, every engine back to back (anchors right after tfjs): on a shared machine the
  // load changes by the minute, so engines measured minutes apart are not comparable.
  for (const f of families) await measureFamily(f, paths, ready, args, m);
  for (const backend of paths) console.error(m.backends[backend]);

  const ratios = throughputRatios(families, m);
  printThroughput(families, m, ratios);
  const cpu = cpuRatios(families, m);
  const est = estimates(families, m);
  for (const [name, s] of Object.entries(m.anchors))
    console.log(s.skipped ? `anchor ${name}: skipped (${s.skipped})` : `anchor ${name}: ${s.version}`);
  for (const n of m.notes) console.log(`note: ${n}`);

  const outDir = projectPath('out');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const record = {
    date: new Date().toISOString(),
    tfjs: tf.version_core,
    anchors: m.anchors,
    backends: m.backends,
    autoPath: m.autoPath,
    args,
    results: m.results,
    ratios,
    cpuRatios: cpu,
    estimates: est,
    notes: m.notes,
    load: loadavg(),
  };
  writeFileSync(file, JSON.stringify(record, null, 2));
  console.log(`\nwrote ${file}`);
}

main().catch((e) => {
  console.error(e instanceof Error && e.message.startsWith('bench:') ? e.message : e);
  process.exit(1);
});

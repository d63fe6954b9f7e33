/**
 * The bench's estimate of the collection's wall time: how many images each seed notebook trains
 * and evaluates, read from the notebooks' own parameters cells (the full profile) and from
 * COLLECTION's quick values on top (the quick profile), times the measured throughput.
 */
import { COLLECTION, NOTEBOOKS_DIR, Profile } from '../lib/runner/collection';
import { readNotebook } from '../lib/runner/notebook';
import { notebookParameters } from '../lib/runner/parameters';
import { join } from 'node:path';
import { Result } from './bench-anchors';

/** Samples and epochs of one notebook's training runs of one family, in one profile. */
export interface Workload {
  nb: string;
  family: string;
  runs: number;
  batch: number;
  train: number;
  epochs: number;
  evalPerEpoch: number;
  evalOnce: number;
}

type Params = Record<string, number>;

/** Iris has 150 rows; notebook 3 splits off a test share, then a validation share of the rest. */
const IRIS_ROWS = 150;

/** How each seed notebook's parameters turn into workloads (what its cells train and evaluate). */
const NOTEBOOKS: Array<{ nb: string; file: string; workloads: (p: Params) => Omit<Workload, 'nb'>[] }> = [
  {
    nb: 'nb1',
    file: '01_lenet_mnist_bn.ipynb',
    // Without and with BN, then the test set once each.
    workloads: (p) => [
      {
        family: 'lenet',
        runs: 2,
        batch: p.batchSize,
        train: p.trainCount,
        epochs: p.epochs,
        evalPerEpoch: 0,
        evalOnce: p.testCount,
      },
    ],
  },
  {
    nb: 'nb2',
    file: '02_why_bn_small_cifar_cnn.ipynb',
    workloads: (p) => [
      {
        family: 'small_cnn',
        runs: 1,
        batch: p.batchSize,
        train: p.trainCount,
        epochs: p.epochs,
        evalPerEpoch: p.testCount,
        evalOnce: 0,
      },
    ],
  },
  {
    nb: 'nb3',
    file: '03_iris_deep_mlp.ipynb',
    workloads: (p) => {
      const rest = Math.round(IRIS_ROWS * (1 - p.testSize));
      const val = Math.round(rest * p.validationSplit);
      return [
        {
          family: 'iris',
          runs: 2,
          batch: p.batchSize,
          train: rest - val,
          epochs: p.epochs,
          evalPerEpoch: val,
          evalOnce: 0,
        },
      ];
    },
  },
  {
    nb: 'nb4',
    file: '04_cifar_vgg_bn.ipynb',
    workloads: (p) => {
      const val = Math.round(p.trainCount * p.validationSize);
      return [
        {
          family: 'vgg',
          runs: 1,
          batch: p.batchSize,
          train: p.trainCount - val,
          epochs: p.epochs,
          evalPerEpoch: val,
          evalOnce: p.testCount,
        },
      ];
    },
  },
  {
    nb: 'nb5',
    file: '05_lenet_shuffle.ipynb',
    // Part 1 trains one LeNet; part 2 three 1x1-stride-5 variants, shuffled in different ways.
    workloads: (p) => [
      {
        family: 'lenet',
        runs: 1,
        batch: p.batchSize,
        train: p.trainCount,
        epochs: p.epochs,
        evalPerEpoch: 0,
        evalOnce: p.testCount,
      },
      {
        family: 'lenet_s5',
        runs: 3,
        batch: p.batchSize,
        train: p.shuffleTrainCount,
        epochs: p.shuffleEpochs,
        evalPerEpoch: 0,
        evalOnce: p.shuffleTestCount,
      },
    ],
  },
];

/** The numeric parameters of a notebook: its defaults, with the quick profile's values over them. */
function parameters(file: string, profile: Profile): Params {
  const params: Params = {};
  for (const spec of notebookParameters(readNotebook(join(NOTEBOOKS_DIR, file)), file))
    if (typeof spec.default === 'number') params[spec.name] = spec.default;
  if (profile === 'quick') {
    const entry = COLLECTION.find((e) => e.notebook === file);
    if (entry == null) throw new Error(`${file} is not in COLLECTION (lib/runner/collection.ts)`);
    for (const [k, v] of Object.entries(entry.quick)) if (typeof v === 'number') params[k] = v;
  }
  return params;
}

/** The seed notebooks' workloads in one profile. */
export function workloads(profile: Profile): Workload[] {
  return NOTEBOOKS.flatMap(({ nb, file, workloads: make }) => {
    const p = parameters(file, profile);
    return make(p).map((w) => {
      const missing = Object.entries(w).filter(([, v]) => typeof v === 'number' && !Number.isFinite(v));
      if (missing.length) throw new Error(`${file}: no numeric parameter for ${missing.map(([k]) => k).join(', ')}`);
      return { nb, ...w };
    });
  });
}

/**
 * Seconds one engine needs for a profile's training and evaluation, from measured throughput.
 * Training counts whole batches (a partial last batch costs about a full step: iris is all
 * overhead) when the notebook's batch is the measured one, else images over throughput (another
 * batch size costs differently per image: the figure is rougher). fit's per-epoch bookkeeping and
 * data loading are not included. Undefined when the engine lacks a family.
 */
export function estimateSeconds(
  profile: Workload[],
  engine: string,
  results: Result[],
): Record<string, number> | undefined {
  const perNb: Record<string, number> = {};
  for (const w of profile) {
    const r = results.find((x) => x.engine === engine && x.family === w.family);
    if (r == null) return undefined;
    const train = w.batch === r.batch ? (Math.ceil(w.train / r.batch) * r.msPerStep) / 1000 : w.train / r.imagesPerSec;
    const evalImgs = w.evalPerEpoch * w.epochs + w.evalOnce;
    perNb[w.nb] = (perNb[w.nb] ?? 0) + w.runs * (w.epochs * train + evalImgs / r.evalImagesPerSec);
  }
  perNb.total = Object.values(perNb).reduce((a, b) => a + b, 0);
  return perNb;
}

/** Workloads whose batch differs from the one the bench measures for their family. */
export function batchMismatches(profile: Workload[], benchBatch: (family: string) => number | undefined): string[] {
  return profile
    .filter((w) => benchBatch(w.family) != null && benchBatch(w.family) !== w.batch)
    .map((w) => `${w.nb} trains ${w.family} at batch ${w.batch}, measured at ${benchBatch(w.family)}`);
}

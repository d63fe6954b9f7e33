import { join } from 'node:path';
import { projectPath } from '../project';
import { ParamValue } from './parameters';
import { runNotebook, RunResult } from './execute';

/** One notebook of the collection and its quick-profile parameters. */
export interface CollectionEntry {
  notebook: string;
  /** Small sample counts and epochs: the whole collection in minutes on a laptop. */
  quick: Record<string, ParamValue>;
}

/** Which settings a collection run uses: `quick` (documented small ones) or `full` (the seeds'). */
export type Profile = 'quick' | 'full';

/** The notebooks in teaching order: the five seed notebooks, then the experiments. */
export const COLLECTION: CollectionEntry[] = [
  // Enough steps for BN's moving statistics (momentum 0.99) to settle: ~700 where it is cheap;
  // fewer make inference-mode test scores meaningless (the notebooks then print a warning).
  // Notebook 4's VGG gets ~440 (1% of the initial statistics left), which learns well past chance
  // (0.41 test accuracy measured on the wasm + oneDNN path) and keeps the profile under 5 minutes.
  { notebook: '01_lenet_mnist_bn.ipynb', quick: {} },
  {
    notebook: '02_why_bn_small_cifar_cnn.ipynb',
    quick: { trainCount: 4000, testCount: 1000, epochs: 6, batchSize: 32 },
  },
  { notebook: '03_iris_deep_mlp.ipynb', quick: {} },
  { notebook: '04_cifar_vgg_bn.ipynb', quick: { trainCount: 4000, testCount: 500, epochs: 5 } },
  { notebook: '05_lenet_shuffle.ipynb', quick: {} },
  // The experiments: fewer images and steps than their defaults, still enough for the effects to show.
  {
    notebook: '06_bn_claims_drift_smoothness_lr.ipynb',
    // smoothSteps stays at its default: in fewer steps the plain net has not left its initial plateau.
    quick: { mnistTrainCount: 5000, driftSteps: 500, sweepSteps: 100 },
  },
  {
    notebook: '07_bn_batch_size_modes_dropout.ipynb',
    quick: { cifarTrainCount: 1000, cifarValCount: 500, dropoutEpochs: 5 },
  },
];

/** The project's notebooks folder. */
export const NOTEBOOKS_DIR = projectPath('notebooks');

/** One row of the collection's summary. */
export interface CollectionRow {
  notebook: string;
  parameters: Record<string, ParamValue>;
  result: RunResult;
}

/** Runs every notebook of the collection with a profile's parameters, one after another. */
export async function runCollection(
  profile: Profile,
  outDir: string,
  options: { logOutput?: boolean } = {},
): Promise<CollectionRow[]> {
  const rows: CollectionRow[] = [];
  for (const entry of COLLECTION) {
    const parameters = profile === 'quick' ? entry.quick : {};
    console.error(`\n=== ${entry.notebook} (${profile}) ===`);
    const result = await runNotebook({
      input: join(NOTEBOOKS_DIR, entry.notebook),
      output: join(outDir, entry.notebook),
      parameters,
      logOutput: options.logOutput,
    });
    rows.push({ notebook: entry.notebook, parameters, result });
  }
  return rows;
}

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

/**
 * The notebooks in teaching order: the five seed notebooks, then the experiments. The quick profile
 * must teach what the full run teaches (tests/integration/quick-profile.test.ts checks each lesson's
 * direction); each size below says why it is enough.
 */
export const COLLECTION: CollectionEntry[] = [
  // The seed's settings (50,000 / 10,000 images, one epoch): about a minute on an idle 2-core
  // machine, and BN above plain (0.979 vs 0.965). At 12,000 images BN's moving statistics had not
  // settled and BN came out below plain.
  { notebook: '01_lenet_mnist_bn.ipynb', quick: {} },
  // Only 4,000 / 1,000 CIFAR-10 images exist here. Batch 32 instead of 256 for ~750 steps (6 epochs):
  // at batch 256 the 160 steps leave BN's moving statistics (momentum 0.99) unsettled, and the
  // inference-mode test score says nothing of what the network learned (0.44 vs chance 0.1 at 32).
  {
    notebook: '02_why_bn_small_cifar_cnn.ipynb',
    quick: { trainCount: 4000, testCount: 1000, epochs: 6, batchSize: 32 },
  },
  // The seed's 1,000 epochs take under half a minute; at 200 the two MLPs had not separated.
  { notebook: '03_iris_deep_mlp.ipynb', quick: {} },
  // 4,000 images (all there are here; 2,800 after the validation split) for 8 epochs: ~700 steps
  // settle BN's statistics, and the curves show the lesson, overfitting: training accuracy reaches
  // 0.98 while validation stays near 0.48 (gap 0.50, test 0.47), and validation loss flattens while
  // training loss keeps falling. At 5 epochs the validation numbers still carried BN's unsettled start.
  { notebook: '04_cifar_vgg_bn.ipynb', quick: { trainCount: 4000, testCount: 1000, epochs: 8 } },
  // The seed's settings, under a minute: the label-sorted run ends near chance, far below the
  // shuffled one (0.09 vs 0.67). With 2,000 images and 3 epochs all three runs stayed near 0.2.
  { notebook: '05_lenet_shuffle.ipynb', quick: {} },
  // Half the images and steps: the plain net's inputs already drift several times more than BN's,
  // BN's loss is lower (0.22 vs 0.86), its loss and gradient change less along the gradient, and
  // the sweep already shows BN training at learning rates where plain does not (0.82 at lr 1 vs 0.10). smoothSteps stays: in fewer steps the plain net has not left its
  // initial plateau.
  {
    notebook: '06_bn_claims_drift_smoothness_lr.ipynb',
    quick: { mnistTrainCount: 5000, driftSteps: 500, sweepSteps: 100 },
  },
  // Sections 1 and 2 at their defaults (MNIST MLPs, seconds): renorm ahead of BN at the smallest
  // batches, batch-of-one training mode at chance, momentum 0.9 tracking fastest. Section 3's four
  // CIFAR CNNs on 1,000 training images for the default 12 epochs (~380 steps): dropout closes the
  // train-validation gap (0.31 to 0.09). At 5 epochs (160 steps, 20% of BN's initial moving
  // statistics left) the BN variants scored at chance and their small gap was that artefact; at 12
  // they still trail in validation accuracy (0.19 vs 0.39), which the full 2,000 images would ease.
  {
    notebook: '07_bn_batch_size_modes_dropout.ipynb',
    quick: { cifarTrainCount: 1000, cifarValCount: 500 },
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

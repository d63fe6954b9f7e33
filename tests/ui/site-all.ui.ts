/**
 * `npm run site:check`: all seven notebooks in the JupyterLite site, each opened in headless
 * Chromium from a copy of notebooks/ with small parameters (sized for SwiftShader's WebGL) and run
 * with Run All: every cell ran without an error, no check failed, every chart drew.
 * Screenshots go to out/screenshots/site-NN.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { projectPath } from '../../lib/project';
import { COLLECTION } from '../../lib/runner/collection';
import { readNotebook } from '../../lib/runner/notebook';
import { injectParameters, type ParamValue } from '../../lib/runner/parameters';
import type { SiteServer } from '../../lite/site';
import { CHECKS_FOLDER, launchSiteBrowser, openNotebook, runAllAndCheck, startSite } from './site-driver';

if (!process.env.BN_LAB_MNIST_DIR || !process.env.BN_LAB_CIFAR10_DIR) {
  throw new Error(
    'The site carries real MNIST and CIFAR-10: set BN_LAB_MNIST_DIR and BN_LAB_CIFAR10_DIR (and BN_LAB_IRIS_DIR) first.',
  );
}

/** Per notebook, parameters small enough for a CPU-emulated GPU (the quick profile is sized for native backends). */
const SITE_SMALL: Record<string, Record<string, ParamValue>> = {
  '01_lenet_mnist_bn.ipynb': { trainCount: 1000, testCount: 300 },
  '02_why_bn_small_cifar_cnn.ipynb': { trainCount: 500, testCount: 200, epochs: 2, batchSize: 64 },
  '03_iris_deep_mlp.ipynb': { epochs: 20 },
  '04_cifar_vgg_bn.ipynb': { trainCount: 300, testCount: 100, epochs: 1 },
  '05_lenet_shuffle.ipynb': {
    trainCount: 1000,
    testCount: 300,
    shuffleTrainCount: 500,
    shuffleTestCount: 200,
    shuffleEpochs: 2,
  },
  '06_bn_claims_drift_smoothness_lr.ipynb': {
    mnistTrainCount: 1000,
    mnistTestCount: 300,
    driftSteps: 50,
    smoothSteps: 20,
    sweepSteps: 20,
  },
  '07_bn_batch_size_modes_dropout.ipynb': {
    mnistTrainCount: 500,
    mnistTestCount: 200,
    renormSamples: 200,
    modesEpochs: 1,
    momentumSteps: 30,
    cifarTrainCount: 300,
    cifarValCount: 100,
    dropoutEpochs: 2,
  },
};
const RUN_TIMEOUT_MS = 20 * 60_000;

let site: SiteServer;
let browser: Browser;

before(async () => {
  const copies = Object.fromEntries(
    COLLECTION.map(({ notebook }) => {
      assert.ok(notebook in SITE_SMALL, `no site parameters for ${notebook}`);
      return [notebook, injectParameters(readNotebook(projectPath('notebooks', notebook)), SITE_SMALL[notebook])];
    }),
  );
  site = await startSite(copies);
  browser = await launchSiteBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

describe('every notebook in the JupyterLite site', () => {
  for (const { notebook } of COLLECTION) {
    test(notebook, async () => {
      const { page, errors } = await openNotebook(browser, site, `${CHECKS_FOLDER}/${notebook}`);
      await runAllAndCheck(page, notebook, `site-${notebook.slice(0, 2)}.png`, RUN_TIMEOUT_MS);
      assert.deepEqual(errors, []);
      await page.context().close();
    });
  }
});

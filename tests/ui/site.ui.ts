/**
 * The JupyterLite site in headless Chromium (`npm run test:site`): the TypeScript kernel in its
 * worker (tfjs on WebGL, names across cells, values, errors naming the line, interrupt and the
 * worker restart), notebook 1 with small parameters run from the menu (every cell ran, charts drew,
 * checks green, WebGL named, the progress bar rewritten in place), and an exercise round trip:
 * fill in exercise 1 in the page, run its checks, download it with File > Download and grade the
 * download with `npm run grade`. Screenshots go to out/screenshots/site-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { projectPath } from '../../lib/project';
import { findTaggedCell, readNotebook, type Notebook } from '../../lib/runner/notebook';
import { injectParameters } from '../../lib/runner/parameters';
import { makeExercise } from '../../lib/exercises/generate';
import type { SiteServer } from '../../lite/site';
import { cellLocator, readCells, type CellView } from './frontends';
import {
  assertChartPictures,
  CHECKS_FOLDER,
  LAB,
  SCREENSHOTS,
  downloadNotebook,
  launchSiteBrowser,
  notebookProblems,
  screenshotNotebook,
  runAllAndCheck,
  menu,
  openNotebook,
  startSite,
  waitForRun,
  watchProgress,
} from './site-driver';

if (!process.env.BN_LAB_MNIST_DIR) {
  throw new Error('The site carries real MNIST: set BN_LAB_MNIST_DIR (and the other BN_LAB_*_DIR) first.');
}

/** Small enough for SwiftShader's WebGL, large enough for dozens of progress steps. */
const SMALL = { trainCount: 1000, testCount: 300 };
const RUN_TIMEOUT_MS = 10 * 60_000;

function notebook(sources: string[]): Notebook {
  return {
    cells: sources.map((source) => ({ cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null })),
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  } as Notebook;
}

const KERNEL_CELLS = [
  "import * as tf from '@tensorflow/tfjs';\nawait tf.setBackend('webgl');\nawait tf.ready();\nconsole.log('backend:', tf.getBackend());",
  'const x: tf.Tensor1D = tf.tensor1d([1, 2, 3]);\nfunction sumOfSquares(t: tf.Tensor): number {\n  return t.square().sum().dataSync()[0];\n}',
  'sumOfSquares(x)',
  'const x = tf.tensor1d([4]);\nconsole.warn("redeclared");\nsumOfSquares(x)',
  'typeof sumOfSquares',
];

const WEBGPU_CELLS = [
  // What a notebook's setUpBackend('auto') picks when WebGPU is there but reads back wrong synchronously.
  "import { initBackend, describeBackend } from 'bn-lab';\nconsole.log(describeBackend(await initBackend('auto')));",
  "import * as tf from '@tensorflow/tfjs';\nconsole.log('set:', await tf.setBackend('webgpu'), tf.getBackend());",
  '(await tf.tensor1d([1, 2, 3]).square().sum().data())[0]',
];

const INTERRUPT_CELLS = [
  "const kept = 'still here';",
  // What bn-lab's progress callback does between batches: ask the kernel whether stop was pressed.
  'let batches = 0;\nwhile (!__bnLabKernel.interrupted()) {\n  batches++;\n  await new Promise((r) => setTimeout(r, 20));\n}\nconsole.log("stopped after", batches);',
  'kept',
  'let spins = 0;\nwhile (true) spins++;',
  'typeof kept',
  "const one = 1;\n\nthrow new RangeError('boom at line ' + (one + 2));",
];

/** The text of each output of cell `index`, joined, without the `[n]:` prompt of a cell's value. */
function textOf(cells: CellView[], index: number): string {
  return cells[index].outputs.map((o) => o.text.replace(/^\[\d+\]:\s*/, '')).join('\n');
}

async function stopButton(page: Page): Promise<void> {
  await menu(page, 'Kernel', 'Interrupt Kernel');
}

async function waitForCell(page: Page, index: number, timeoutMs = 60_000): Promise<CellView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cell = (await readCells(page, LAB))[index];
    if (cell.executionCount !== null && !cell.running) return cell;
    if (Date.now() > deadline) throw new Error(`cell ${index} did not finish within ${timeoutMs / 1000} s`);
    await page.waitForTimeout(300);
  }
}

async function runOne(page: Page, index: number): Promise<void> {
  const cell = cellLocator(page, LAB, index);
  await cell.scrollIntoViewIfNeeded();
  await cell.locator(LAB.selectors.editor).first().click();
  await page.keyboard.press('Control+Enter');
}

let site: SiteServer;
let browser: Browser;
/** The exercise as served, to find its cells by their source (JupyterLab renders only cells near the viewport). */
let exerciseSources: string[] = [];

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const nb1 = readNotebook(projectPath('notebooks', '01_lenet_mnist_bn.ipynb'));
  // The student version as `npm run exercises` makes it (exercises/ is generated, not in git).
  const exercise = makeExercise(nb1, '01_lenet_mnist_bn');
  const served = injectParameters(exercise, SMALL);
  exerciseSources = served.cells.map((c) => [c.source].flat().join(''));
  site = await startSite({
    'kernel.ipynb': notebook(KERNEL_CELLS),
    'interrupt.ipynb': notebook(INTERRUPT_CELLS),
    'webgpu.ipynb': notebook(WEBGPU_CELLS),
    'exercise_01.ipynb': served,
  });
  browser = await launchSiteBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

describe('JupyterLite site', () => {
  test('the kernel runs TypeScript with tfjs on WebGL; names, values and redeclarations carry across cells', async () => {
    const { page, errors } = await openNotebook(browser, site, `${CHECKS_FOLDER}/kernel.ipynb`);
    assert.equal(
      await page.evaluate(() => crossOriginIsolated),
      true,
      'the server sends COOP/COEP, so the page is cross-origin isolated',
    );
    await menu(page, 'Run', 'Run All Cells');
    const cells = await waitForRun(page, RUN_TIMEOUT_MS);
    await screenshotNotebook(page, join(SCREENSHOTS, 'site-kernel.png'));
    assert.deepEqual(
      cells.map((c) => c.executionCount),
      [1, 2, 3, 4, 5],
    );
    assert.match(textOf(cells, 0), /backend: webgl/);
    assert.equal(textOf(cells, 2).trim(), '14');
    assert.match(textOf(cells, 3), /redeclared\s+16/);
    assert.equal(textOf(cells, 4).trim(), "'function'");
    // Restart: a new worker, no names left.
    await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Kernel$/ }).click();
    await page
      .locator('.lm-Menu-itemLabel', { hasText: /^Restart Kernel/ })
      .first()
      .click();
    await page.locator('.jp-Dialog button', { hasText: /^Restart$/ }).click();
    await LAB.waitForIdleKernel(page, 60_000);
    await runOne(page, 4);
    assert.equal(
      textOf([await waitForCell(page, 4)], 0).trim(),
      "'undefined'",
      'a restarted kernel has forgotten every name',
    );
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('with WebGPU in the browser, the kernel trains on it too', async () => {
    const webgpuBrowser = await launchSiteBrowser({ webgpu: true });
    try {
      const { page, errors } = await openNotebook(webgpuBrowser, site, `${CHECKS_FOLDER}/webgpu.ipynb`);
      await menu(page, 'Run', 'Run All Cells');
      const cells = await waitForRun(page, RUN_TIMEOUT_MS);
      // SwiftShader's WebGPU returns zeros from dataSync (NOTES.md): the notebooks would read wrong numbers.
      assert.match(textOf(cells, 0), /backend webgl: .*webgpu: a synchronous read \(dataSync\) in a Web Worker gave/);
      assert.match(textOf(cells, 1), /set: true webgpu/);
      assert.equal(textOf(cells, 2).trim(), '14');
      assert.deepEqual(errors, []);
    } finally {
      await webgpuBrowser.close();
    }
  });

  test('stop ends a cell with an interrupt: a cooperative one keeps the state, a busy loop gets a new worker; errors name the line', async () => {
    const { page } = await openNotebook(browser, site, `${CHECKS_FOLDER}/interrupt.ipynb`);
    await runOne(page, 0);
    await waitForCell(page, 0);
    await runOne(page, 1);
    await page.waitForTimeout(1500);
    await stopButton(page);
    const cooperative = await waitForCell(page, 1, 20_000);
    assert.match(cooperative.outputs.map((o) => o.text).join('\n'), /stopped after \d+[\s\S]*KeyboardInterrupt/);
    await runOne(page, 2);
    assert.match((await waitForCell(page, 2)).outputs.map((o) => o.text).join('\n'), /still here/);
    await runOne(page, 3);
    await page.waitForTimeout(1500);
    await stopButton(page);
    const busy = await waitForCell(page, 3, 30_000);
    assert.match(busy.outputs.map((o) => o.text).join('\n'), /KeyboardInterrupt[\s\S]*restarting the kernel's worker/);
    await runOne(page, 4);
    assert.match(
      (await waitForCell(page, 4)).outputs.map((o) => o.text).join('\n'),
      /undefined/,
      'the new worker starts empty',
    );
    await runOne(page, 5);
    const failing = await waitForCell(page, 5);
    await screenshotNotebook(page, join(SCREENSHOTS, 'site-interrupt.png'));
    assert.match(
      failing.outputs.map((o) => o.text).join('\n'),
      /RangeError: boom at line 3\s+at cell line 3: throw new RangeError/,
    );
    await page.context().close();
  });

  test('notebook 1 as served, small parameters typed in: Run All, every cell ran, charts drew, checks green, WebGL, progress in place', async () => {
    // The site's own copy of notebooks/ (unedited), with the parameters changed in the page as a student would.
    const { page, errors } = await openNotebook(browser, site, 'notebooks/01_lenet_mnist_bn.ipynb');
    const lesson = readNotebook(projectPath('notebooks', '01_lenet_mnist_bn.ipynb'));
    const index = findTaggedCell(lesson, 'parameters');
    let parameters = [lesson.cells[index].source].flat().join('');
    for (const [name, value] of Object.entries(SMALL)) {
      const line = new RegExp(`^(const ${name} = )[^;]+;`, 'm');
      assert.match(parameters, line, `the parameters cell sets ${name}`);
      parameters = parameters.replace(line, `$1${value};`);
    }
    await cellLocator(page, LAB, index).scrollIntoViewIfNeeded();
    await cellLocator(page, LAB, index).locator('.cm-content').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText(parameters);
    const progress = await watchProgress(page);
    const { text, charts } = await runAllAndCheck(page, '01_lenet_mnist_bn.ipynb', 'site-01.png', RUN_TIMEOUT_MS);
    assert.match(text, /backend webgl/, 'the backend line names WebGL');
    assert.equal((text.match(/✔ 통과/g) ?? []).length, 3, 'three green check boxes');
    assert.ok(charts.length >= 2, `chart outputs: ${charts.length}`);
    const first = page.locator('.jp-RenderedPlotly').first();
    await first.scrollIntoViewIfNeeded();
    await first.hover({ timeout: 10_000 });
    let interactive = 0;
    for (let tries = 0; tries < 20 && interactive === 0; tries++) {
      await page.waitForTimeout(500);
      interactive = (await readCells(page, LAB))
        .flatMap((c) => c.outputs)
        .filter((o) => o.plotlyRenderer && o.plots > 0 && o.marks > 0).length;
    }
    assert.ok(interactive >= 1, 'a chart draws interactively under the pointer');
    const { rewrites, maxBarsPerCell } = await progress();
    assert.ok(rewrites >= 5, `the progress bar was rewritten in place (${rewrites} times)`);
    assert.ok(maxBarsPerCell <= 1, `one progress bar per training cell (saw ${maxBarsPerCell})`);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('exercise round trip: fill in exercise 1 in the page, check, download, grade with full points', async () => {
    const { page } = await openNotebook(browser, site, `${CHECKS_FOLDER}/exercise_01.ipynb`);
    const cells = await readCells(page, LAB);
    const todo = (needle: string) => exerciseSources.findIndex((s) => s.includes(needle));
    const bnCell = todo('function lenet(');
    const trainCell = todo('async function trainAndTest(');
    assert.ok(bnCell > 0 && trainCell > 0, `found the exercise cells (${bnCell}, ${trainCell}) among ${cells.length}`);
    const solution = readNotebook(projectPath('notebooks', '01_lenet_mnist_bn.ipynb'));
    const solved = (needle: string) => {
      const cell = solution.cells.find((c) => [c.source].flat().join('').includes(needle));
      assert.ok(cell, needle);
      return [cell.source].flat().join('');
    };
    for (const [index, needle] of [
      [bnCell, 'function lenet('],
      [trainCell, 'async function trainAndTest('],
    ] as const) {
      await cellLocator(page, LAB, index).scrollIntoViewIfNeeded();
      const editor = cellLocator(page, LAB, index).locator('.cm-content');
      await editor.click();
      await page.keyboard.press('Control+a');
      await page.keyboard.insertText(solved(needle));
    }
    await menu(page, 'Run', 'Run All Cells');
    const ran = await waitForRun(page, RUN_TIMEOUT_MS);
    await screenshotNotebook(page, join(SCREENSHOTS, 'site-exercise.png'));
    const all = ran.flatMap((c) => c.outputs.map((o) => o.text)).join('\n');
    assert.equal((all.match(/✔ 통과/g) ?? []).length, 3, `three green checks:\n${all.slice(0, 2000)}`);
    const file = projectPath('out', 'site-test-download', 'student_01.ipynb');
    const downloaded = await downloadNotebook(page, file);
    assert.deepEqual(notebookProblems(downloaded), []);
    assert.ok(
      downloaded.cells.some((c) => [c.source].flat().join('').includes('tf.layers.batchNormalization()')),
      'the download holds the student edit',
    );
    assertChartPictures(downloaded);
    const out = projectPath('out', 'site-test-grades');
    const grade = spawnSync(
      process.execPath,
      [
        'dist/scripts/grade.js',
        file,
        '--out',
        out,
        '-p',
        'trainCount',
        String(SMALL.trainCount),
        '-p',
        'testCount',
        String(SMALL.testCount),
      ],
      { cwd: projectPath('.'), encoding: 'utf8', timeout: RUN_TIMEOUT_MS },
    );
    assert.equal(grade.status, 0, `npm run grade failed:\n${grade.stdout}\n${grade.stderr}`);
    const [header, row] = readFileSync(join(out, 'grades.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    const field = (name: string) => row[header.indexOf(name)];
    assert.equal(field('exercise'), '01_lenet_mnist_bn', row.join(','));
    assert.equal(field('max'), '7', row.join(','));
    assert.equal(field('points'), '7', `full points: ${row.join(',')}`);
    assert.equal(field('flagged'), 'no', row.join(','));
    await page.context().close();
  });
});

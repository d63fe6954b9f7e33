/**
 * Notebook 1 in real front ends, driven through Chromium like a user: JupyterLab 4.6 and
 * Notebook 7, as `npm install` puts them in .venv/ (or BN_LAB_PYTHON's). For each front end:
 *   1. Run All on a small copy: every cell ran, the progress bar was rewritten in place, every chart
 *      drew, no page errors from our outputs;
 *   2. a notebook executed by nbclient (untrusted, so its HTML is sanitized): plotly's renderer
 *      extension (from the `plotly` wheel) draws every chart from its plotly JSON;
 *   3. a page that never received plotly.js (reloaded, outputs cleared) re-runs a chart cell in the
 *      same kernel: the chart draws.
 * Screenshots go to out/screenshots/. Run with `npm run test:jupyter`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { readNotebook, writeNotebook, Notebook, Output, sourceOf } from '../../lib/runner/notebook';
import { injectParameters, notebookParameters } from '../../lib/runner/parameters';
import { Frontend, frontendPython, JupyterServer, PROJECT_ROOT, startJupyter } from '../../scripts/jupyter/server';
import {
  CellView,
  DisplayUpdates,
  OutputView,
  FrontendDriver,
  PageErrors,
  cellLocator,
  driverFor,
  launchBrowser,
  readCells,
  runCell,
  saveNotebook,
} from './frontends';

const NOTEBOOK = join(PROJECT_ROOT, 'notebooks', '01_lenet_mnist_bn.ipynb');
const OUT = join(PROJECT_ROOT, 'out', 'ui');
const SCREENSHOTS = join(PROJECT_ROOT, 'out', 'screenshots');
/** Small enough for a few seconds of training per model, large enough for dozens of progress steps. */
const SMALL = { trainCount: 2000, testCount: 500 };
const RUN_ALL_TIMEOUT_MS = 8 * 60_000;

if (!process.env.BN_LAB_MNIST_DIR) {
  throw new Error('The UI tests train on real MNIST: set BN_LAB_MNIST_DIR (and the other BN_LAB_*_DIR) first.');
}

/** The nbclient-executed notebook, made once with the project's own CLI (as `npm run notebook` does). */
let executed: string;
before(() => {
  // The chart checks look at plotly's renderer extension, which the `plotly` wheel installs.
  const list = spawnSync(frontendPython('lab'), ['-m', 'jupyter', 'labextension', 'list'], { encoding: 'utf8' });
  assert.match(
    `${list.stdout}${list.stderr}`,
    /jupyterlab-plotly .*enabled/,
    "plotly's JupyterLab extension is missing: `npm run python` installs it with requirements.txt's plotly",
  );
  mkdirSync(OUT, { recursive: true });
  executed = join(OUT, '01.ipynb');
  const args = ['dist/scripts/run-notebook.js', NOTEBOOK, executed];
  for (const [name, value] of Object.entries(SMALL)) args.push('-p', name, String(value));
  const run = spawnSync(process.execPath, args, { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: RUN_ALL_TIMEOUT_MS });
  assert.equal(run.status, 0, `npm run notebook failed:\n${run.stdout}\n${run.stderr}`);
});

/** A chart output: plotly's JSON MIME type, or the HTML chart div this project draws into. */
function isChart(output: Output): boolean {
  const data = output.data ?? {};
  if ('application/vnd.plotly.v1+json' in data) return true;
  const html = data['text/html'];
  return typeof html === 'string' || Array.isArray(html) ? [html].flat().join('').includes('bn-lab-chart') : false;
}

/**
 * Whether a front end shows an output at all: both skip outputs with no MIME type they render
 * (the scrapbook records), so the page's output areas are the file's outputs minus those.
 */
function isShown(output: Output): boolean {
  if (output.output_type === 'stream' || output.output_type === 'error') return true;
  return Object.keys(output.data ?? {}).some((mime) => mime.startsWith('text/') || mime.startsWith('image/'));
}

/**
 * The output areas a front end shows for a cell: both merge consecutive stream outputs of the same
 * stream (ten console.log lines are one area), and skip outputs they cannot render.
 */
function shownOutputs(outputs: Output[]): Output[] {
  return outputs.filter(isShown).filter((o, i, all) => {
    const prev = all[i - 1];
    return !(o.output_type === 'stream' && prev?.output_type === 'stream' && prev.name === o.name);
  });
}

/** [cell index, index among the page's output areas of that cell] of every chart in a notebook. */
function chartOutputs(nb: Notebook): [number, number][] {
  return nb.cells.flatMap((cell, c) =>
    shownOutputs(cell.outputs ?? []).flatMap((o, i): [number, number][] => (isChart(o) ? [[c, i]] : [])),
  );
}

/** The index of the first code cell whose source matches. */
function cellIndex(nb: Notebook, pattern: RegExp): number {
  const i = nb.cells.findIndex((c) => c.cell_type === 'code' && pattern.test(sourceOf(c)));
  assert.ok(i >= 0, `no cell matches ${pattern}`);
  return i;
}

function describeOutput(cells: CellView[], [c, i]: [number, number]): string {
  return `cell ${c} output ${i}: ${JSON.stringify(cells[c]?.outputs[i] ?? 'missing')}`;
}

/** Scrolls cell `index` to the top of the view and saves a screenshot of the window. */
async function screenshot(page: Page, driver: FrontendDriver, index: number, name: string): Promise<string> {
  await cellLocator(page, driver, index).evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.waitForTimeout(500);
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Waits until every code cell has an execution count and none is queued or running. */
async function waitForAllRan(page: Page, driver: FrontendDriver, timeoutMs: number): Promise<CellView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cells = await readCells(page, driver);
    const code = cells.filter((c) => c.kind === 'code');
    if (code.length > 0 && code.every((c) => c.executionCount !== null && !c.running)) return cells;
    if (Date.now() > deadline) {
      const pending = code.filter((c) => c.executionCount === null || c.running).map((c) => c.index);
      throw new Error(`Run All did not finish in ${timeoutMs / 1000} s; cells not run: ${pending.join(', ')}`);
    }
    await page.waitForTimeout(1000);
  }
}

const drawn = (out: OutputView | undefined) => !!out && out.traces > 0 && out.marks > 0;

/** Reads the cells until `done` holds for output [cell, output] (or the time is up) and returns them. */
async function waitForOutput(
  page: Page,
  driver: FrontendDriver,
  [c, i]: [number, number],
  done: (out: OutputView | undefined) => boolean,
  timeoutMs = 20000,
): Promise<CellView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cells = await readCells(page, driver);
    if (done(cells[c]?.outputs[i]) || Date.now() > deadline) return cells;
    await page.waitForTimeout(500);
  }
}

/**
 * What a user sees of chart [cell, output]: first (`shown`), then after moving the pointer onto it
 * (`interactive`). plotly's renderer extension shows the bundle's PNG until the pointer enters the
 * chart, then draws the interactive chart from the plotly JSON.
 */
async function lookAtChart(
  page: Page,
  driver: FrontendDriver,
  chart: [number, number],
): Promise<{ shown: OutputView | undefined; interactive: OutputView | undefined; cells: CellView[] }> {
  const [c, i] = chart;
  let cells = await waitForOutput(page, driver, chart, (o) => !!o && (o.images > 0 || drawn(o)));
  const shown = cells[c]?.outputs[i];
  const output = cellLocator(page, driver, c).locator(driver.selectors.output).nth(i);
  await output.locator('.jp-RenderedPlotly').hover({ timeout: 10_000 });
  cells = await waitForOutput(page, driver, chart, drawn);
  return { shown, interactive: cells[c]?.outputs[i], cells };
}

/** Both by default; BN_LAB_UI_FRONTENDS=lab (or notebook) narrows a run while debugging one of them. */
const FRONTENDS = (process.env.BN_LAB_UI_FRONTENDS ?? 'lab,notebook').split(',').map((f) => {
  if (f !== 'lab' && f !== 'notebook') throw new Error(`BN_LAB_UI_FRONTENDS: unknown front end "${f}" (lab, notebook)`);
  return f as Frontend;
});

for (const frontend of FRONTENDS) {
  const label = frontend === 'lab' ? 'JupyterLab 4' : 'Notebook 7';
  describe(`notebook 1 in ${label}`, () => {
    const driver = driverFor(frontend);
    const dir = join(OUT, frontend);
    const small = join(dir, '01_small.ipynb');
    const executedCopy = join(dir, '01_executed.ipynb');
    let server: JupyterServer | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let errors: PageErrors;
    let updates: DisplayUpdates;

    before(async () => {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      mkdirSync(SCREENSHOTS, { recursive: true });
      // The copy sits in out/ui/<front end>/, so the digit's relative path is made absolute.
      const nb = injectParameters(
        readNotebook(NOTEBOOK),
        { ...SMALL, imagePath: join(PROJECT_ROOT, 'data', '2.png') },
        NOTEBOOK,
      );
      writeNotebook(small, nb);
      copyFileSync(executed, executedCopy);
      server = await startJupyter({ frontend });
      browser = await launchBrowser();
      page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      page.on('dialog', (d) => void d.accept()); // "leave page with unsaved changes?" on reload
      errors = new PageErrors(page, server.url);
      updates = new DisplayUpdates(page);
    });

    after(async () => {
      // Both run even when a test failed; stop() ends the kernels too.
      await browser?.close().catch(() => undefined);
      await server?.stop();
      if (errors?.jupyters.length)
        console.log(`# ${label}'s own page errors (not counted):\n# ${errors.jupyters.join('\n# ')}`);
    });

    test('1. Run All: every cell ran, progress rewritten in place, every chart drew, no errors from outputs', async () => {
      await page.goto(server!.notebookUrl(relative(PROJECT_ROOT, small)));
      await driver.waitForIdleKernel(page, 120_000);
      await driver.runAll(page);
      // A picture of a bar mid-epoch, when the page shows one (a fast machine may finish first).
      const running = page.locator(driver.selectors.output, { hasText: 'ETA:' }).first();
      if (
        await running.waitFor({ timeout: 120_000 }).then(
          () => true,
          () => false,
        )
      ) {
        await running.evaluate((el) => el.scrollIntoView({ block: 'center' }));
        await page.screenshot({ path: join(SCREENSHOTS, `${frontend}-1-progress-running.png`) });
      }
      const cells = await waitForAllRan(page, driver, RUN_ALL_TIMEOUT_MS);
      await saveNotebook(page, small);
      const saved = readNotebook(small);
      const batchSize = Number(notebookParameters(saved).find((p) => p.name === 'batchSize')?.default);

      // Every code cell ran once, in order, without an error output.
      const counts = saved.cells.filter((c) => c.cell_type === 'code').map((c) => c.execution_count);
      assert.deepEqual(
        counts,
        counts.map((_, i) => i + 1),
        'execution counts 1..n in the saved notebook',
      );
      const errorOutputs = saved.cells.flatMap((c) => (c.outputs ?? []).filter((o) => o.output_type === 'error'));
      assert.deepEqual(
        errorOutputs.map((o) => `${o.ename}: ${o.evalue}`),
        [],
        'no error outputs',
      );

      // Each model's progress is one output, rewritten by update_display_data, ending on the final epoch line.
      for (const [pattern, name] of [
        [/trainAndTest\(false\)/, 'BN 없음'],
        [/trainAndTest\(true\)/, 'BN 있음'],
      ] as const) {
        const c = cellIndex(saved, pattern);
        const progress = cells[c].outputs.filter((o) => /\[[=>.]{10,}\]/.test(o.text)); // a Keras-style bar
        assert.equal(
          progress.length,
          1,
          `cell ${c}: one progress output for ${name}, got ${JSON.stringify(cells[c].outputs)}`,
        );
        const steps = Math.ceil(SMALL.trainCount / batchSize);
        assert.match(
          progress[0].text,
          new RegExp(`${name}.*\\n${steps}/${steps} \\[=+\\] - .*loss: \\d`),
          `final epoch line for ${name}`,
        );
        assert.doesNotMatch(progress[0].text, /ETA:/, 'the final text replaced the running one');
      }
      assert.ok(
        updates.inPlaceProgress >= 2,
        `progress updates sent in place (update_display_data): ${updates.inPlaceProgress}`,
      );

      // Every chart shows (its picture), and draws its data as plotly SVG once the pointer is on it.
      const charts = chartOutputs(saved);
      assert.ok(charts.length >= 2, `the comparison and probability charts are outputs: ${JSON.stringify(charts)}`);
      for (const chart of charts) {
        const { shown, interactive, cells: view } = await lookAtChart(page, driver, chart);
        assert.ok(shown && (shown.images > 0 || drawn(shown)), `chart visible: ${describeOutput(view, chart)}`);
        assert.ok(interactive?.plotlyRenderer && drawn(interactive), `chart drew: ${describeOutput(view, chart)}`);
      }
      await screenshot(page, driver, cellIndex(saved, /trainAndTest\(false\)/), `${frontend}-1-run-all-progress`);
      await screenshot(page, driver, charts[0][0], `${frontend}-1-run-all-chart`);
      assert.deepEqual(errors.ours, [], 'no page errors from the outputs');
    });

    test('3. after a reload, re-running a chart cell in the same kernel draws the chart', async () => {
      // A page that has never received plotly.js: the outputs that carried it are cleared and saved,
      // then the page reloads (as after a browser restart); the kernel stays the same.
      const sessionsBefore = await (await fetch(`${server!.url}api/sessions`)).json();
      await driver.clearAllOutputs(page);
      await saveNotebook(page, small);
      await page.reload();
      await driver.waitForIdleKernel(page, 60_000);
      const sessionsAfter = await (await fetch(`${server!.url}api/sessions`)).json();
      const kernelIds = (s: { kernel: { id: string } }[]) => s.map((x) => x.kernel.id).sort();
      assert.deepEqual(kernelIds(sessionsAfter), kernelIds(sessionsBefore), 'the reloaded page uses the same kernel');

      const nb = readNotebook(small);
      const chartCell = cellIndex(nb, /plotComparison\(/);
      const errorsBefore = errors.ours.length;
      await runCell(page, driver, chartCell);
      const deadline = Date.now() + 60_000;
      let cells: CellView[];
      do {
        await page.waitForTimeout(500);
        cells = await readCells(page, driver);
      } while ((cells[chartCell].executionCount === null || cells[chartCell].running) && Date.now() < deadline);
      assert.ok(
        cells[chartCell].executionCount! > nb.cells.filter((c) => c.cell_type === 'code').length,
        'the cell ran again in the same kernel',
      );
      const chartAt = cells[chartCell].outputs.findIndex((o) => o.plotlyRenderer);
      assert.ok(chartAt >= 0, `a chart output after the reload: ${JSON.stringify(cells[chartCell].outputs)}`);
      const { interactive } = await lookAtChart(page, driver, [chartCell, chartAt]);
      await screenshot(page, driver, chartCell, `${frontend}-3-reload-rerun`);
      assert.ok(drawn(interactive), `the chart drew after the reload: ${JSON.stringify(interactive)}`);
      assert.deepEqual(errors.ours.slice(errorsBefore), [], 'no page errors from the outputs');
    });

    test("2. an nbclient-executed (untrusted) notebook shows every chart, drawn by plotly's renderer", async () => {
      const nb = readNotebook(executedCopy);
      const charts = chartOutputs(nb);
      assert.ok(charts.length >= 2, `the executed notebook has its charts: ${JSON.stringify(charts)}`);
      const errorsBefore = errors.ours.length;
      await page.goto(server!.notebookUrl(relative(PROJECT_ROOT, executedCopy)));
      await page.locator(driver.selectors.cell).first().waitFor();
      await page.waitForTimeout(3000); // pictures decode, any allowed drawing runs
      const cells = await readCells(page, driver);
      assert.equal(cells.length, nb.cells.length, 'every cell is on the page');
      await screenshot(page, driver, charts[0][0], `${frontend}-2-executed-chart`);
      for (const chart of charts) {
        // The sanitizer removed the HTML chart's script: what draws here is plotly's renderer, from
        // the plotly JSON, which is the interactive chart an untrusted notebook still gets.
        const { shown, interactive, cells: view } = await lookAtChart(page, driver, chart);
        assert.ok(shown && (shown.images > 0 || drawn(shown)), `chart visible: ${describeOutput(view, chart)}`);
        assert.ok(
          interactive?.plotlyRenderer && drawn(interactive),
          `chart drawn by plotly's renderer extension: ${describeOutput(view, chart)}`,
        );
      }
      await screenshot(page, driver, charts[0][0], `${frontend}-2-executed-chart-interactive`);
      assert.deepEqual(errors.ours.slice(errorsBefore), [], 'no page errors from the outputs');
    });
  });
}

/**
 * Drives the JupyterLite site in headless Chromium like a student: builds the site (with extra
 * notebooks the tests make from notebooks/ with small parameters), serves it with the
 * cross-origin isolation headers, opens a notebook, runs it from the menus, and reads back what
 * the page shows. The lab pages are JupyterLab 4, so the JupyterLab driver's selectors apply.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { projectPath } from '../../lib/project';
import { writeNotebook, type Notebook } from '../../lib/runner/notebook';
import { buildSite, buildSiteParts, serveSite, type SiteServer } from '../../lite/site';
import { CHROMIUM } from '../helpers/browser';
import { driverFor, readCells, type CellView, type OutputView } from './frontends';

/** The JupyterLab driver: JupyterLite's lab pages are JupyterLab 4.6. */
export const LAB = driverFor('lab');
/** The folder the tests' own notebook copies appear under in the site. */
export const CHECKS_FOLDER = 'checks';
/** Screenshots the tests save, to look at. */
export const SCREENSHOTS = projectPath('out', 'screenshots');

/** Builds the site into out/site-test/ with `notebooks` (file name → notebook) in checks/, and serves it. */
export async function startSite(notebooks: Record<string, Notebook>): Promise<SiteServer> {
  const root = projectPath('.');
  const checks = projectPath('out', 'site-test-checks', CHECKS_FOLDER);
  rmSync(checks, { recursive: true, force: true });
  mkdirSync(checks, { recursive: true });
  for (const [name, nb] of Object.entries(notebooks)) writeNotebook(join(checks, name), nb);
  buildSiteParts(root);
  const outDir = projectPath('out', 'site-test');
  await buildSite({ root, outDir, extraContents: [checks] });
  return serveSite(outDir, 0);
}

/**
 * Headless Chromium with WebGL on SwiftShader; with `webgpu`, also WebGPU on SwiftShader through
 * Vulkan (the flags NOTES.md lists). Without them the page has no WebGPU adapter, as on many
 * school machines, and bn-lab's 'auto' picks WebGL.
 */
export function launchSiteBrowser(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const webgpu = [
    '--enable-unsafe-webgpu',
    '--enable-features=Vulkan',
    '--use-vulkan=swiftshader',
    '--use-webgpu-adapter=swiftshader',
  ];
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      ...(options.webgpu ? webgpu : []),
    ],
  });
}

/** Everything the page reported as an error while a test drove it. */
export interface SitePage {
  page: Page;
  errors: string[];
}

/** Opens a notebook of the site in JupyterLab and waits for its TypeScript kernel to be idle. */
export async function openNotebook(browser: Browser, site: SiteServer, path: string): Promise<SitePage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  // Nothing may leave the machine: the site carries its modules, data and plotly.js.
  await context.route('**/*', (route) =>
    route.request().url().startsWith(site.url) ? route.continue() : route.abort(),
  );
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  await page.goto(`${site.url}lab/index.html?path=${encodeURIComponent(path)}`);
  await LAB.waitForIdleKernel(page, 120_000);
  return { page, errors };
}

/** Downloads the open notebook with File > Download, as a student hands it in, and returns it. */
export async function downloadNotebook(page: Page, file: string): Promise<Notebook> {
  const download = page.waitForEvent('download');
  await menu(page, 'File', 'Download');
  await (await download).saveAs(file);
  return JSON.parse(readFileSync(file, 'utf8')) as Notebook;
}

/** The problems a downloaded notebook records: error outputs, and code cells that never ran. */
export function notebookProblems(nb: Notebook): string[] {
  return nb.cells.flatMap((cell, index) => {
    if (cell.cell_type !== 'code') return [];
    const errors = (cell.outputs ?? []).filter((o) => o.output_type === 'error');
    return [
      ...errors.map((o) => `cell ${index}: ${String(o.ename)}: ${String(o.evalue)}`),
      ...(cell.execution_count == null ? [`cell ${index} did not run`] : []),
    ];
  });
}

/** stderr text in a downloaded notebook (library warnings a student would see), per cell. */
export function stderrOf(nb: Notebook): string[] {
  return nb.cells.flatMap((cell, index) =>
    (cell.outputs ?? [])
      .filter((o) => o.output_type === 'stream' && o.name === 'stderr')
      .map((o) => `cell ${index}: ${[o.text].flat().join('')}`),
  );
}

/** Runs a JupyterLab menu command by its menu and item labels. */
export async function menu(page: Page, name: string, item: string): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${name}$`) }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${item}$`) }).click();
}

/**
 * Makes the window as tall as the notebook's cells (up to 16,000 px) and scrolls it to the top, so
 * JupyterLab renders every cell (it skips off-screen ones) and a screenshot shows the whole notebook.
 */
export async function fitViewport(page: Page): Promise<void> {
  for (let i = 0; i < 3; i++) {
    // The cells' own extent: the scroller's height also holds the "scroll past the end" space.
    const height = await page.evaluate(() => {
      const scroller = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
      if (scroller) scroller.scrollTop = 0;
      const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Cell'));
      if (!cells.length) return 0;
      return cells[cells.length - 1].getBoundingClientRect().bottom - cells[0].getBoundingClientRect().top;
    });
    const want = Math.min(16_000, Math.max(1000, Math.ceil(height) + 250));
    if (Math.abs((page.viewportSize()?.height ?? 0) - want) < 50) return;
    await page.setViewportSize({ width: 1400, height: want });
    await page.waitForTimeout(300);
  }
}

/** Saves a screenshot of the whole notebook. */
export async function screenshotNotebook(page: Page, file: string): Promise<void> {
  await fitViewport(page);
  await page.screenshot({ path: file });
}

/**
 * Waits until a run ends: every code cell has its number and none is running, or a cell failed
 * (JupyterLab stops Run All there). Returns the cells as the page shows them.
 */
export async function waitForRun(page: Page, timeoutMs: number): Promise<CellView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await fitViewport(page);
    const cells = await readCells(page, LAB);
    const code = cells.filter((c) => c.kind === 'code');
    const failed =
      code.some((c) => c.outputs.some((o) => /Error|Interrupt/.test(o.text) && !c.running)) &&
      !code.some((c) => c.running);
    if (failed || (code.every((c) => c.executionCount !== null) && !code.some((c) => c.running))) return cells;
    if (Date.now() > deadline) throw new Error(`the run did not finish within ${timeoutMs / 1000} s`);
    await page.waitForTimeout(1000);
  }
}

/**
 * Counts, in the page, how often a progress bar (an output with an ETA) changed its text while its
 * cell kept the same number of outputs: a rewrite in place, not a new output per step.
 */
export async function watchProgress(page: Page): Promise<() => Promise<{ rewrites: number; maxBarsPerCell: number }>> {
  await page.evaluate(() => {
    const state = { rewrites: 0, maxBarsPerCell: 0, last: new Map<Element, string>() };
    (window as unknown as { __progress: typeof state }).__progress = state;
    new MutationObserver(() => {
      for (const cell of Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell'))) {
        const outputs = Array.from(cell.querySelectorAll('.jp-OutputArea-child')).map(
          (o) => (o as HTMLElement).innerText,
        );
        const bars = outputs.filter((t) => /ETA/.test(t));
        state.maxBarsPerCell = Math.max(state.maxBarsPerCell, bars.length);
        const key = `${outputs.length}:${bars.join('\u0000')}`;
        const before = state.last.get(cell);
        if (bars.length && before !== undefined && before !== key && before.startsWith(`${outputs.length}:`))
          state.rewrites += 1;
        state.last.set(cell, key);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () =>
    page.evaluate(() => {
      const { rewrites, maxBarsPerCell } = (
        window as unknown as { __progress: { rewrites: number; maxBarsPerCell: number } }
      ).__progress;
      return { rewrites, maxBarsPerCell };
    });
}

/**
 * Runs the open notebook with Run > Run All Cells, screenshots it to SCREENSHOTS/`shot`, hands it in
 * with File > Download, and asserts what any notebook of the site must show: every cell ran without
 * an error, no check failed (✘), every chart drew marks. stderr is printed, not failed: library
 * warnings are not errors. Returns the code cells' text and their charts for the caller's own checks.
 */
export async function runAllAndCheck(
  page: Page,
  notebook: string,
  shot: string,
  timeoutMs: number,
): Promise<{ text: string; charts: OutputView[] }> {
  await menu(page, 'Run', 'Run All Cells');
  const cells = await waitForRun(page, timeoutMs);
  await screenshotNotebook(page, join(SCREENSHOTS, shot));
  const saved = await downloadNotebook(page, projectPath('out', 'site-test-download', notebook));
  assert.deepEqual(notebookProblems(saved), [], 'every cell ran without an error');
  const warnings = stderrOf(saved);
  if (warnings.length) console.log(`stderr in ${notebook} (not errors):\n${warnings.join('\n')}`);
  assertChartPictures(saved);
  const code = cells.filter((c) => c.kind === 'code');
  const text = code.flatMap((c) => c.outputs.map((o) => o.text)).join('\n');
  assert.doesNotMatch(text, /✘/, 'no failed check');
  // Charts carry their PNG, so plotly's renderer extension shows the picture and draws the
  // interactive chart once the pointer is on it (as in JupyterLab with the Node kernel).
  const charts = code.flatMap((c) => c.outputs).filter((o) => o.plotlyRenderer);
  assert.ok(charts.length > 0, 'charts drew');
  assert.ok(
    charts.every((o) => o.images > 0 || o.marks > 0),
    `every chart shows its picture: ${JSON.stringify(charts.map(({ text: _, ...o }) => o))}`,
  );
  return { text, charts };
}

/** Every saved chart output (one with plotly JSON) carries its PNG, so GitHub and untrusted viewers show it. */
export function assertChartPictures(notebook: Notebook): void {
  const charts = notebook.cells
    .flatMap((c) => c.outputs ?? [])
    .filter((o) => o.data?.['application/vnd.plotly.v1+json'] !== undefined);
  assert.ok(charts.length > 0, 'the notebook saved charts');
  const pictures = charts.map((o) => [o.data!['image/png']].flat().join(''));
  // base64 of the PNG signature
  assert.ok(
    pictures.every((p) => p.startsWith('iVBORw0KGgo')),
    `every chart carries a PNG (${pictures.filter((p) => p.startsWith('iVBORw0KGgo')).length} of ${charts.length})`,
  );
}

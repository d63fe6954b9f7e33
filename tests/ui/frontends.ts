/**
 * Drives JupyterLab 4 and Notebook 7 through their own menus and keys in Chromium, and reads back
 * what a user would see: each cell's prompt and, per output, its text, pictures and plotly charts.
 * Notebook 7 is built from JupyterLab's components, so both share the notebook's DOM, toolbar and
 * the Run and Edit menus; only the page around the notebook differs (Lab's tabs and status bar).
 */
import { statSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { Frontend } from '../../scripts/jupyter/server';
import { CHROMIUM } from '../helpers/browser';

/** What one output area showed. */
export interface OutputView {
  text: string;
  /** Pictures that loaded and show at a readable size. */
  images: number;
  /** plotly charts (svg) and the traces and marks (bars, lines, points) they drew. */
  plots: number;
  traces: number;
  marks: number;
  /** Drawn by plotly's JupyterLab renderer extension (from the plotly JSON), not by an HTML output's script. */
  plotlyRenderer: boolean;
}

/** What one cell showed. */
export interface CellView {
  index: number;
  kind: 'code' | 'markdown' | 'raw';
  /** The prompt's number: null when never run or still running. */
  executionCount: number | null;
  running: boolean;
  outputs: OutputView[];
}

interface Selectors {
  cell: string;
  codeCell: string;
  markdownCell: string;
  prompt: string;
  output: string;
  editor: string;
}

/** One front end's selectors and gestures. */
export interface FrontendDriver {
  frontend: Frontend;
  selectors: Selectors;
  /** Waits until the notebook's kernel is connected and idle. */
  waitForIdleKernel(page: Page, timeoutMs: number): Promise<void>;
  runAll(page: Page): Promise<void>;
  clearAllOutputs(page: Page): Promise<void>;
}

async function menu(page: Page, menu: string, item: string): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${menu}$`) }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${item}$`) }).click();
}

const shared: Omit<FrontendDriver, 'frontend'> = {
  selectors: {
    cell: '.jp-NotebookPanel .jp-Notebook .jp-Cell',
    codeCell: 'jp-CodeCell',
    markdownCell: 'jp-MarkdownCell',
    prompt: '.jp-InputPrompt',
    output: '.jp-OutputArea-child',
    editor: '.jp-InputArea-editor',
  },
  async waitForIdleKernel(page, timeoutMs) {
    // The notebook's toolbar names its kernel once a session exists ("No Kernel" before) and shows
    // the kernel's state ("starting", "busy", "idle") on its execution indicator.
    const toolbar = page.locator('.jp-NotebookPanel-toolbar');
    await toolbar.locator('.jp-KernelName', { hasText: 'TypeScript' }).waitFor({ timeout: timeoutMs });
    await toolbar.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor({ timeout: timeoutMs });
  },
  async runAll(page) {
    await menu(page, 'Run', 'Run All Cells');
  },
  async clearAllOutputs(page) {
    await menu(page, 'Edit', 'Clear Outputs of All Cells');
  },
};

/** The driver for a front end. */
export function driverFor(frontend: Frontend): FrontendDriver {
  return { frontend, ...shared };
}

/** Headless Debian Chromium, as in the handout test. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
}

/** Reads every cell as the page shows it. */
export async function readCells(page: Page, driver: FrontendDriver): Promise<CellView[]> {
  return page.evaluate((s: Selectors) => {
    const visibleImage = (img: HTMLImageElement) => {
      const box = img.getBoundingClientRect();
      return img.complete && img.naturalWidth > 0 && box.width >= 50 && box.height >= 50;
    };
    return Array.from(document.querySelectorAll(s.cell)).map((cell, index) => {
      const prompt = cell.querySelector(s.prompt)?.textContent ?? '';
      const count = /\[\s*(\d+)\s*\]/.exec(prompt);
      const kind = cell.classList.contains(s.codeCell)
        ? 'code'
        : cell.classList.contains(s.markdownCell)
          ? 'markdown'
          : 'raw';
      const outputs = Array.from(cell.querySelectorAll(s.output)).map((out) => {
        const svgs = Array.from(out.querySelectorAll('svg.main-svg'));
        const marks = Array.from(out.querySelectorAll('svg.main-svg g.trace path')).filter((p) =>
          /[Mm]\s*[\d.-]/.test(p.getAttribute('d') ?? ''),
        );
        return {
          text: (out as HTMLElement).innerText.slice(0, 4000),
          images: Array.from(out.querySelectorAll('img')).filter(visibleImage).length,
          plots: out.querySelectorAll('.js-plotly-plot').length,
          traces: svgs.reduce((n, svg) => n + svg.querySelectorAll('g.trace').length, 0),
          marks: marks.length,
          plotlyRenderer: out.querySelector('.jp-RenderedPlotly') !== null,
        };
      });
      return {
        index,
        kind,
        executionCount: count ? Number(count[1]) : null,
        running: /\[\s*\*\s*\]/.test(prompt),
        outputs,
      };
    });
  }, driver.selectors) as Promise<CellView[]>;
}

/** The page element of cell `index` (all cells, markdown included, in notebook order). */
export function cellLocator(page: Page, driver: FrontendDriver, index: number) {
  return page.locator(driver.selectors.cell).nth(index);
}

/** Runs one cell the way a user does: click into it, Shift+Enter. */
export async function runCell(page: Page, driver: FrontendDriver, index: number): Promise<void> {
  const cell = cellLocator(page, driver, index);
  await cell.scrollIntoViewIfNeeded();
  await cell.locator(driver.selectors.editor).first().click();
  await page.keyboard.press('Shift+Enter');
}

/** Saves with Ctrl+S and waits until the file on disk changed. */
export async function saveNotebook(page: Page, file: string, timeoutMs = 20000): Promise<void> {
  const before = statSync(file).mtimeMs;
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+s');
  const deadline = Date.now() + timeoutMs;
  while (statSync(file).mtimeMs === before) {
    if (Date.now() > deadline) throw new Error(`Ctrl+S did not save ${file} within ${timeoutMs / 1000} s`);
    await page.waitForTimeout(200);
  }
  await page.waitForTimeout(300); // let the write finish
}

/**
 * Errors the page reported, split into those from Jupyter's own bundles (its static files) and the
 * rest, which come from outputs: inline scripts in HTML outputs have no Jupyter URL in their stack.
 */
export class PageErrors {
  readonly ours: string[] = [];
  readonly jupyters: string[] = [];

  constructor(page: Page, serverUrl: string) {
    const fromJupyter = (stack: string) => {
      const firstFrame = stack.split('\n').find((l) => /^\s+at /.test(l)) ?? '';
      return firstFrame.includes(serverUrl) && /\/(static|lab\/extensions)\//.test(firstFrame);
    };
    page.on('pageerror', (e) =>
      (fromJupyter(e.stack ?? '') ? this.jupyters : this.ours).push(`pageerror: ${e.stack ?? e.message}`),
    );
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const where = m.location().url ?? '';
      // Errors logged by Jupyter's bundles, and its own failed requests, are Jupyter's; script
      // errors in outputs are reported at the notebook page's own URL.
      const jupyterPath = /\/(static|lab\/extensions|lab\/api|lsp|api|kernelspecs)\//;
      const jupyters = where.startsWith(serverUrl) && jupyterPath.test(where.slice(serverUrl.length - 1));
      (jupyters ? this.jupyters : this.ours).push(`console: ${m.text()} (${where})`);
    });
  }
}

/** Counts the kernel's progress updates as they reach the page: update_display_data messages with an ETA. */
export class DisplayUpdates {
  inPlaceProgress = 0;

  constructor(page: Page) {
    page.on('websocket', (ws) => {
      if (!/\/api\/kernels\//.test(ws.url())) return;
      ws.on('framereceived', ({ payload }) => {
        // Frames are binary (the v1 kernel websocket protocol) or JSON text, depending on what
        // the server offers; both carry the header and content as UTF-8 JSON, all this looks for.
        const text = typeof payload === 'string' ? payload : payload.toString('utf8');
        if (/"msg_type":\s*"update_display_data"/.test(text) && text.includes('ETA:')) this.inPlaceProgress++;
      });
    });
  }
}

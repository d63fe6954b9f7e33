import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** Debian's Chromium (npm's browser downloads cannot run here); BN_LAB_CHROMIUM overrides. */
export const CHROMIUM = process.env.BN_LAB_CHROMIUM ?? '/usr/bin/chromium';

/** What a page showed: its charts, errors, and any request that tried to leave the machine. */
export interface PageReport {
  charts: { id: string; traces: number; points: number; svg: boolean }[];
  /** Static chart pictures still on the page (shown where scripts do not run), with their decoded size. */
  pictures: { width: number; height: number }[];
  errors: string[];
  blockedRequests: string[];
  title: string;
}

/**
 * Opens an HTML file from file:// in headless Chromium with every network request blocked, waits
 * for the charts, and reports what drew. Saves a full-page screenshot when `screenshot` is given.
 */
export async function inspectPage(
  htmlPath: string,
  screenshot?: string,
  options: { javaScript?: boolean } = {},
): Promise<PageReport> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (sudo apt-get install chromium) or set BN_LAB_CHROMIUM.`,
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const context = await browser.newContext({
      offline: true,
      viewport: { width: 1200, height: 900 },
      javaScriptEnabled: options.javaScript ?? true,
    });
    const blockedRequests: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      blockedRequests.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    // Charts draw from inline scripts; wait until every chart div holds plotly's SVG (or time out).
    if (options.javaScript !== false)
      await page
        .waitForFunction(
          () => Array.from(document.querySelectorAll('.bn-lab-chart')).every((el) => el.querySelector('.main-svg')),
          undefined,
          { timeout: 20000 },
        )
        .catch(() => undefined);
    const charts = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement & { data?: { x?: unknown[] }[] }>('.bn-lab-chart')).map(
        (el) => ({
          id: el.id,
          traces: el.data?.length ?? 0,
          points: (el.data ?? []).reduce((n, t) => n + (t.x?.length ?? 0), 0),
          svg: !!el.querySelector('.main-svg'),
        }),
      ),
    );
    const pictures = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('img.bn-lab-chart-static')).map((img) => ({
        width: img.naturalWidth,
        height: img.naturalHeight,
      })),
    );
    if (screenshot) {
      mkdirSync(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    }
    return { charts, pictures, errors, blockedRequests, title: await page.title() };
  } finally {
    await browser.close();
  }
}

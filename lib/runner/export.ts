import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { projectPath } from '../project';
import { escapeHtml } from '../notebook/display';
import { PLOTLY_LOADER_END, PLOTLY_LOADER_START } from '../plots/plotly';
import { Notebook, readNotebook, sourceOf, writeFileAtomic } from './notebook';
import { findJupyterPython, JUPYTER_HELP } from './python';
import { readRecords, recordHtml, summarizeRecordValue } from './records';

// nbconvert's template folder (lib/runner/handout), read from the checkout: tsc does not copy it to dist/.
const TEMPLATES = projectPath('lib', 'runner');

/** One exported handout, as the index page lists it. */
export interface Handout {
  notebook: string;
  html: string;
  title: string;
  ok: boolean;
  seconds: number | null;
  parameters: Record<string, unknown>;
  records: Record<string, unknown>;
}

/** The notebook's title: its first Markdown heading, else its file name. */
export function notebookTitle(nb: Notebook, fallback: string): string {
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'markdown') continue;
    const heading = sourceOf(cell).match(/^#\s+(.+)$/m);
    if (heading) return heading[1].trim();
  }
  return fallback;
}

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

/**
 * Converts one executed notebook to an HTML handout with nbconvert and the project's offline
 * template (JupyterLab's look, no CDN scripts). Written to a temporary folder, then renamed, so a
 * failed conversion never leaves a half-written handout.
 */
export async function exportHandout(notebookPath: string, outDir: string): Promise<Handout> {
  const python = findJupyterPython(['nbconvert']);
  if (!python) throw new Error(`Exporting handouts needs nbconvert, which was not found.\n${JUPYTER_HELP}`);
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(outDir, '.tmp-export-'));
  const name = basename(notebookPath).replace(/\.ipynb$/, '');
  try {
    const r = await run(python, [
      '-m',
      'nbconvert',
      '--to',
      'html',
      `--TemplateExporter.extra_template_basedirs=${TEMPLATES}`,
      '--template',
      'handout',
      '--output-dir',
      work,
      '--output',
      name,
      notebookPath,
    ]);
    if (r.code !== 0) throw new Error(`nbconvert failed on ${notebookPath}:\n${r.output.trim()}`);
    const html = join(outDir, `${name}.html`);
    const converted = join(work, `${name}.html`);
    writeFileSync(converted, keepFirstPlotlyLoader(readFileSync(converted, 'utf8')));
    renameSync(converted, html);
    const nb = readNotebook(notebookPath);
    const meta = nb.metadata.papermill ?? {};
    return {
      notebook: notebookPath,
      html,
      title: notebookTitle(nb, name),
      ok: meta.exception !== true,
      seconds: typeof meta.duration === 'number' ? meta.duration : null,
      parameters: meta.parameters ?? {},
      records: readRecords(nb),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A notebook run from several browser pages (reloads while the kernel kept running) carries
 * plotly.js once per page; a handout is one page, so only the first copy is kept.
 */
export function keepFirstPlotlyLoader(html: string): string {
  const start = PLOTLY_LOADER_START;
  const end = PLOTLY_LOADER_END;
  const first = html.indexOf(start);
  if (first < 0) return html;
  let out = html.slice(0, first + start.length);
  let rest = html.slice(first + start.length);
  const firstEnd = rest.indexOf(end);
  if (firstEnd < 0) return html;
  out += rest.slice(0, firstEnd + end.length);
  rest = rest.slice(firstEnd + end.length);
  for (let i = rest.indexOf(start); i >= 0; i = rest.indexOf(start)) {
    const j = rest.indexOf(end, i + start.length);
    if (j < 0) break;
    out += rest.slice(0, i);
    rest = rest.slice(j + end.length);
  }
  return out + rest;
}

/** The index page: every handout with its title, status, parameters and recorded results. */
export function indexHtml(handouts: Handout[], title = 'bn-lab: 배치 정규화 실습 노트북'): string {
  const rows = handouts
    .map((h) => {
      const params =
        Object.entries(h.parameters)
          .map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(summarizeRecordValue(v, 30))}`)
          .join(', ') || 'defaults';
      const results = Object.entries(h.records)
        .map(([k, v]) => `<tr><th><code>${escapeHtml(k)}</code></th><td>${recordHtml(v)}</td></tr>`)
        .join('');
      return (
        `<tr><td><a href="${encodeURI(basename(h.html))}">${escapeHtml(h.title)}</a><br><small>${escapeHtml(basename(h.notebook))}</small></td>` +
        `<td>${h.ok ? 'ok' : '<b style="color:#c00">failed</b>'}</td>` +
        `<td>${h.seconds === null ? '' : `${h.seconds.toFixed(0)} s`}</td>` +
        `<td><small>${params}</small></td><td>${results ? `<div class="scroll"><table class="results">${results}</table></div>` : ''}</td></tr>`
      );
    })
    .join('\n');
  return tablePage(title, {
    css: [
      // Fixed columns that fit the window: a wide results table scrolls inside its own cell
      // instead of pushing the page past the right edge.
      'table.handouts { table-layout: fixed; width: 100%; }',
      'table.handouts > thead th:nth-child(1) { width: 17%; } table.handouts > thead th:nth-child(2) { width: 4em; }',
      'table.handouts > thead th:nth-child(3) { width: 5.5em; } table.handouts > thead th:nth-child(4) { width: 18%; }',
      'table.handouts > tbody > tr > td { overflow-wrap: anywhere; }',
      // Inherited by the nested result tables, where a number must not break: they scroll instead.
      'table.results td, table.results th { overflow-wrap: normal; white-space: nowrap; }',
      'table.handouts > tbody > tr > td:nth-child(2), table.handouts > tbody > tr > td:nth-child(3) { white-space: nowrap; }',
      'table.results th, table.results td, table.record th, table.record td { border-bottom: 1px solid #eee; padding: 2px 8px; font-size: 13px; }',
      'table.results th { font-weight: normal; white-space: nowrap; }',
      'table.record { margin: 2px 0; } table.record th { font-weight: 600; background: #f6f6f6; }',
      'td { font-variant-numeric: tabular-nums; } details summary { cursor: pointer; }',
    ],
    tableClass: 'handouts',
    headers: ['노트북', '상태', '실행 시간', '매개변수', '기록된 결과'],
    rows,
  });
}

/** A standalone page (Korean fonts, the shared table style plus `css` lines) with a heading and one table. */
export function tablePage(
  title: string,
  page: { css: string[]; tableClass?: string; headers: string[]; rows: string },
): string {
  // Headers are fixed markup of the callers, not data: they go in unescaped.
  const head = page.headers.map((h) => `<th>${h}</th>`).join('');
  return `<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, "Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans CJK KR", sans-serif; margin: 2em; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd; padding: 6px 10px; vertical-align: top; text-align: left; }
.scroll { overflow-x: auto; max-width: 100%; }
${page.css.join('\n')}
</style></head>
<body><h1>${escapeHtml(title)}</h1>
<div class="scroll"><table${page.tableClass ? ` class="${page.tableClass}"` : ''}><thead><tr>${head}</tr></thead>
<tbody>
${page.rows}
</tbody></table></div></body></html>
`;
}

/** Exports every executed notebook in `notebooksDir` and writes index.html beside the handouts. */
export async function exportHandouts(notebooksDir: string, outDir: string): Promise<Handout[]> {
  const notebooks = readdirSync(notebooksDir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort();
  if (notebooks.length === 0)
    throw new Error(`No executed notebooks in ${notebooksDir}; run \`npm start\` or \`npm run notebook\` first.`);
  const handouts: Handout[] = [];
  for (const nb of notebooks) handouts.push(await exportHandout(join(notebooksDir, nb), outDir));
  writeFileAtomic(join(outDir, 'index.html'), indexHtml(handouts));
  return handouts;
}

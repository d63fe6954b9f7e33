import { basename, join } from 'node:path';
import { standaloneHtml } from '../plots/plotly';
import type { Figure } from '../plots/figure';
import { runNotebook, RunResult } from './execute';
import { writeFileAtomic } from './notebook';
import { parseCliValue, ParamValue } from './parameters';

/** Every combination of the given value lists (a grid), in order. */
export function combinations(grid: Record<string, ParamValue[]>): Record<string, ParamValue>[] {
  return Object.entries(grid).reduce<Record<string, ParamValue>[]>(
    (acc, [name, values]) => acc.flatMap((combo) => values.map((v) => ({ ...combo, [name]: v }))),
    [{}],
  );
}

/** Parses `-p NAME v1,v2,...` pairs into a grid of values (each parsed as papermill does). */
export function parseGrid(pairs: [string, string][]): Record<string, ParamValue[]> {
  const grid: Record<string, ParamValue[]> = {};
  for (const [name, list] of pairs) grid[name] = list.split(',').map((v) => parseCliValue(v.trim()));
  return grid;
}

/** A file-name-safe label for one combination: epochs=2_lr=0.01. */
export function comboLabel(combo: Record<string, ParamValue>): string {
  return (
    Object.entries(combo)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join('_')
      .replace(/[^\w.=-]+/g, '-') || 'defaults'
  );
}

/** One finished run of a sweep. */
export interface SweepRun {
  parameters: Record<string, ParamValue>;
  result: RunResult;
}

function csvCell(v: unknown): string {
  const s = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The sweep as CSV: one row per combination, parameters then status, seconds and records. */
export function sweepCsv(runs: SweepRun[]): string {
  const params = [...new Set(runs.flatMap((r) => Object.keys(r.parameters)))];
  const records = [...new Set(runs.flatMap((r) => Object.keys(r.result.records)))];
  const header = [...params, 'status', 'seconds', ...records, 'output'];
  const rows = runs.map((r) => [
    ...params.map((p) => r.parameters[p]),
    r.result.ok ? 'ok' : `failed (${r.result.exitCode})`,
    r.result.seconds.toFixed(1),
    ...records.map((k) => r.result.records[k]),
    r.result.output,
  ]);
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** One bar chart per numeric recorded value, comparing the combinations. */
export function sweepFigures(runs: SweepRun[]): Figure[] {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.result.records)))].filter((k) =>
    runs.some((r) => typeof r.result.records[k] === 'number'),
  );
  const labels = runs.map((r) => comboLabel(r.parameters));
  return names.map((name) => ({
    data: [
      {
        type: 'bar',
        x: labels,
        y: runs.map((r) => (typeof r.result.records[name] === 'number' ? r.result.records[name] : null)),
      },
    ],
    layout: { title: { text: name }, xaxis: { type: 'category' }, yaxis: { title: { text: name } } },
  }));
}

/**
 * Runs a notebook once per combination, `jobs` kernels at a time, into outDir, then writes
 * sweep.csv and sweep.html (interactive charts, plotly embedded once) there.
 */
export async function runSweep(
  input: string,
  grid: Record<string, ParamValue[]>,
  options: { outDir: string; jobs?: number; timeout?: number; onLog?: (t: string) => void },
): Promise<SweepRun[]> {
  const combos = combinations(grid);
  const jobs = Math.max(1, Math.min(options.jobs ?? 1, combos.length));
  const runs: SweepRun[] = new Array(combos.length);
  let next = 0;
  const name = basename(input).replace(/\.ipynb$/, '');
  const worker = async () => {
    while (next < combos.length) {
      const i = next++;
      const output = join(options.outDir, `${name}__${comboLabel(combos[i])}.ipynb`);
      (options.onLog ?? ((t: string) => process.stderr.write(t)))(
        `[${i + 1}/${combos.length}] ${comboLabel(combos[i])}\n`,
      );
      const result = await runNotebook({
        input,
        output,
        parameters: combos[i],
        timeout: options.timeout,
        onLog: () => {},
      });
      runs[i] = { parameters: combos[i], result };
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  writeFileAtomic(join(options.outDir, 'sweep.csv'), sweepCsv(runs));
  writeFileAtomic(join(options.outDir, 'sweep.html'), standaloneHtml(`sweep: ${name}`, sweepFigures(runs)));
  return runs;
}

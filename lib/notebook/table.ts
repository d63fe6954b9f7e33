import { escapeHtml, inNotebook, showHtml } from './display';

/** The parts of a danfojs DataFrame a table needs (kept structural so tests need no danfojs). */
export interface TableLike {
  columns: string[];
  values: unknown[][] | unknown[];
  index: (string | number)[];
}

function cell(v: unknown): string {
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '.0');
  return escapeHtml(String(v));
}

/**
 * An HTML table in pandas's notebook style: the first and last rows when there are many, and a
 * "N rows × M columns" footer, so a 150-row frame reads as it does in the seed's screenshots.
 */
export function tableHtml(columns: string[], rows: unknown[][], index?: (string | number)[], maxRows = 10): string {
  const idx = index ?? rows.map((_, i) => i);
  const head = `<tr><th></th>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const row = (i: number) =>
    `<tr><th>${escapeHtml(String(idx[i]))}</th>${rows[i].map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`;
  let body: string[];
  if (rows.length > maxRows) {
    const half = Math.floor(maxRows / 2);
    const gap = `<tr><th>…</th>${columns.map(() => '<td>…</td>').join('')}</tr>`;
    body = [
      ...Array.from({ length: half }, (_, i) => row(i)),
      gap,
      ...Array.from({ length: half }, (_, i) => row(rows.length - half + i)),
    ];
  } else {
    body = rows.map((_, i) => row(i));
  }
  return (
    `<table class="dataframe bn-lab-table"><thead>${head}</thead><tbody>${body.join('')}</tbody></table>` +
    `<p>${rows.length} rows × ${columns.length} columns</p>`
  );
}

/** Shows a danfojs DataFrame (or Series-like table) in the notebook; prints it headless. */
export function showTable(df: TableLike, maxRows = 10): void {
  const rows = (df.values as unknown[]).map((r) => (Array.isArray(r) ? r : [r]));
  if (inNotebook()) showHtml(tableHtml(df.columns, rows, df.index, maxRows));
  else {
    console.log(
      [['', ...df.columns].join('\t'), ...rows.slice(0, maxRows).map((r, i) => [df.index[i], ...r].join('\t'))].join(
        '\n',
      ),
    );
    if (rows.length > maxRows) console.log(`… ${rows.length} rows × ${df.columns.length} columns`);
  }
}

/** Shows named results side by side, e.g. { 'no BN': {test_loss, test_acc}, 'BN': {...} }. */
export function showResults(results: Record<string, Record<string, number>>): void {
  const names = Object.keys(results);
  const metrics = [...new Set(names.flatMap((n) => Object.keys(results[n])))];
  const rows = names.map((n) => metrics.map((m) => results[n][m]));
  if (inNotebook()) showHtml(tableHtml(metrics, rows, names, Infinity).replace(/<p>.*<\/p>$/, ''));
  else
    console.log(
      [['', ...metrics].join('\t'), ...names.map((n, i) => [n, ...rows[i].map((v) => cell(v))].join('\t'))].join('\n'),
    );
}

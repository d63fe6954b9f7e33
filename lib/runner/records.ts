import { SCRAP_MIME } from '../notebook/record';
import { Notebook } from './notebook';

/** The values a notebook recorded with `record()` (later records of a name win), scrapbook-style. */
export function readRecords(nb: Notebook): Record<string, unknown> {
  const records: Record<string, unknown> = {};
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      const scrap = out.data?.[SCRAP_MIME];
      if (!scrap) continue;
      const payload = (typeof scrap === 'string' ? JSON.parse(scrap) : scrap) as { name: string; data: unknown };
      records[payload.name] = payload.data;
    }
  }
  return records;
}

/** A number as the summaries print it: integers whole, others to 4 significant digits. */
function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A check cell's recorded outcome (lib/exercises/check.ts), shown as its score rather than its fields. */
function checkScore(v: unknown): string | null {
  if (!isPlainObject(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.passed !== 'boolean' || typeof o.points !== 'number' || typeof o.max !== 'number') return null;
  const first = String(o.message ?? '').split('\n')[0];
  return `${o.passed ? '✔' : '✘'} ${o.points}/${o.max}${o.passed || !first ? '' : `: ${first}`}`;
}

/**
 * A recorded value in at most `maxLength` characters for a terminal table: numbers rounded, short
 * lists inline, long lists as their count, first and last values, lists of rows as their count and
 * columns. The full value stays in the results JSON file.
 */
export function summarizeRecordValue(v: unknown, maxLength = 40): string {
  let s: string;
  const score = checkScore(v);
  if (score !== null) s = score;
  else if (typeof v === 'number') s = formatNumber(v);
  else if (typeof v === 'string') s = v;
  else if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) {
      const inline = `[${v.map((x) => formatNumber(x as number)).join(', ')}]`;
      s =
        inline.length <= maxLength
          ? inline
          : `${v.length} values: ${formatNumber(v[0] as number)} … ${formatNumber(v[v.length - 1] as number)}`;
    } else if (v.every(isPlainObject)) {
      const columns = [...new Set(v.flatMap((row) => Object.keys(row as object)))];
      s = `${v.length} rows (${columns.join(', ')})`;
    } else s = JSON.stringify(v);
  } else if (isPlainObject(v)) {
    const inline = `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${summarizeRecordValue(x, maxLength)}`)
      .join(', ')}}`;
    s = inline.length <= maxLength ? inline : `{${Object.keys(v).join(', ')}}`;
  } else s = JSON.stringify(v) ?? String(v);
  return s.length <= maxLength ? s : `${s.slice(0, maxLength - 1)}…`;
}

/** One notebook's line in the run summary. */
export interface SummaryRow {
  notebook: string;
  ok: boolean;
  exitCode: number;
  seconds: number;
  parameters: Record<string, unknown>;
  records: Record<string, unknown>;
}

/** `items` joined by two spaces and wrapped to `width`, continuation lines indented by `indent`. */
function wrapItems(items: string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && line.length + 2 + item.length > width) {
      lines.push(line);
      line = indent + item;
    } else line = line ? `${line}  ${item}` : item;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The run summary as plain text no wider than `width` (default: the terminal's, kept within
 * 80..100): a header line per notebook (status, time, then its parameters, wrapped), then its
 * recorded results, each summarised (see summarizeRecordValue) and wrapped.
 */
export function summaryText(
  rows: SummaryRow[],
  width = Math.min(100, Math.max(80, process.stdout.columns || 100)),
): string {
  const nameWidth = Math.min(30, Math.max(8, ...rows.map((r) => r.notebook.replace(/\.ipynb$/, '').length)));
  const out: string[] = [];
  for (const r of rows) {
    const name = r.notebook.replace(/\.ipynb$/, '');
    const status = r.ok ? 'ok' : `FAILED (exit ${r.exitCode})`;
    const head = `${name.padEnd(nameWidth)}  ${status.padEnd(6)}  ${`${r.seconds.toFixed(0)} s`.padStart(6)}`;
    const params = Object.entries(r.parameters).map(([k, v]) => `${k}=${summarizeRecordValue(v, 24)}`);
    out.push(...wrapItems([head, ...(params.length ? params : ['(seed defaults)'])], width, '      '));
    const results = Object.entries(r.records).map(
      ([k, v]) => `${k}=${summarizeRecordValue(v, Math.min(40, width - 8 - k.length))}`,
    );
    if (results.length) out.push(...wrapItems(results, width - 4, '    ').map((l, i) => (i === 0 ? `    ${l}` : l)));
    out.push('');
  }
  return out.join('\n').trimEnd();
}

/** The full run summary as JSON (every recorded value complete), written beside the executed notebooks. */
export function summaryJson(rows: SummaryRow[]): string {
  const byNotebook = Object.fromEntries(
    rows.map((r) => [
      r.notebook,
      {
        ok: r.ok,
        exitCode: r.exitCode,
        seconds: Number(r.seconds.toFixed(1)),
        parameters: r.parameters,
        records: r.records,
      },
    ]),
  );
  return `${JSON.stringify(byNotebook, null, 2)}\n`;
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A recorded value as a small HTML fragment for the handout index: numbers rounded, lists of
 * numbers inline (long ones folded), lists of rows as a table, objects as a name/value table.
 */
export function recordHtml(v: unknown): string {
  const score = checkScore(v);
  if (score !== null) return escape(score);
  if (typeof v === 'number') return escape(formatNumber(v));
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) {
      const all = v.map((x) => formatNumber(x as number)).join(', ');
      if (v.length <= 8) return escape(all);
      return `<details><summary>${v.length} values: ${escape(summarizeRecordValue(v, 60))}</summary>${escape(all)}</details>`;
    }
    if (v.length > 0 && v.every(isPlainObject)) {
      const columns = [...new Set(v.flatMap((row) => Object.keys(row as object)))];
      const head = columns.map((c) => `<th>${escape(c)}</th>`).join('');
      const body = v
        .map(
          (row) =>
            `<tr>${columns.map((c) => `<td>${recordHtml((row as Record<string, unknown>)[c])}</td>`).join('')}</tr>`,
        )
        .join('');
      return `<table class="record"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
    }
    return escape(JSON.stringify(v));
  }
  if (isPlainObject(v)) {
    const body = Object.entries(v)
      .map(([k, x]) => `<tr><th>${escape(k)}</th><td>${recordHtml(x)}</td></tr>`)
      .join('');
    return `<table class="record">${body}</table>`;
  }
  return escape(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));
}

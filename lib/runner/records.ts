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

/** A recorded value as the summary table and the handout index print it (4 decimals, lists inline). */
export function formatRecordValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (Array.isArray(v)) return `[${v.map(formatRecordValue).join(', ')}]`;
  return JSON.stringify(v);
}

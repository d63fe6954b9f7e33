import { Notebook } from './notebook';

const SCRAP_MIME = 'application/scrapbook.scrap.json+json';

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

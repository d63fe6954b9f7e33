import { display } from './display';

/** The MIME type scrapbook uses for recorded values, so tools that read scrapbook output can too. */
export const SCRAP_MIME = 'application/scrapbook.scrap.json+json';

/**
 * Records named values in the executed notebook (scrapbook-style, one scrap per name), so a runner
 * can read results such as test accuracy back from the output file: `record({ testLoss, testAcc })`
 * or `record('name', value)`. Headless, it prints `name = value` for each.
 */
export function record(values: Record<string, unknown>): void;
export function record(name: string, value: unknown): void;
export function record(nameOrValues: string | Record<string, unknown>, value?: unknown): void {
  const entries = typeof nameOrValues === 'string' ? [[nameOrValues, value] as const] : Object.entries(nameOrValues);
  for (const [name, data] of entries) {
    display(SCRAP_MIME, { name, data, encoder: 'json', version: 1 }, `${name} = ${JSON.stringify(data)}`);
  }
}

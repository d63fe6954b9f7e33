import { display } from './display';

/** The MIME type scrapbook uses for recorded values, so tools that read scrapbook output can too. */
export const SCRAP_MIME = 'application/scrapbook.scrap.json+json';

/**
 * Records a named value in the executed notebook (scrapbook-style), so a runner can read results
 * such as test accuracy back from the output file. Headless, it prints `name = value`.
 */
export function record(name: string, value: unknown): void {
  const payload = { name, data: value, encoder: 'json', version: 1 };
  display(SCRAP_MIME, payload, `${name} = ${JSON.stringify(value)}`);
}

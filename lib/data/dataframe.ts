// danfojs declares its types only under package.json `exports`, which the Node10 resolution used
// by tslab (and this build) ignores; naming the types' folder directly keeps notebooks type-checked.
import type * as Danfo from 'danfojs/dist/danfojs-browser/src';
import { host } from '../host';

let loaded: typeof Danfo | undefined;

/** danfo.js itself, loaded on first use (it takes seconds to load, and most notebooks never need it). */
export function danfo(): typeof Danfo {
  return (loaded ??= host().danfo());
}

/**
 * danfo.js for notebooks (`import { dfd } from 'bn-lab'`, then `dfd.getDummies(...)` as with
 * pandas's `pd`), typed even though tslab cannot see danfojs's own types. Loaded lazily.
 */
export const dfd: typeof Danfo = new Proxy({} as typeof Danfo, {
  get: (_target, key) => (danfo() as unknown as Record<string | symbol, unknown>)[key],
});

/** A danfo.js DataFrame. */
export type DataFrame = Danfo.DataFrame;

// The URL of out/browser/bn-lab.js itself, set by a banner line the browser build adds
// (scripts/build-browser.ts); undefined when lib/ runs from another build.
declare const __bnLabBundleUrl: string | undefined;

/** The URL of a file the browser build writes beside bn-lab.js (tfjs.js, plotly.js), or undefined outside that bundle. */
export function besideBundle(file: string): string | undefined {
  return typeof __bnLabBundleUrl === 'string' ? new URL(file, __bnLabBundleUrl).href : undefined;
}

import { host, randomId } from '../host';
import type { LiveOutput, MimeBundle } from '../host/types';

export type { LiveOutput, MimeBundle };

/**
 * Rich output for lib/, on whichever host runs it (tslab in Node, the kernel worker in a browser;
 * see lib/host). Headless (tests, scripts, plain `node`), output falls back to text on stdout so the
 * same lib code serves both.
 */

/** True when a notebook front end receives rich output (a tslab kernel, or the browser kernel). */
export function inNotebook(): boolean {
  return host().display.inNotebook();
}

/**
 * Sends one rich output (a single MIME type) to the notebook, or prints `fallback` headless.
 * `data` may be an object for JSON MIME types: it is forwarded as is, so the notebook stores
 * real JSON rather than a string.
 */
export function display(contentType: string, data: string | object, fallback?: string): void {
  if (inNotebook()) host().display.show(contentType, data);
  else if (fallback !== undefined) console.log(fallback);
}

/**
 * Sends one output carrying several MIME types. Binary values (e.g. PNG) must already be base64
 * strings. `pending` entries (a chart's PNG still being drawn in the browser) join the output
 * before it is sent (see DisplayHost.showBundle). Returns false headless.
 */
export function displayMimeBundle(
  data: MimeBundle,
  displayId?: string,
  update = false,
  pending?: Promise<MimeBundle>,
): boolean {
  return host().display.showBundle(data, displayId, update, pending);
}

/**
 * The front-end connection (one per browser page) that sent the running cell, when the host can
 * tell (bn-lab's tslab patch exposes it); undefined otherwise. A new value means a new page, which
 * has none of the scripts that earlier outputs loaded.
 */
export function frontEndSession(): string | undefined {
  return host().display.frontEndSession();
}

/** An output that is replaced in place by whole MIME bundles (live charts). */
export interface LiveBundleOutput {
  /** Shows `data` (with `pending` entries, as displayMimeBundle) in place of what this output showed before. */
  show(data: MimeBundle, pending?: Promise<MimeBundle>): void;
}

/** A live multi-MIME output in the notebook, or null headless. */
export function newLiveBundleOutput(): LiveBundleOutput | null {
  if (!inNotebook()) return null;
  const id = `bn-lab-${randomId(8)}`;
  let shown = false;
  return {
    show: (data, pending) => {
      displayMimeBundle(data, id, shown, pending);
      shown = true;
    },
  };
}

/** Shows HTML in the notebook; prints `fallback` (if any) when headless. */
export function showHtml(html: string, fallback?: string): void {
  display('text/html', html, fallback);
}

/** A live output in the notebook, or null headless (callers then print plain lines). */
export function newLiveOutput(): LiveOutput | null {
  return host().display.newLiveOutput();
}

/** Escapes text for safe inclusion in HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** An image (a data URI) as showImage draws it on every host: scaled without smoothing, framed, captioned. */
export function imageFigureHtml(uri: string, width: number, alt: string, caption: string): string {
  return (
    `<figure style="margin:0"><img src="${uri}" width="${width}" ` +
    `style="image-rendering:pixelated;border:1px solid #ccc" alt="${escapeHtml(alt)}">` +
    (caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : '') +
    `</figure>`
  );
}

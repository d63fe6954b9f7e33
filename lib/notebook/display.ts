import { randomBytes } from 'node:crypto';
import type { Display } from 'tslab';

/**
 * One place that knows whether code runs inside a tslab kernel. Outside it (tests, scripts,
 * plain `node`), rich output falls back to text on stdout so the same lib code serves both.
 */
type Tslab = typeof import('tslab');

let tslabModule: Tslab | null | undefined;

function tslab(): Tslab | null {
  if (tslabModule === undefined) {
    try {
      tslabModule = require('tslab') as Tslab;
    } catch {
      tslabModule = null;
    }
  }
  return tslabModule;
}

/** True when running inside a tslab Jupyter kernel, where rich outputs can be displayed. */
export function inNotebook(): boolean {
  const t = tslab();
  if (!t) return false;
  try {
    // tslab throws "Not ready" from display calls unless a kernel is connected; a probe with an
    // empty display id would emit output, so ask the same internal switch it checks instead.
    return require('tslab/dist/jupyter').lastWriteDisplayData != null;
  } catch {
    return false;
  }
}

/**
 * Sends one rich output (a single MIME type) to the notebook, or prints `fallback` headless.
 * `data` may be an object for JSON MIME types: tslab forwards it as is, so the notebook stores
 * real JSON rather than a string.
 */
export function display(contentType: string, data: string | object, fallback?: string): void {
  if (inNotebook()) tslab()!.display.raw(contentType, data as string);
  else if (fallback !== undefined) console.log(fallback);
}

/** One output's representations by MIME type (Jupyter's `data` field); front ends pick the richest they can show. */
export type MimeBundle = Record<string, string | object>;

type WriteDisplayData = ((content: object, update: boolean) => void) & { session?: string };

function writeDisplayData(): WriteDisplayData | null {
  try {
    return (require('tslab/dist/jupyter').lastWriteDisplayData as WriteDisplayData | null) ?? null;
  } catch {
    return null;
  }
}

/**
 * Sends one output carrying several MIME types (tslab's public display sends one type per output).
 * Binary values (e.g. PNG) must already be base64 strings. Returns false headless.
 */
export function displayMimeBundle(data: MimeBundle, displayId?: string, update = false): boolean {
  const write = writeDisplayData();
  if (!write) return false;
  write({ data, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
  return true;
}

/**
 * The front-end connection (one per browser page) that sent the running cell, from tslab's request
 * header (bn-lab's tslab patch exposes it); undefined headless or on an unpatched tslab. A new value
 * means a new page, which has none of the scripts that earlier outputs loaded.
 */
export function frontEndSession(): string | undefined {
  return writeDisplayData()?.session;
}

/** An output that is replaced in place by whole MIME bundles (live charts). */
export interface LiveBundleOutput {
  /** Shows `data` in place of what this output showed before. */
  show(data: MimeBundle): void;
}

/** A live multi-MIME output in the notebook, or null headless. */
export function newLiveBundleOutput(): LiveBundleOutput | null {
  if (!inNotebook()) return null;
  // Not Math.random: notebooks seed it, and a display must not shift the training's random stream.
  const id = `bn-lab-${randomBytes(8).toString('hex')}`;
  let shown = false;
  return {
    show: (data) => {
      displayMimeBundle(data, id, shown);
      shown = true;
    },
  };
}

/** Shows HTML in the notebook; prints `fallback` (if any) when headless. */
export function showHtml(html: string, fallback?: string): void {
  display('text/html', html, fallback);
}

/** An output area that is rewritten in place: progress bars, live charts. */
export interface LiveOutput {
  /** Replaces the output with plain text. */
  text(s: string): void;
  /** Replaces the output with HTML. */
  html(s: string): void;
}

/** A live output in the notebook, or null headless (callers then print plain lines). */
export function newLiveOutput(): LiveOutput | null {
  if (!inNotebook()) return null;
  const d: Display = tslab()!.newDisplay();
  return { text: (s) => d.text(s), html: (s) => d.html(s) };
}

/** Escapes text for safe inclusion in HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

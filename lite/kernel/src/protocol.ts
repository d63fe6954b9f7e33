// Messages between the kernel (page) and its worker (user code). Types only: both sides import them.

/** Where the worker finds the site's modules and data. */
export interface WorkerInit {
  type: 'init';
  /** Import specifier → URL of an ES module bundle on the site. */
  modules: Record<string, string>;
  /** Base URL of the site's data folder, ending with '/'. */
  dataUrl: string;
  /** Int32Array(1) over a SharedArrayBuffer the page sets to 1 on interrupt, when the page is cross-origin isolated. */
  interruptFlag?: Int32Array;
}

/** Page → worker. */
export type ToWorker =
  WorkerInit | { type: 'execute'; id: number; code: string; sourceName: string } | { type: 'interrupt' };

/** A display the worker forwards from `__bnLabKernel.display`. */
export interface DisplayMessage {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
  update: boolean;
}

/** The end of a cell: its value (a MIME bundle, empty for undefined) or its error. */
export type CellOutcome =
  | { status: 'ok'; value?: Record<string, unknown> }
  | { status: 'error'; ename: string; evalue: string; traceback: string[] };

/** Worker → page. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'stream'; id: number; name: 'stdout' | 'stderr'; text: string }
  | ({ type: 'display'; id: number } & DisplayMessage)
  | { type: 'interrupt-seen' }
  | ({ type: 'done'; id: number } & CellOutcome);

import type * as tf from '@tensorflow/tfjs';
import type * as Danfo from 'danfojs/dist/danfojs-browser/src';
import type { BackendInfo } from '../backend/select';
import type { BenchFamily } from '../backend/speed';
import type { Cifar10Data, Cifar10Options } from '../data/cifar10';
import type { DatasetName, SourceOptions } from '../data/files';
import type { ImageTensorOptions } from '../data/image';
import type { StaticSize } from '../plots/static';

/** One output's representations by MIME type (Jupyter's `data` field); front ends pick the richest they can show. */
export type MimeBundle = Record<string, string | object>;

/** An output area that is rewritten in place: progress bars, live charts. */
export interface LiveOutput {
  /** Replaces the output with plain text. */
  text(s: string): void;
  /** Replaces the output with HTML. */
  html(s: string): void;
}

/** How rich output reaches the notebook on this host. */
export interface DisplayHost {
  /** True when a notebook front end receives rich output (else callers print text). */
  inNotebook(): boolean;
  /** Sends one output with a single MIME type. */
  show(contentType: string, data: string | object): void;
  /**
   * Sends one output with several MIME types, or updates the output `displayId`; false when headless.
   * `pending` (hosts with chartPng only) resolves to entries still being drawn, such as a chart's
   * PNG: the output is sent once they are merged into `data`, in its place among the cell's outputs,
   * or as `data` alone if they fail.
   */
  showBundle(data: MimeBundle, displayId?: string, update?: boolean, pending?: Promise<MimeBundle>): boolean;
  /** The front-end page that sent the running cell, when the host can tell (see chartNeedsLibrary). */
  frontEndSession(): string | undefined;
  /** An output rewritten in place, or null headless. */
  newLiveOutput(): LiveOutput | null;
}

/** A dataset file's verified bytes and where they came from (a path or a URL, for messages). */
export interface DatasetBytes {
  bytes: Uint8Array;
  path: string;
}

/**
 * What differs between running bn-lab in Node (tslab kernel, scripts, tests) and in a browser's
 * Web Worker (the JupyterLite kernel); everything else in lib/ is shared and reaches these through
 * host() (lib/host/index.ts). See lib/host/README.md.
 */
export interface Host {
  readonly name: 'node' | 'browser';
  /** Rich output. */
  readonly display: DisplayHost;
  /** A dataset file's bytes, checked against its checksum before anything parses them. */
  readDatasetFile(dataset: DatasetName, file: string, options: SourceOptions): Promise<DatasetBytes>;
  /** Gunzipped bytes; `name` names the file in errors. */
  gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array>;
  /** CIFAR-10 as loadCifar10 documents it. */
  loadCifar10(options: Cifar10Options): Promise<Cifar10Data>;
  /** An image file as a [1, h, w, c] tensor, as loadImageTensor documents it. */
  loadImageTensor(file: string, options: ImageTensorOptions): Promise<tf.Tensor4D>;
  /** Shows an image file, as showImage documents it. */
  showImage(file: string, width: number, caption: string): Promise<void>;
  /** A static chart (SVG) as PNG bytes, synchronously (Node: sharp); absent in the browser, which has chartPng. */
  svgToPng?(svg: string): Uint8Array;
  /**
   * A static chart as PNG bytes from its ECharts option (echartsOption in lib/plots/static.ts),
   * drawn on a canvas (browser: OffscreenCanvas in the worker). The scene is drawn before this
   * returns, so later changes to the figure do not reach it; only the PNG encoding is asynchronous,
   * and the display waits for it (showBundle's `pending`). Absent where svgToPng draws charts.
   */
  chartPng?(option: object, size: StaticSize): Promise<Uint8Array>;
  /** plotly.js's source, embedded once per page so charts draw offline. */
  plotlyLibrary(): string;
  /** danfo.js, bound to the same tfjs as bn-lab. */
  danfo(): typeof Danfo;
  /** True once the user asked to stop the running cell; training callbacks then stop fitting. */
  interrupted(): boolean;
  /** Picks and starts a tfjs backend (see initBackend). */
  initBackend(preferred: string): Promise<BackendInfo>;
  /** One line naming what runs (see describeBackend). */
  describeBackend(info: BackendInfo): string;
  /** One sentence on this model's measured training speed here (see benchSpeedNote). */
  benchSpeedNote(info: BackendInfo, family: BenchFamily): string;
}

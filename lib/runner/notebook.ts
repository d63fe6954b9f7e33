import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** A notebook cell as nbformat 4 stores it. */
export interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: { tags?: string[]; [key: string]: unknown };
  outputs?: Output[];
  execution_count?: number | null;
  id?: string;
}

/** One output of a code cell. */
export interface Output {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error' | 'update_display_data';
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** An nbformat 4 notebook. */
export interface Notebook {
  cells: Cell[];
  // Notebook metadata is free-form JSON that each tool (papermill, kernels, bn-lab) indexes its own way.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  metadata: Record<string, any>;
  nbformat: number;
  nbformat_minor: number;
}

/** A cell's source as one string (nbformat allows a list of lines). */
export function sourceOf(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** Reads a notebook, with an error that names the file when it is missing or not a notebook. */
export function readNotebook(path: string): Notebook {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read notebook ${path}: ${(e as Error).message}`, { cause: e });
  }
  let nb: Notebook;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not a notebook: invalid JSON (${(e as Error).message}).`, { cause: e });
  }
  if (!Array.isArray(nb.cells) || nb.nbformat !== 4) throw new Error(`${path} is not an nbformat 4 notebook.`);
  return nb;
}

/** Writes a file atomically: a temporary file in the same folder, then a rename. */
export function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tmp-${process.pid}-${basename(path)}`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Writes a notebook atomically, formatted as Jupyter does (1-space indent, trailing newline). */
export function writeNotebook(path: string, nb: Notebook): void {
  writeFileAtomic(path, JSON.stringify(nb, null, 1) + '\n');
}

/** Index of the cell tagged `tag` (papermill's `parameters`), or -1. */
export function findTaggedCell(nb: Notebook, tag: string): number {
  return nb.cells.findIndex((c) => c.metadata?.tags?.includes(tag));
}

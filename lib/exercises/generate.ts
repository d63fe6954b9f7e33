/** Student versions of the instructor notebooks: answers out, hints in, outputs cleared, checks kept. */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { exportHandout } from '../runner/export';
import { Cell, Notebook, readNotebook, sourceOf, writeNotebook } from '../runner/notebook';
import { checkSpecs, isExerciseNotebook, solutionRegions, studentSource } from './format';

/** Notebook metadata key of a generated exercise: which instructor notebook it came from. */
export const EXERCISE_META = 'exercise';

/** What the exercise metadata holds. */
export interface ExerciseInfo {
  /** The instructor notebook's name without `.ipynb`, e.g. `01_lenet_mnist_bn`. */
  source: string;
  checks: { id: string; points: number }[];
  points: number;
}

/** nbformat's list-of-lines form, which Jupyter writes and diffs best. */
function toLines(text: string): string[] {
  return text.split(/(?<=\n)/);
}

function studentCell(cell: Cell, where: string): Cell {
  const out: Cell = { ...cell, metadata: { ...cell.metadata } };
  delete out.metadata.papermill;
  delete out.metadata.execution;
  if (cell.cell_type !== 'code') return out;
  return { ...out, source: toLines(studentSource(sourceOf(cell), where)), outputs: [], execution_count: null };
}

/**
 * Checks that an instructor notebook is well formed for grading: valid check metadata, no answer
 * regions inside check cells, and each check cell's `check('id', points, …)` call agreeing with its metadata.
 */
export function validateExercise(nb: Notebook, path: string): void {
  const specs = checkSpecs(nb, path);
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type === 'code') solutionRegions(sourceOf(cell), `${path}, cell ${i}`);
  });
  for (const spec of specs) {
    const where = `${path}, check cell ${spec.index} (${spec.id})`;
    const source = sourceOf(spec.cell);
    if (solutionRegions(source, where).length)
      throw new Error(`${where} contains an answer region; checks are handed out as written.`);
    const call = source.match(/\bcheck\(\s*['"]([^'"]+)['"]\s*,\s*([0-9.]+)/);
    if (!call) throw new Error(`${where} does not call check('${spec.id}', ${spec.points}, …).`);
    if (call[1] !== spec.id || Number(call[2]) !== spec.points) {
      throw new Error(
        `${where}: its call check('${call[1]}', ${call[2]}, …) disagrees with metadata.check ${JSON.stringify({ id: spec.id, points: spec.points })}.`,
      );
    }
  }
}

/** The student version of an instructor notebook (named `source`, without `.ipynb`). */
export function makeExercise(nb: Notebook, source: string): Notebook {
  validateExercise(nb, source);
  const specs = checkSpecs(nb, source);
  const metadata = { ...nb.metadata };
  delete metadata.papermill;
  const info: ExerciseInfo = {
    source,
    checks: specs.map(({ id, points }) => ({ id, points })),
    points: specs.reduce((s, c) => s + c.points, 0),
  };
  metadata[EXERCISE_META] = info;
  return { ...nb, metadata, cells: nb.cells.map((c, i) => studentCell(c, `${source}, cell ${i}`)) };
}

/** One generated exercise. */
export interface WrittenExercise {
  notebook: string;
  html: string | null;
  checks: number;
  points: number;
}

/**
 * Writes the student version of every instructor notebook in `notebooksDir` that has answer regions
 * or checks to `outDir`, and (unless `handouts` is false) an HTML handout of each to `outDir/handouts`.
 */
export async function writeExercises(
  notebooksDir: string,
  outDir: string,
  handouts = true,
): Promise<WrittenExercise[]> {
  const written: WrittenExercise[] = [];
  for (const file of readdirSync(notebooksDir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()) {
    const nb = readNotebook(join(notebooksDir, file));
    if (!isExerciseNotebook(nb)) continue;
    const exercise = makeExercise(nb, basename(file, '.ipynb'));
    const path = join(outDir, file);
    writeNotebook(path, exercise);
    const html = handouts ? (await exportHandout(path, join(outDir, 'handouts'))).html : null;
    const info = exercise.metadata[EXERCISE_META] as ExerciseInfo;
    written.push({ notebook: path, html, checks: info.checks.length, points: info.points });
  }
  if (written.length === 0)
    throw new Error(`No notebook in ${notebooksDir} has answer regions (// BEGIN SOLUTION) or check cells.`);
  return written;
}

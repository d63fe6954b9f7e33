/**
 * The authoring format of classroom exercises, adapted from nbgrader's: answer regions in code
 * cells between `// BEGIN SOLUTION` and `// END SOLUTION` (a `// HINT: …` line right after BEGIN is
 * shown to students), or, for a one-line answer, `// SOLUTION: hint` on the line above it, so a
 * marker does not outweigh the code; and check cells tagged `check` with `metadata.check = { id, points }`.
 */
import { Cell, Notebook, sourceOf } from '../runner/notebook';

/** The tag that marks a check cell (nbgrader calls these autograder tests). */
export const CHECK_TAG = 'check';
const BEGIN = /^(\s*)\/\/\s*BEGIN SOLUTION\s*$/;
const END = /^\s*\/\/\s*END SOLUTION\s*$/;
const HINT = /^\s*\/\/\s*HINT:\s*(.*)$/;
const ONE_LINE = /^(\s*)\/\/\s*SOLUTION(?::\s*(.*))?$/;

/** A check cell's grading metadata. */
export interface CheckSpec {
  /** Unique within the notebook; the id `check()` records its result under. */
  id: string;
  points: number;
  /** Index of the cell in the notebook it was read from. */
  index: number;
  cell: Cell;
}

/** True for cells that grade: tagged `check` or carrying `metadata.check`. */
export function isCheckCell(cell: Cell): boolean {
  return (
    cell.cell_type === 'code' && (cell.metadata?.tags?.includes(CHECK_TAG) === true || cell.metadata?.check != null)
  );
}

/** The check cells of a notebook with their ids and points; throws on malformed metadata. */
export function checkSpecs(nb: Notebook, path = 'notebook'): CheckSpec[] {
  const specs: CheckSpec[] = [];
  nb.cells.forEach((cell, index) => {
    if (!isCheckCell(cell)) return;
    const meta = cell.metadata.check as { id?: unknown; points?: unknown } | undefined;
    const where = `${path}, cell ${index}${cell.id ? ` (${cell.id})` : ''}`;
    if (!meta || typeof meta.id !== 'string' || !meta.id) {
      throw new Error(
        `${where} is tagged "${CHECK_TAG}" but has no metadata.check.id; add "check": {"id": "...", "points": N}.`,
      );
    }
    if (typeof meta.points !== 'number' || !(meta.points > 0)) {
      throw new Error(`${where}: metadata.check.points must be a positive number, got ${JSON.stringify(meta.points)}.`);
    }
    if (specs.some((s) => s.id === meta.id)) throw new Error(`${where}: check id "${meta.id}" is used twice.`);
    specs.push({ id: meta.id, points: meta.points, index, cell });
  });
  return specs;
}

/** One answer region found in a cell's source. */
export interface SolutionRegion {
  /** Line numbers (0-based) of the BEGIN and END markers. */
  begin: number;
  end: number;
  hint: string | null;
}

/** The answer regions of a source text; throws on unbalanced markers, naming the line. */
export function solutionRegions(source: string, where = 'cell'): SolutionRegion[] {
  const lines = source.split('\n');
  const regions: SolutionRegion[] = [];
  let open: number | null = null;
  lines.forEach((line, i) => {
    const oneLine = line.match(ONE_LINE);
    if (oneLine && open === null) {
      const answer = lines[i + 1];
      if (
        answer === undefined ||
        answer.trim() === '' ||
        /^\s*\/\/\s*(SOLUTION|BEGIN SOLUTION|END SOLUTION)/.test(answer)
      ) {
        throw new Error(`${where}, line ${i + 1}: // SOLUTION must be followed by the one line of the answer.`);
      }
      regions.push({ begin: i, end: i + 1, hint: oneLine[2]?.trim() || null });
    } else if (BEGIN.test(line)) {
      if (open !== null)
        throw new Error(
          `${where}, line ${i + 1}: BEGIN SOLUTION inside another answer region (opened on line ${open + 1}).`,
        );
      open = i;
    } else if (END.test(line)) {
      if (open === null) throw new Error(`${where}, line ${i + 1}: END SOLUTION without a BEGIN SOLUTION above it.`);
      const hint = lines[open + 1]?.match(HINT);
      regions.push({ begin: open, end: i, hint: hint && open + 1 < i ? hint[1].trim() : null });
      open = null;
    }
  });
  if (open !== null)
    throw new Error(`${where}, line ${(open as number) + 1}: BEGIN SOLUTION is never closed with // END SOLUTION.`);
  return regions;
}

/** The student's version of a source: each answer region becomes `// TODO` and its hint, indented alike. */
export function studentSource(source: string, where = 'cell'): string {
  const regions = solutionRegions(source, where);
  if (regions.length === 0) return source;
  const lines = source.split('\n');
  const out: string[] = [];
  let next = 0;
  for (const r of regions) {
    out.push(...lines.slice(next, r.begin));
    const indent = lines[r.begin].match(/^\s*/)![0];
    out.push(`${indent}// TODO${r.hint ? `: ${r.hint}` : ''}`);
    next = r.end + 1;
  }
  out.push(...lines.slice(next));
  return out.join('\n');
}

/** True when the notebook has anything to hand out as an exercise (answer regions or checks). */
export function isExerciseNotebook(nb: Notebook): boolean {
  return nb.cells.some((c) => isCheckCell(c) || (c.cell_type === 'code' && solutionRegions(sourceOf(c)).length > 0));
}

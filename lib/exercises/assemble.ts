/** Matching a submission to its exercise and putting the instructor's check cells back into it. */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Cell, Notebook, findTaggedCell, readNotebook, sourceOf } from '../runner/notebook';
import { CheckSpec, checkSpecs, isCheckCell } from './format';
import { EXERCISE_META, ExerciseInfo } from './generate';

/** An instructor notebook that submissions are graded against. */
export interface Master {
  name: string;
  notebook: Notebook;
  checks: CheckSpec[];
}

/** The instructor notebooks in `dir` that have check cells. */
export function loadMasters(dir: string): Master[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()
    .map((f) => {
      const notebook = readNotebook(join(dir, f));
      return { name: basename(f, '.ipynb'), notebook, checks: checkSpecs(notebook, f) };
    })
    .filter((m) => m.checks.length > 0);
}

/** Which exercise a submission is: its exercise metadata, else an instructor notebook's name in its file name. */
export function identifyExercise(sub: Notebook, file: string, masters: Master[]): Master | null {
  const info = sub.metadata?.[EXERCISE_META] as ExerciseInfo | undefined;
  const byMeta = masters.find((m) => m.name === info?.source);
  if (byMeta) return byMeta;
  const name = basename(file);
  return masters.find((m) => name.includes(m.name)) ?? masters.find((m) => name.startsWith(m.name.slice(0, 3))) ?? null;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

function pristine(cell: Cell): Cell {
  const c = clone(cell);
  if (c.cell_type === 'code') {
    c.outputs = [];
    c.execution_count = null;
  }
  return c;
}

/**
 * The notebook to grade: the submission's own cells, with every instructor check cell put back
 * exactly as authored (matched by check id, else by cell id), check cells the instructor never
 * wrote removed, and the parameters cell restored. Returns what was changed, for the gradebook.
 */
export function assembleSubmission(master: Master, sub: Notebook): { notebook: Notebook; flags: string[] } {
  const flags: string[] = [];
  const known = new Set(master.checks.map((c) => c.id));
  const cells: Cell[] = [];
  for (const cell of sub.cells) {
    const id = (cell.metadata?.check as { id?: string } | undefined)?.id;
    if (isCheckCell(cell) && !(id && known.has(id)) && !master.checks.some((c) => c.cell.id && c.cell.id === cell.id)) {
      flags.push(`원본에 없는 검사 셀을 제거함(${id ?? cell.id ?? '이름 없음'})`);
      continue;
    }
    cells.push(pristine(cell));
  }
  const findCheck = (spec: CheckSpec) => {
    const byCheck = cells.findIndex((c) => (c.metadata?.check as { id?: string } | undefined)?.id === spec.id);
    return byCheck >= 0 ? byCheck : spec.cell.id ? cells.findIndex((c) => c.id === spec.cell.id) : -1;
  };
  for (const spec of master.checks) {
    const at = findCheck(spec);
    if (at >= 0) {
      const got = cells[at];
      const edited =
        sourceOf(got) !== sourceOf(spec.cell) ||
        JSON.stringify(got.metadata?.check) !== JSON.stringify(spec.cell.metadata.check);
      if (edited) flags.push(`검사 셀 ${spec.id}이(가) 수정됨: 원본으로 채점`);
      cells.splice(at, 1);
    } else {
      flags.push(`검사 셀 ${spec.id}이(가) 삭제됨: 원본으로 채점`);
    }
    // Its place: after the nearest cell above it (in the instructor's notebook) that the submission still has.
    let afterAnchor = -1;
    for (let k = spec.index - 1; k >= 0 && afterAnchor < 0; k--) {
      const anchor = master.notebook.cells[k];
      const found = anchor.id ? cells.findIndex((c) => c.id === anchor.id) : -1;
      if (found >= 0) afterAnchor = found + 1;
    }
    // A check the student kept below its place stays there (cells added in between may be part of the
    // answer); one moved above the code it checks goes back.
    let insertAt = at >= 0 ? at : afterAnchor >= 0 ? afterAnchor : cells.length;
    if (at >= 0 && afterAnchor > at) {
      flags.push(`검사 셀 ${spec.id}이(가) 위로 옮겨짐: 원래 자리에서 채점`);
      insertAt = afterAnchor;
    }
    cells.splice(insertAt, 0, pristine(spec.cell));
  }
  // Graded with the instructor's parameters: a student may have shrunk them while working.
  const masterParams = findTaggedCell(master.notebook, 'parameters');
  const subParams = cells.findIndex((c) => c.metadata?.tags?.includes('parameters'));
  if (masterParams >= 0 && subParams >= 0) cells[subParams] = pristine(master.notebook.cells[masterParams]);
  return {
    notebook: {
      ...clone(sub),
      cells,
      metadata: { ...clone(sub.metadata), kernelspec: master.notebook.metadata.kernelspec },
    },
    flags,
  };
}

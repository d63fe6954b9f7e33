/**
 * Grading submitted exercise notebooks: the instructor's check cells are put back as authored,
 * each submission runs in its own kernel and sandbox under a wall-clock and memory limit, and the
 * scores are read from the check cells' own recorded outcomes.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { runNotebook } from '../runner/execute';
import { Cell, Notebook, Output, findTaggedCell, readNotebook, sourceOf, writeNotebook } from '../runner/notebook';
import { ParamValue, notebookParameters } from '../runner/parameters';
import { SCRAP_MIME } from '../notebook/record';
import { CheckOutcome, checkRecordName } from './check';
import { CheckSpec, checkSpecs, isCheckCell } from './format';
import { EXERCISE_META, ExerciseInfo } from './generate';
import { createSandbox } from './sandbox';

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
      const edited = sourceOf(got) !== sourceOf(spec.cell) || JSON.stringify(got.metadata?.check) !== JSON.stringify(spec.cell.metadata.check);
      if (edited) flags.push(`검사 셀 ${spec.id}이(가) 수정됨: 원본으로 채점`);
      cells[at] = pristine(spec.cell);
      continue;
    }
    flags.push(`검사 셀 ${spec.id}이(가) 삭제됨: 원본으로 채점`);
    // Put it back after the nearest cell above it (in the instructor's notebook) that the submission still has.
    let insertAt = cells.length;
    for (let k = spec.index - 1; k >= 0; k--) {
      const anchor = master.notebook.cells[k];
      const found = anchor.id ? cells.findIndex((c) => c.id === anchor.id) : -1;
      if (found >= 0) {
        insertAt = found + 1;
        break;
      }
    }
    cells.splice(insertAt, 0, pristine(spec.cell));
  }
  // Graded with the instructor's parameters: a student may have shrunk them while working.
  const masterParams = findTaggedCell(master.notebook, 'parameters');
  const subParams = cells.findIndex((c) => c.metadata?.tags?.includes('parameters'));
  if (masterParams >= 0 && subParams >= 0) cells[subParams] = pristine(master.notebook.cells[masterParams]);
  return { notebook: { ...clone(sub), cells, metadata: { ...clone(sub.metadata), kernelspec: master.notebook.metadata.kernelspec } }, flags };
}

/** One check's score in the gradebook. */
export interface CheckScore {
  id: string;
  points: number;
  max: number;
  passed: boolean;
  message: string;
}

/** One graded submission. */
export interface GradeResult {
  student: string;
  file: string;
  exercise: string | null;
  checks: CheckScore[];
  points: number;
  max: number;
  flags: string[];
  /** Why the run stopped early (a failing cell, the time limit, a dead kernel), or null. */
  reason: string | null;
  seconds: number;
  /** The executed notebook, as graded. */
  executed: string | null;
}


/** A failed cell's error: the error output (runtime), else its stderr (tslab reports type errors there). */
function errorOf(cell: Cell): string | null {
  const outputs = cell.outputs ?? [];
  const err = outputs.find((o: Output) => o.output_type === 'error');
  if (err) return `${err.ename ?? 'Error'}: ${(err.evalue ?? '').split('\n').slice(0, 3).join(' ').trim()}`;
  const stderr = outputs
    .filter((o) => o.output_type === 'stream' && o.name === 'stderr')
    .map((o) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? ''))
    .join('')
    .trim();
  return stderr ? stderr.split('\n').slice(0, 3).join(' ') : null;
}

function cellLabel(nb: Notebook, cell: Cell): string {
  const code = nb.cells.filter((c) => c.cell_type === 'code' && !c.metadata?.tags?.includes('injected-parameters'));
  const n = code.indexOf(cell) + 1;
  return `${n}번째 코드 셀${cell.id ? `(${cell.id})` : ''}`;
}

/** Why an executed notebook stopped, from its papermill metadata: the failing cell and its error. */
export function stopReason(nb: Notebook, kernelDied = false): string | null {
  if (nb.metadata?.papermill?.exception !== true) return null;
  const pm = (c: Cell) => (c.metadata?.papermill ?? {}) as { exception?: boolean; status?: string };
  const failed = nb.cells.find((c) => pm(c).exception || pm(c).status === 'failed');
  if (!failed) return '실행이 중간에 멈췄습니다.';
  const what = isCheckCell(failed) ? `검사 셀(${(failed.metadata.check as { id?: string })?.id ?? failed.id})` : cellLabel(nb, failed);
  if (kernelDied) return `${what}을 실행하는 중에 커널이 죽었습니다(메모리 한도를 넘었을 수 있습니다).`;
  const error = errorOf(failed);
  return `${what}에서 오류가 나 실행이 멈췄습니다${error ? `: ${error}` : '.'}`;
}

/** Scores every instructor check from the executed notebook: only the check cells' own records count. */
export function scoreChecks(master: Master, executed: Notebook | null, reason: string | null): CheckScore[] {
  return master.checks.map((spec) => {
    const zero = (message: string): CheckScore => ({ id: spec.id, points: 0, max: spec.points, passed: false, message });
    const cell = executed?.cells.find((c) => (c.metadata?.check as { id?: string } | undefined)?.id === spec.id);
    if (!cell) return zero(reason ?? '실행 결과가 없습니다.');
    const status = (cell.metadata?.papermill as { status?: string } | undefined)?.status;
    if (status !== 'completed') {
      const own = status === 'failed' ? errorOf(cell) : null;
      return zero(own ? `검사 셀이 실행되지 못했습니다: ${own}` : `실행되지 않음: ${reason ?? '앞에서 실행이 멈췄습니다.'}`);
    }
    const name = checkRecordName(spec.id);
    let outcome: CheckOutcome | null = null;
    for (const out of cell.outputs ?? []) {
      const scrap = out.data?.[SCRAP_MIME];
      if (!scrap) continue;
      const payload = (typeof scrap === 'string' ? JSON.parse(scrap) : scrap) as { name: string; data: CheckOutcome };
      if (payload.name === name) outcome = payload.data;
    }
    if (!outcome) return zero('검사 결과가 기록되지 않았습니다.');
    // Points come from the instructor's metadata, not from what ran in the student's kernel.
    return { id: spec.id, points: outcome.passed === true ? spec.points : 0, max: spec.points, passed: outcome.passed === true, message: String(outcome.message ?? '') };
  });
}

/** Options of a grading run. */
export interface GradeOptions {
  masters: Master[];
  /** Where executed submissions and the gradebook go. */
  outDir: string;
  /** Wall-clock seconds per submission. */
  timeout: number;
  /** Heap limit of each kernel (Node's --max-old-space-size), in MB. */
  memoryMb: number;
  /** Parameter values; each notebook gets those it declares. */
  parameters?: Record<string, ParamValue>;
  env?: NodeJS.ProcessEnv;
  onLog?: (line: string) => void;
}

const safeName = (s: string) => s.replace(/[^\p{L}\p{N}._-]+/gu, '_');

/** Grades one submission; never throws for anything the submission does. */
export async function gradeSubmission(file: string, student: string, options: GradeOptions): Promise<GradeResult> {
  const started = Date.now();
  const base: GradeResult = { student, file, exercise: null, checks: [], points: 0, max: 0, flags: [], reason: null, seconds: 0, executed: null };
  let sub: Notebook;
  try {
    sub = readNotebook(file);
  } catch (e) {
    return { ...base, reason: `노트북을 읽을 수 없습니다: ${(e as Error).message}` };
  }
  const master = identifyExercise(sub, file, options.masters);
  if (!master) return { ...base, reason: `어떤 과제인지 알 수 없습니다(과제: ${options.masters.map((m) => m.name).join(', ')}).` };
  const { notebook, flags } = assembleSubmission(master, sub);
  const declared = new Set(notebookParameters(master.notebook).map((p) => p.name));
  const parameters = Object.fromEntries(Object.entries(options.parameters ?? {}).filter(([k]) => declared.has(k)));
  const sandbox = createSandbox();
  const outDir = join(options.outDir, safeName(student));
  mkdirSync(outDir, { recursive: true });
  const executedPath = join(outDir, `${master.name}.ipynb`);
  let log = '';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeout * 1000);
  let reason: string | null = null;
  let executed: Notebook | null = null;
  try {
    const input = join(sandbox.notebooksDir, `${master.name}.ipynb`);
    writeNotebook(input, notebook);
    const nodeOptions = [process.env.NODE_OPTIONS, `--max-old-space-size=${options.memoryMb}`].filter(Boolean).join(' ');
    const result = await runNotebook({
      input,
      output: executedPath,
      parameters,
      env: { ...options.env, NODE_OPTIONS: nodeOptions },
      signal: controller.signal,
      onLog: (t) => (log += t),
    });
    executed = result.notebook;
    if (controller.signal.aborted) {
      const running = executed?.cells.find((c) => (c.metadata?.papermill as { status?: string } | undefined)?.status === 'failed' || (c.metadata?.papermill as { status?: string } | undefined)?.status === 'running');
      reason = `시간 제한 ${options.timeout}초를 넘겨 중단했습니다${running && executed ? `(${cellLabel(executed, running)} 실행 중)` : ''}.`;
    } else if (!result.ok) {
      reason = (executed && stopReason(executed, log.includes('the kernel died'))) ?? `실행이 실패했습니다(종료 코드 ${result.exitCode}).`;
    }
  } catch (e) {
    reason = `채점기가 이 제출물을 실행하지 못했습니다: ${(e as Error).message}`;
  } finally {
    clearTimeout(timer);
    sandbox.remove();
    writeFileSync(join(outDir, `${master.name}.log`), log);
  }
  const checks = scoreChecks(master, executed, reason);
  return {
    ...base,
    exercise: master.name,
    checks,
    points: checks.reduce((s, c) => s + c.points, 0),
    max: checks.reduce((s, c) => s + c.max, 0),
    flags,
    reason,
    seconds: (Date.now() - started) / 1000,
    executed: existsSync(executedPath) ? executedPath : null,
  };
}

/** One submission to grade and whose it is. */
export interface Submission {
  file: string;
  student: string;
}

/**
 * The submissions under a path: a single .ipynb (the student is its file name), or a folder whose
 * .ipynb files are named by student, or whose subfolders are named by student.
 */
export function findSubmissions(path: string): Submission[] {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`No such submission file or folder: ${path}`);
  if (statSync(full).isFile()) return [{ file: full, student: basename(full, '.ipynb') }];
  const found: Submission[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('.')) continue; // .ipynb_checkpoints and the like
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry.endsWith('.ipynb')) {
        const rel = relative(full, p);
        const student = dirname(rel) === '.' ? basename(entry, '.ipynb') : rel.split(/[\\/]/)[0];
        found.push({ file: p, student });
      }
    }
  };
  walk(full);
  if (found.length === 0) throw new Error(`No .ipynb submissions under ${path}.`);
  return found;
}

/** Grades submissions, `jobs` at a time, in the order given. */
export async function gradeAll(submissions: Submission[], options: GradeOptions, jobs = 1): Promise<GradeResult[]> {
  const results: GradeResult[] = new Array(submissions.length);
  let next = 0;
  const worker = async () => {
    while (next < submissions.length) {
      const i = next++;
      const s = submissions[i];
      options.onLog?.(`grading ${s.student}: ${s.file}\n`);
      results[i] = await gradeSubmission(s.file, s.student, options);
      const r = results[i];
      options.onLog?.(`  ${s.student}: ${r.points}/${r.max}${r.flags.length ? ' [flagged]' : ''}${r.reason ? ` — ${r.reason}` : ''} (${r.seconds.toFixed(0)} s)\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, submissions.length)) }, worker));
  return results;
}

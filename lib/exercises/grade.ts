/**
 * Grading submitted exercise notebooks: each submission runs in its own kernel and sandbox under a
 * wall-clock and memory limit, with the instructor's check cells put back (assemble.ts), and is
 * scored from the check cells' own recorded outcomes (score.ts).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { runNotebook } from '../runner/execute';
import { Notebook, readNotebook, writeNotebook } from '../runner/notebook';
import { ParamValue, notebookParameters } from '../runner/parameters';
import { Master, assembleSubmission, identifyExercise } from './assemble';
import { createSandbox } from './sandbox';
import { CheckScore, cellLabel, scoreChecks, stopReason } from './score';

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
  const base: GradeResult = {
    student,
    file,
    exercise: null,
    checks: [],
    points: 0,
    max: 0,
    flags: [],
    reason: null,
    seconds: 0,
    executed: null,
  };
  let sub: Notebook;
  try {
    sub = readNotebook(file);
  } catch (e) {
    return { ...base, reason: `노트북을 읽을 수 없습니다: ${(e as Error).message}` };
  }
  const master = identifyExercise(sub, file, options.masters);
  if (!master)
    return { ...base, reason: `어떤 과제인지 알 수 없습니다(과제: ${options.masters.map((m) => m.name).join(', ')}).` };
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
    const nodeOptions = [process.env.NODE_OPTIONS, `--max-old-space-size=${options.memoryMb}`]
      .filter(Boolean)
      .join(' ');
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
      const running = executed?.cells.find(
        (c) =>
          (c.metadata?.papermill as { status?: string } | undefined)?.status === 'failed' ||
          (c.metadata?.papermill as { status?: string } | undefined)?.status === 'running',
      );
      reason = `시간 제한 ${options.timeout}초를 넘겨 중단했습니다${running && executed ? `(${cellLabel(executed, running)} 실행 중)` : ''}.`;
    } else if (!result.ok) {
      reason =
        (executed && stopReason(executed, log.includes('the kernel died'))) ??
        `실행이 실패했습니다(종료 코드 ${result.exitCode}).`;
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
      options.onLog?.(
        `  ${s.student}: ${r.points}/${r.max}${r.flags.length ? ' [flagged]' : ''}${r.reason ? ` — ${r.reason}` : ''} (${r.seconds.toFixed(0)} s)\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, submissions.length)) }, worker));
  return results;
}

/**
 * Grading submitted exercise notebooks: each submission runs in its own kernel and sandbox under a
 * wall-clock and memory limit, with the instructor's check cells put back (assemble.ts), and is
 * scored from the check cells' own recorded outcomes (score.ts).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { projectPath } from '../project';
import { runNotebook } from '../runner/execute';
import { Notebook, readNotebook, writeNotebook } from '../runner/notebook';
import { ParamValue, notebookParameters } from '../runner/parameters';
import { Master, assembleSubmission, identifyExercise } from './assemble';
import { GUARD_TAG } from './guard';
import { BWRAP_HELP, bwrapArgv, createSandbox, filesLeftIn, sandboxUnavailable } from './sandbox';
import { CheckScore, cellLabel, outcomeFlags, scoreChecks, stopReason } from './score';

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
  /**
   * Run each submission in bubblewrap (default true). False grades without isolation: the
   * submission runs with the grader's rights (README, "Using it in class").
   */
  sandbox?: boolean;
  /** Folders the sandbox hides besides the submission's own folder, out/ and notebooks/ (e.g. the instructor's notebooks). */
  hide?: string[];
  /** Bytes of output kept per cell and per submission; past them output is cut with a note (defaults 1 MB, 5 MB). */
  maxCellOutputBytes?: number;
  maxOutputBytes?: number;
}

/**
 * Default output caps: a cell's and a whole submission's outputs, in bytes. 2 MB per cell because a
 * notebook's first chart carries plotly.js (about 1.2 MB), which an honest cell must keep.
 */
export const DEFAULT_MAX_CELL_OUTPUT = 2_000_000;
export const DEFAULT_MAX_OUTPUT = 5_000_000;
/** The grading log kept per submission (the kernel's own stdout and stderr go there too). */
const MAX_LOG = 1_000_000;

/** The cell the grader runs before any student code: arms the guard with this run's key. */
function guardCell(keyFile: string) {
  return {
    cell_type: 'code' as const,
    id: 'bn-lab-guard',
    metadata: { tags: [GUARD_TAG] },
    execution_count: null,
    outputs: [],
    source:
      '// 채점기가 넣은 셀: 검사 도구를 잠그고 이번 채점의 서명 키를 읽습니다.\n' +
      `require('bn-lab/exercises/guard').armGrading(${JSON.stringify(keyFile)});\n`,
  };
}

/** Tampering the executed notebook and the sandbox show: output cut, processes left, files written or attempted outside. */
function sandboxFlags(executed: Notebook | null, tmpFiles: string[], log: string, hidden: string[]): string[] {
  const flags: string[] = [];
  const facts = executed?.metadata?.bn_lab as
    { output_cut?: Record<string, number>; leftover_processes?: string[] } | undefined;
  const cut = Object.entries(facts?.output_cut ?? {});
  if (cut.length)
    flags.push(
      `출력이 한도를 넘어 잘림: ${cut.map(([cell, n]) => `${cell} 셀 ${n.toLocaleString('en')}바이트`).join(', ')}`,
    );
  const left = facts?.leftover_processes ?? [];
  if (left.length)
    flags.push(`채점이 끝난 뒤에도 돌던 프로세스 ${left.length}개를 종료함: ${left.slice(0, 3).join(' | ')}`);
  if (tmpFiles.length) flags.push(`작업 폴더 밖(/tmp)에 파일을 씀(채점 후 삭제): ${tmpFiles.slice(0, 5).join(', ')}`);
  const text = [
    log,
    ...(executed?.cells ?? []).flatMap((c) =>
      (c.outputs ?? []).map((o) =>
        [o.text, o.evalue, o.data?.['text/plain']]
          .map((t) => (Array.isArray(t) ? t.join('') : String(t ?? '')))
          .join('\n'),
      ),
    ),
  ].join('\n');
  // A hidden file shows up as a path the grader has and the run was told does not exist.
  const missing = [...text.matchAll(/ENOENT[^\n']*'([^']+)'/g)].map((m) => m[1]).filter((p) => existsSync(p));
  const tried = missing.length ? [...new Set(missing)] : hidden.map((h) => resolve(h)).filter((h) => text.includes(h));
  if (tried.length) flags.push(`숨겨진 파일을 읽으려 함(막힘): ${tried.slice(0, 5).join(', ')}`);
  const exit = (executed?.metadata?.bn_lab as { kernel_exit?: number | null } | undefined)?.kernel_exit;
  if (typeof exit === 'number' && exit >= 0 && exit !== 134) flags.push(`커널이 스스로 종료함(종료 코드 ${exit})`);
  if (/EROFS|read-only file system/i.test(text)) flags.push('작업 폴더 밖에 쓰려 함(읽기 전용이라 막힘)');
  if (/ENETUNREACH|EAI_AGAIN|ENOTFOUND|ECONNREFUSED|getaddrinfo/.test(text)) flags.push('네트워크에 접속하려 함(막힘)');
  if (
    /채점 중에는 .* 쓸 수 없습니다|Cannot assign to read only property|object is not extensible|Cannot redefine property|which has only a getter|Cannot delete property/.test(
      text,
    )
  )
    flags.push('잠긴 검사 도구나 로더를 바꾸려 함(막힘)');
  return flags;
}

/** Refuses to grade without isolation unless asked to: the reason and what to install. */
export function assertSandbox(options: GradeOptions): void {
  if (options.sandbox === false) return;
  const why = sandboxUnavailable();
  if (why) throw new Error(`${why}\n${BWRAP_HELP}`);
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
  const isolate = options.sandbox !== false;
  const hide = [
    ...(options.hide ?? []),
    dirname(file),
    options.outDir,
    projectPath('notebooks'),
    projectPath('exercises'),
  ];
  const declared = new Set(notebookParameters(master.notebook).map((p) => p.name));
  const parameters = Object.fromEntries(Object.entries(options.parameters ?? {}).filter(([k]) => declared.has(k)));
  const sandbox = createSandbox();
  const outDir = join(options.outDir, safeName(student));
  mkdirSync(outDir, { recursive: true });
  const executedPath = join(outDir, `${master.name}.ipynb`);
  // The executor writes inside the sandbox; the grader copies the result out after the run.
  const sandboxOutput = join(sandbox.dir, 'executed', `${master.name}.ipynb`);
  const key = randomBytes(32);
  const keyFile = join(sandbox.dir, '.guard-key');
  writeFileSync(keyFile, key.toString('hex'), { mode: 0o600 });
  notebook.cells.unshift(guardCell(keyFile));
  let log = '';
  let logCut = 0;
  let tmpFiles: string[] = [];
  const controller = new AbortController();
  // The executor stops itself at the limit (saving the partial notebook); this is the backstop.
  const timer = setTimeout(() => controller.abort(), (options.timeout + 30) * 1000);
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
      output: sandboxOutput,
      parameters,
      env: { ...options.env, NODE_OPTIONS: nodeOptions },
      signal: controller.signal,
      onLog: (t) => {
        if (log.length + t.length <= MAX_LOG) log += t;
        else logCut += t.length;
      },
      tempDir: sandbox.dir,
      wrap: (argv) => {
        const caps = [
          '--max-cell-output',
          String(options.maxCellOutputBytes ?? DEFAULT_MAX_CELL_OUTPUT),
          '--max-output',
          String(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT),
          '--deadline',
          String(options.timeout),
        ];
        if (!isolate) return [...argv, ...caps];
        const readOnly = ['BN_LAB_MNIST_DIR', 'BN_LAB_CIFAR10_DIR', 'BN_LAB_IRIS_DIR']
          .map((k) => options.env?.[k] ?? process.env[k])
          .filter((d): d is string => !!d);
        return bwrapArgv([...argv, ...caps, '--reap'], { sandbox, hide, readOnly });
      },
    });
    if (existsSync(sandboxOutput)) copyFileSync(sandboxOutput, executedPath);
    executed = result.notebook;
    if (controller.signal.aborted || result.exitCode === 124) {
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
    if (isolate) tmpFiles = filesLeftIn(sandbox.tmpDir);
    sandbox.remove();
    writeFileSync(
      join(outDir, `${master.name}.log`),
      log + (logCut ? `\n[bn-lab 채점기: 로그 ${logCut}바이트를 잘라냈습니다.]\n` : ''),
    );
  }
  const checks = scoreChecks(master, executed, reason, key);
  flags.push(...outcomeFlags(master, executed, key), ...sandboxFlags(executed, tmpFiles, log, isolate ? hide : []));
  if (!isolate) flags.push('샌드박스 없이 채점함(--no-sandbox)');
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
  assertSandbox(options);
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

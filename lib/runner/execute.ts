import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { findTaggedCell, readNotebook, writeNotebook, Notebook } from './notebook';
import { injectParameters, notebookParameters, ParamValue } from './parameters';
import { findJupyterPython, JUPYTER_HELP } from './python';
import { readRecords } from './records';
import { projectPath } from '../project';

/** Options for runNotebook, named after papermill's. */
export interface RunOptions {
  input: string;
  /** Defaults to out/<name>.ipynb in the current directory, as the CLI documents. */
  output?: string;
  parameters?: Record<string, ParamValue>;
  kernel?: string;
  /** Working directory of the kernel; defaults to the input notebook's folder. */
  cwd?: string;
  /** Seconds a single cell may run. */
  timeout?: number;
  /** Echo the cells' own output (progress bars, prints) while running. */
  logOutput?: boolean;
  /** Receives the executor's progress lines; defaults to stderr. */
  onLog?: (text: string) => void;
  /** Extra environment for the kernel (e.g. BN_LAB_BACKEND). */
  env?: NodeJS.ProcessEnv;
  /**
   * Stops the run when aborted (a wall-clock limit): the executor is sent SIGTERM, saves the partial
   * notebook and shuts its kernel down; if it has not exited 20 s later, its process group is killed.
   */
  signal?: AbortSignal;
  /** Wraps the executor's command line (a sandbox such as bubblewrap around it and its kernel). */
  wrap?: (argv: string[]) => string[];
  /** Where the executor's input copy goes (a folder the wrapped executor can read); default the system's. */
  tempDir?: string;
}

/** What a run produced. */
export interface RunResult {
  ok: boolean;
  exitCode: number;
  output: string;
  seconds: number;
  /** Values the notebook recorded with record(). */
  records: Record<string, unknown>;
  notebook: Notebook | null;
}

/** Where the CLI writes by default: out/<notebook name>. */
export function defaultOutputPath(input: string): string {
  return join('out', basename(input));
}

const EXECUTOR = projectPath('lib', 'runner', 'execute_notebook.py');

/**
 * Executes a notebook through nbclient (the real Jupyter kernel path) after injecting parameters,
 * and returns its exit status and recorded values. The output notebook is written even when a cell
 * fails, times out or the run is interrupted.
 */
export async function runNotebook(options: RunOptions): Promise<RunResult> {
  const python = findJupyterPython();
  if (!python) throw new Error(`Running notebooks needs Jupyter's nbclient, which was not found.\n${JUPYTER_HELP}`);
  const input = resolve(options.input);
  const output = resolve(options.output ?? defaultOutputPath(options.input));
  const parameters = options.parameters ?? {};
  const original = readNotebook(input);
  const nb = injectParameters(original, parameters, options.input);
  const defaults =
    findTaggedCell(original, 'parameters') < 0
      ? {}
      : Object.fromEntries(notebookParameters(original).map((p) => [p.name, p.default ?? null]));
  const work = mkdtempSync(join(options.tempDir ?? tmpdir(), 'bn-lab-run-'));
  const started = Date.now();
  try {
    const injected = join(work, basename(input));
    writeNotebook(injected, nb);
    const paramsFile = join(work, 'parameters.json');
    writeFileSync(paramsFile, JSON.stringify({ parameters, default_parameters: defaults }));
    const args = [
      EXECUTOR,
      injected,
      output,
      '--parameters-json',
      paramsFile,
      '--input-path',
      input,
      '--cwd',
      resolve(options.cwd ?? dirname(input)),
    ];
    if (options.kernel) args.push('--kernel', options.kernel);
    if (options.timeout) args.push('--timeout', String(options.timeout));
    if (options.logOutput) args.push('--log-output');
    const log = options.onLog ?? ((t: string) => process.stderr.write(t));
    // With a signal, the executor gets its own process group so a hard kill also reaches its kernel.
    const detached = options.signal !== undefined;
    const [command, ...argv] = options.wrap ? options.wrap([python, ...args]) : [python, ...args];
    const child = spawn(command, argv, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached,
    });
    child.stdout.on('data', (d) => log(String(d)));
    child.stderr.on('data', (d) => log(String(d)));
    // Ctrl-C in a terminal reaches the executor directly (same process group); a signal sent to
    // this process alone is forwarded. Either way the executor shuts the kernel down and saves the
    // partial notebook, and this process waits for it instead of dying first.
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    let hardKill: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGTERM');
      hardKill = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 20_000);
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const exitCode: number = await new Promise<number>((done, fail) => {
      child.on('error', fail);
      child.on('close', (code, signal) => done(code ?? (signal ? 130 : 1)));
    }).finally(() => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      options.signal?.removeEventListener('abort', onAbort);
      clearTimeout(hardKill);
    });
    const notebook = existsSync(output) ? readNotebook(output) : null;
    return {
      ok: exitCode === 0,
      exitCode,
      output,
      seconds: (Date.now() - started) / 1000,
      records: notebook ? readRecords(notebook) : {},
      notebook,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Starts a real Jupyter front end for the UI tests and stops it cleanly: JupyterLab 4 (`lab`) or
 * Notebook 7 (`notebook`), both from the project's .venv (or BN_LAB_PYTHON's Jupyter), as the
 * user running the tests. Each listens on 127.0.0.1 with a free port and no token, keeps its
 * settings in a private folder, and runs this project's tslab kernel through a private kernel spec
 * (a spec registered elsewhere may point at another checkout).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findJupyterPython, JUPYTER_HELP } from '../../lib/runner/python';
import { projectPath } from '../../lib/project';

/** Which front end to start. */
export type Frontend = 'lab' | 'notebook';

/** The project's root (this file compiles to dist/scripts/jupyter/). */
export const PROJECT_ROOT = projectPath();

/** The dataset variables passed to the server (and so to its kernels). */
export const DATA_ENV_VARS = ['BN_LAB_MNIST_DIR', 'BN_LAB_CIFAR10_DIR', 'BN_LAB_IRIS_DIR'];

/** Options for startJupyter. */
export interface StartOptions {
  frontend: Frontend;
  /** The folder the server serves; defaults to the project root. */
  root?: string;
  /** Extra environment for the server and its kernels. */
  env?: Record<string, string>;
  /** The Python whose Jupyter runs; defaults to BN_LAB_PYTHON, else the project's .venv. */
  python?: string;
  /** Seconds to wait for the server to answer. */
  startTimeout?: number;
}

/** A running server. */
export interface JupyterServer {
  frontend: Frontend;
  /** Base URL, e.g. http://127.0.0.1:41234/ */
  url: string;
  /** The URL that opens a notebook (path relative to the served root) in this front end. */
  notebookUrl(relativePath: string): string;
  /** The server's own log so far (stdout and stderr). */
  log(): string;
  /** Shuts the server down (kernels included) and removes its state; safe to call twice. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; the server is told to fail rather than move). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => done(port));
    });
  });
}

/** The module each front end runs as (`python -m ...`) and the major version the tests are written for. */
const FRONTEND_MODULE: Record<Frontend, { module: string; major: string; name: string }> = {
  lab: { module: 'jupyterlab', major: '4', name: 'JupyterLab 4' },
  notebook: { module: 'notebook', major: '7', name: 'Notebook 7' },
};

/** The Python that runs `frontend`, or an error saying how to get it. */
export function frontendPython(frontend: Frontend, python?: string): string {
  const { module, major, name } = FRONTEND_MODULE[frontend];
  const py = python ?? findJupyterPython([module, 'jupyter_client']);
  if (!py) throw new Error(`${name} was not found.\n${JUPYTER_HELP}`);
  const probe = spawnSync(py, ['-c', `import ${module}, sys; sys.stdout.write(${module}.__version__)`], {
    encoding: 'utf8',
  });
  if (probe.status !== 0 || probe.stdout.split('.')[0] !== major) {
    throw new Error(
      `${name} is needed, but ${py} has ${module} ${probe.stdout || `missing (${probe.stderr || probe.error?.message})`}: ` +
        'run `npm run python` to rebuild .venv/ from requirements.txt (or point BN_LAB_PYTHON at a Python that has it).',
    );
  }
  return py;
}

/**
 * Writes the private Jupyter folders: a kernel spec that runs this project's tslab, and settings
 * that keep a fresh server quiet (no news prompt, no update check).
 */
function writeJupyterState(state: string, projectRoot: string): void {
  const kernelDir = join(state, 'share', 'kernels', 'tslab');
  mkdirSync(kernelDir, { recursive: true });
  const tslab = join(projectRoot, 'node_modules', '.bin', 'tslab');
  // Same spec as `tslab install --binary`, which would also rewrite the global one.
  const spec = {
    argv: [tslab, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript',
    language: 'typescript',
  };
  writeFileSync(join(kernelDir, 'kernel.json'), JSON.stringify(spec, null, 1));
  const labconfig = join(state, 'config', 'labconfig');
  mkdirSync(labconfig, { recursive: true });
  // The announcements plugin asks "receive official Jupyter news?" in a toast over the notebook
  // and fetches news from the internet; neither belongs in a test.
  writeFileSync(
    join(labconfig, 'page_config.json'),
    JSON.stringify({ disabledExtensions: { '@jupyterlab/apputils-extension:announcements': true } }),
  );
  for (const d of ['data', 'runtime', 'workspaces', 'settings', 'home']) mkdirSync(join(state, d), { recursive: true });
}

/**
 * A server's private folder, named bn-lab-jupyter-* under `parent`, with the owning process's id
 * inside. Folders left by a test process that was killed are removed first (their server ended
 * with it, see WATCHDOG); those of live processes, such as a parallel run, are kept.
 */
function makeStateDir(parent: string): string {
  for (const name of readdirSync(parent)) {
    if (!name.startsWith('bn-lab-jupyter-')) continue;
    const dir = join(parent, name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue; // being created right now, or not ours to judge
    }
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) rmSync(dir, { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(parent, 'bn-lab-jupyter-'));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Environment that confines Jupyter to the private folders under `state` (a path as the server sees it). */
function jupyterEnv(state: string): Record<string, string> {
  return {
    HOME: join(state, 'home'),
    JUPYTER_PATH: join(state, 'share'),
    JUPYTER_DATA_DIR: join(state, 'data'),
    JUPYTER_CONFIG_DIR: join(state, 'config'),
    JUPYTER_RUNTIME_DIR: join(state, 'runtime'),
    JUPYTERLAB_WORKSPACES_DIR: join(state, 'workspaces'),
    JUPYTERLAB_SETTINGS_DIR: join(state, 'settings'),
    JUPYTER_PLATFORM_DIRS: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

function dataEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of DATA_ENV_VARS) if (process.env[name]) env[name] = process.env[name]!;
  return { ...env, ...extra };
}

/**
 * Runs the server ("$@") in the background and stops it with SIGTERM when this shell's stdin
 * reaches end of file: the test process closes it in stop(), and the OS closes it when the test
 * process dies in any way (even SIGKILL), so a server never outlives its test run. On SIGTERM
 * Jupyter shuts its kernels down before it exits. (Background jobs of a non-interactive shell read /dev/null, hence the copy of stdin on fd 3.)
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" & server=$!',
  '{ read -r _ <&3 || true; kill -TERM "$server" 2>/dev/null; } &',
  'wait "$server"',
].join('\n');

/** Starts JupyterLab 4 or Notebook 7 and waits until it answers. */
export async function startJupyter(options: StartOptions): Promise<JupyterServer> {
  const { frontend } = options;
  const python = frontendPython(frontend, options.python);
  const root = resolve(options.root ?? PROJECT_ROOT);
  const port = await freePort();
  const state = makeStateDir(tmpdir());
  writeJupyterState(state, PROJECT_ROOT); // the kernel is this checkout's tslab, whatever folder is served
  const serverEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', // the kernel spec's tslab is a `#!/usr/bin/env node` script
    LANG: 'C.UTF-8',
    ...jupyterEnv(state),
    ...dataEnv(options.env),
  };
  const args = [
    '-m',
    FRONTEND_MODULE[frontend].module,
    '--ip=127.0.0.1',
    `--port=${port}`,
    '--ServerApp.port_retries=0',
    '--no-browser',
    '--allow-root', // CI machines often run as root; nothing here needs it
    '--IdentityProvider.token=',
    '--ServerApp.password=',
    `--ServerApp.root_dir=${root}`,
  ];
  // Both apps would otherwise ask the internet whether a newer version exists.
  if (frontend === 'lab') args.push('--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate');
  const command = ['/bin/sh', '-c', WATCHDOG, `bn-lab-${frontend}`, python, ...args];
  const url = `http://127.0.0.1:${port}/`;
  let log = '';
  const child: ChildProcess = spawn(command[0], command.slice(1), {
    env: serverEnv,
    stdio: ['pipe', 'pipe', 'pipe'], // stdin: the watchdog's lifeline, see WATCHDOG
    detached: true, // its own process group, so stop() can signal the whole group
  });
  child.stdout!.on('data', (d) => (log += String(d)));
  child.stderr!.on('data', (d) => (log += String(d)));
  child.stdin!.on('error', () => undefined); // EPIPE when the server already ended: nothing to stop
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  let running = true;
  exited.then(() => (running = false));
  child.on('error', (e) => (log += `\n${e.message}`));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      if (running) {
        // The watchdog sends SIGTERM, which Jupyter takes as "shut down": it stops its kernels
        // and removes its runtime files. (POST /api/shutdown needs an XSRF cookie.)
        child.stdin!.end();
        await Promise.race([exited, sleep(20000)]);
      }
      if (running) {
        // A server that ignored SIGTERM: the whole group (watchdog and server) goes.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        await Promise.race([exited, sleep(5000)]);
      }
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  };

  const deadline = Date.now() + (options.startTimeout ?? 90) * 1000;
  try {
    for (;;) {
      if (!running) throw new Error(`${frontend} exited before it answered:\n${log.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${frontend} did not answer on ${url} in time:\n${log.slice(-3000)}`);
      const ok = await fetch(`${url}api/status`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(300);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    frontend,
    url,
    notebookUrl: (path) =>
      frontend === 'lab' ? `${url}lab/tree/${encodePath(path)}?reset` : `${url}notebooks/${encodePath(path)}`,
    log: () => log,
    stop,
  };
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

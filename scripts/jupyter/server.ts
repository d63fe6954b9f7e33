/**
 * Starts a real Jupyter front end for the UI tests and stops it cleanly:
 * - `lab`: JupyterLab 4 from Debian trixie, in the chroot made by setup-jupyterlab.sh, with the
 *   project and the dataset folders bind-mounted at their own paths (so every path is the same
 *   inside and outside);
 * - `notebook`: the classic Notebook 6 from the host's Debian packages.
 * Both listen on 127.0.0.1 with a free port and no token, and run this project's tslab kernel
 * through a private kernel spec (the global `tslab` spec may point at another checkout).
 *
 * As root, the server runs in its own mount and PID namespaces (unshare): its bind mounts exist
 * only there, and when the server process ends the kernel dies with it and every mount vanishes,
 * even if this process is killed. Without root only the classic Notebook can run.
 *
 * CLI: `node dist/scripts/jupyter/server.js lab|notebook` prints the URL and runs until Ctrl-C.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Which front end to start. */
export type Frontend = 'lab' | 'notebook';

/** The project's root (this file compiles to dist/scripts/jupyter/). */
export const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');

/** Where setup-jupyterlab.sh builds the trixie chroot unless BN_LAB_JUPYTERLAB_CHROOT says otherwise. */
export const DEFAULT_CHROOT = '/var/cache/bn-lab/jupyterlab-trixie';

/** The dataset variables passed to the server (and so to its kernels); their folders are mounted in the chroot. */
export const DATA_ENV_VARS = ['BN_LAB_MNIST_DIR', 'BN_LAB_CIFAR10_DIR', 'BN_LAB_IRIS_DIR'];

/** Options for startJupyter. */
export interface StartOptions {
  frontend: Frontend;
  /** The folder the server serves; defaults to the project root. */
  root?: string;
  /** Extra environment for the server and its kernels. */
  env?: Record<string, string>;
  /** The trixie chroot for `lab`. */
  chroot?: string;
  /** Python with the `notebook` package, for `notebook`. */
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

const isRoot = () => process.getuid?.() === 0;

/** The chroot's path, or an error that says how to make it. */
export function jupyterLabChroot(chroot = process.env.BN_LAB_JUPYTERLAB_CHROOT ?? DEFAULT_CHROOT): string {
  if (!existsSync(join(chroot, 'usr', 'bin', 'jupyter-lab'))) {
    throw new Error(
      `JupyterLab's chroot was not found at ${chroot}: build it with 'sudo scripts/jupyter/setup-jupyterlab.sh' ` +
        '(or set BN_LAB_JUPYTERLAB_CHROOT to where it is).',
    );
  }
  return chroot;
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
 * process dies in any way (even SIGKILL), so a server never outlives its test run. The shell exits
 * with the server; as the namespace's first process, its exit also ends the kernels and mounts.
 * (Background jobs of a non-interactive shell read /dev/null, hence the copy of stdin on fd 3.)
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" & server=$!',
  '{ read -r _ <&3 || true; kill -TERM "$server" 2>/dev/null; } &',
  'wait "$server"',
].join('\n');

/**
 * The lab's command: a shell in fresh namespaces mounts /proc, /dev, the project and the data
 * folders into the chroot, then runs jupyter-lab inside it under the watchdog. Paths go in as
 * arguments, never spliced into the script.
 */
function labCommand(chroot: string, root: string, dataDirs: string[], serverArgs: string[]): string[] {
  const script = [
    'set -eu',
    'c=$1; root=$2; ndata=$3; shift 3',
    'mount -t proc proc "$c/proc"',
    'mount --bind /dev "$c/dev"',
    'mkdir -p "$c$root" && mount --bind "$root" "$c$root"',
    'while [ "$ndata" -gt 0 ]; do d=$1; shift; ndata=$((ndata - 1));',
    '  mkdir -p "$c$d" && mount --bind "$d" "$c$d" && mount -o remount,bind,ro "$c$d"; done',
    'set +e -- chroot "$c" /usr/bin/jupyter-lab "$@"',
    WATCHDOG,
  ].join('\n');
  return [
    'unshare',
    '--mount',
    '--pid',
    '--fork',
    '--kill-child=SIGKILL',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    script,
    'bn-lab-jupyterlab',
    chroot,
    root,
    String(dataDirs.length),
    ...dataDirs,
    ...serverArgs,
  ];
}

/** Starts JupyterLab (chroot) or the classic Notebook (host) and waits until it answers. */
export async function startJupyter(options: StartOptions): Promise<JupyterServer> {
  const { frontend } = options;
  const root = resolve(options.root ?? PROJECT_ROOT);
  const port = await freePort();
  const env = dataEnv(options.env);
  const dataDirs = DATA_ENV_VARS.map((n) => env[n]).filter(
    (d): d is string => !!d && existsSync(d) && !d.startsWith(root + '/'),
  );
  let command: string[];
  let hostState: string;
  let serverEnv: Record<string, string>;
  if (frontend === 'lab') {
    if (!isRoot())
      throw new Error('JupyterLab runs in a chroot, which needs root: run the UI tests as root (CI does).');
    const chroot = jupyterLabChroot(options.chroot);
    hostState = makeStateDir(join(chroot, 'tmp'));
    const state = hostState.slice(chroot.length);
    writeJupyterState(hostState, root);
    serverEnv = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: 'C.UTF-8',
      ...jupyterEnv(state),
      ...env,
    };
    const args = [
      '--ip=127.0.0.1',
      `--port=${port}`,
      '--ServerApp.port_retries=0',
      '--no-browser',
      '--allow-root',
      '--IdentityProvider.token=',
      '--ServerApp.password=',
      `--ServerApp.root_dir=${root}`,
      '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
    ];
    command = labCommand(chroot, root, dataDirs, args);
  } else {
    const python = options.python ?? process.env.BN_LAB_JUPYTER_PYTHON ?? '/usr/bin/python3';
    const probe = spawnSync(python, ['-c', 'import notebook, sys; sys.stdout.write(notebook.__version__)'], {
      encoding: 'utf8',
    });
    if (probe.status !== 0 || !probe.stdout.startsWith('6.')) {
      throw new Error(
        `The classic Notebook 6 was not found with ${python} (${probe.stdout || probe.stderr || probe.error?.message}): ` +
          "install it with 'sudo apt-get install jupyter-notebook', or set BN_LAB_JUPYTER_PYTHON.",
      );
    }
    hostState = makeStateDir(tmpdir());
    writeJupyterState(hostState, root);
    serverEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...jupyterEnv(hostState), ...env };
    const args = [
      '-m',
      'notebook',
      '--ip=127.0.0.1',
      `--port=${port}`,
      '--port-retries=0',
      '--no-browser',
      '--allow-root',
      '--NotebookApp.token=',
      '--NotebookApp.password=',
      `--notebook-dir=${root}`,
    ];
    // In its own PID namespace (as root) the kernels cannot outlive the server.
    const watched = ['/bin/sh', '-c', WATCHDOG, 'bn-lab-notebook', python, ...args];
    command = isRoot()
      ? ['unshare', '--mount-proc', '--pid', '--fork', '--kill-child=SIGKILL', '--', ...watched]
      : watched;
  }
  const url = `http://127.0.0.1:${port}/`;
  let log = '';
  const child: ChildProcess = spawn(command[0], command.slice(1), {
    env: serverEnv,
    stdio: ['pipe', 'pipe', 'pipe'], // stdin: the watchdog's lifeline, see WATCHDOG
    detached: !isRoot(), // its own process group, so stop() can signal the whole group
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
        // The watchdog sends SIGTERM, which both servers take as "shut down": they stop their
        // kernels and remove their runtime files. (POST /api/shutdown needs an XSRF cookie.)
        child.stdin!.end();
        await Promise.race([exited, sleep(20000)]);
      }
      if (running) {
        // unshare's --kill-child takes the namespace (server, kernels, mounts) down with it.
        if (isRoot()) child.kill('SIGKILL');
        else if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        await Promise.race([exited, sleep(5000)]);
      }
    } finally {
      rmSync(hostState, { recursive: true, force: true });
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

async function main(): Promise<void> {
  const frontend = process.argv[2];
  if (frontend !== 'lab' && frontend !== 'notebook') {
    console.error('Usage: node dist/scripts/jupyter/server.js lab|notebook   (runs until Ctrl-C)');
    process.exit(2);
  }
  const server = await startJupyter({ frontend });
  console.log(`${frontend} is running at ${server.url} (Ctrl-C stops it)`);
  const finish = () => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', finish);
  process.on('SIGTERM', finish);
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  });
}

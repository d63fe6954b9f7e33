/**
 * Where a graded submission runs: a private folder per submission and, on Linux, a bubblewrap
 * sandbox around the executor and its kernel (read-only system and project, no network, its own
 * PID namespace, private /tmp, other students' work and the instructor's notebooks hidden).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { projectPath } from '../project';

const ROOT = projectPath();

/** Where sandboxes are made: inside the project, so module resolution matches notebooks/ exactly. */
export const SANDBOX_BASE = join(ROOT, 'out', '.grading');

/** A sandbox folder, where its notebook goes, and the folder its sandbox sees as /tmp. */
export interface Sandbox {
  dir: string;
  notebooksDir: string;
  /** Mounted as /tmp inside the bubblewrap sandbox, so what a run left there can be listed. */
  tmpDir: string;
  /** The kernel's home, TMPDIR and Jupyter's runtime folder (connection files), inside its folder. */
  homeDir: string;
  remove(): void;
}

/**
 * Creates a fresh folder (mode 0700) under out/.grading with an empty notebooks/ for the submission
 * and a link to data/ (for relative paths such as '../data/2.png'). It lives inside the project
 * because tslab type-checks each cell: `bn-lab`, tfjs and danfojs must resolve through the
 * project's own package.json and node_modules, as they do for notebooks/ (through symlinks from a
 * folder elsewhere, TypeScript cannot name danfojs's types). Each submission gets its own,
 * removed after grading, so no run sees another's files.
 */
export function createSandbox(): Sandbox {
  let dir: string;
  try {
    mkdirSync(SANDBOX_BASE, { recursive: true });
    dir = mkdtempSync(join(SANDBOX_BASE, 'submission-'));
  } catch (e) {
    const why = (e as Error).message;
    throw new Error(
      `Cannot create a grading sandbox in ${SANDBOX_BASE} (${why}); out/ must be writable by the user who grades.`,
      {
        cause: e,
      },
    );
  }
  symlinkSync(join(ROOT, 'data'), join(dir, 'data'), 'dir');
  const notebooksDir = join(dir, 'notebooks');
  const tmpDir = join(dir, '.tmp');
  const homeDir = join(dir, '.home');
  for (const d of [notebooksDir, tmpDir, homeDir, join(homeDir, 'tmp')]) mkdirSync(d, { mode: 0o700 });
  return { dir, notebooksDir, tmpDir, homeDir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How to get bubblewrap, for the refusal message. */
export const BWRAP_HELP =
  'Grading runs each submission inside bubblewrap. Install it (Debian/Ubuntu: sudo apt-get install bubblewrap; ' +
  'Fedora: sudo dnf install bubblewrap), or grade without isolation with --no-sandbox (see README, "Using it in class": ' +
  'the submissions then run with your rights, can read and write your files and use the network).';

/** Why bubblewrap cannot isolate a run here, or null when it can (tried once per process). */
let probed: string | null | undefined;
export function sandboxUnavailable(): string | null {
  if (probed !== undefined) return probed;
  if (process.platform !== 'linux') return (probed = `bubblewrap needs Linux (this is ${process.platform}).`);
  const r = spawnSync(
    'bwrap',
    [
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--unshare-net',
      '--unshare-pid',
      '--die-with-parent',
      'true',
    ],
    { encoding: 'utf8' },
  );
  if (r.error) return (probed = `bwrap was not found (${(r.error as NodeJS.ErrnoException).code}).`);
  if (r.status !== 0)
    return (probed = `bwrap cannot create namespaces here: ${r.stderr.trim() || `exit ${r.status}`}.`);
  return (probed = null);
}

const prefixes = new Map<string, string | null>();

/** Where a (venv's) Python is installed, asked once per interpreter. */
function pythonPrefix(python: string): string | null {
  if (!prefixes.has(python)) {
    const r = spawnSync(python, ['-c', 'import sys; print(sys.base_prefix)'], { encoding: 'utf8' });
    prefixes.set(python, r.status === 0 ? r.stdout.trim() : null);
  }
  return prefixes.get(python)!;
}

/** What a sandbox must show read-only and what it must hide. */
export interface IsolationOptions {
  sandbox: Sandbox;
  /** Folders hidden behind an empty tmpfs: submissions, instructor notebooks, other grades. */
  hide: string[];
  /** Extra folders shown read-only (data sets named by BN_LAB_*_DIR). */
  readOnly: string[];
}

/** What of the project a sandboxed run sees: packages, compiled code, data, the Python venv, the executor. */
const PROJECT_SHOWN = [
  'package.json',
  'node_modules',
  'packages',
  'dist',
  'data',
  '.venv',
  join('lib', 'runner', 'execute_notebook.py'),
];

const SYSTEM = ['/usr', '/bin', '/lib', '/lib32', '/lib64', '/libx32', '/sbin', '/etc'];

/**
 * The bubblewrap command line that runs `argv` in the sandbox. The system and the project are
 * read-only; the submission's folder is its only writable place besides a /tmp that is a folder of
 * its own; the network is its own loopback; its processes live in their own PID namespace, so when
 * the executor exits, whatever the submission left running is killed with it. Only what the run
 * needs is visible (system folders, the interpreters, the project's packages, compiled code and
 * data): not the grader's home, other submissions, the instructor's notebooks or other grades.
 */
export function bwrapArgv(argv: string[], o: IsolationOptions): string[] {
  const args: string[] = [];
  const shown = new Set<string>();
  const ro = (p: string) => {
    const full = resolve(p);
    if (!existsSync(full) || [...shown].some((s) => full === s || full.startsWith(s + '/'))) return;
    shown.add(full);
    args.push('--ro-bind', full, full);
  };
  // The private /tmp first: a checkout that itself lies under /tmp (a CI clone) is then bound on top
  // of it, not hidden by it. Mount points for it are made as empty folders in this private /tmp.
  args.push('--bind', o.sandbox.tmpDir, '/tmp');
  SYSTEM.forEach(ro);
  // The interpreters may live outside /usr (pyenv, nvm): show their installation folders.
  ro(dirname(dirname(process.execPath)));
  const prefix = pythonPrefix(argv[0]);
  if (prefix) ro(prefix);
  // Of the project, only what runs a notebook: not its tests, notebooks (the instructor's
  // solutions), sources or README, nor anything else kept in the checkout.
  for (const p of PROJECT_SHOWN) ro(join(ROOT, p));
  o.readOnly.forEach(ro);
  args.push('--dev', '/dev', '--proc', '/proc');
  for (const h of o.hide) {
    const full = resolve(h);
    // Only folders inside what is shown need hiding; the sandbox's own folder never is.
    const visible = [...shown].some((s) => full === s || full.startsWith(s + '/'));
    if (!visible || !existsSync(full) || !statSync(full).isDirectory()) continue;
    if (o.sandbox.dir.startsWith(full + '/') || full.startsWith(o.sandbox.dir)) continue;
    args.push('--tmpfs', full);
  }
  args.push('--bind', o.sandbox.dir, o.sandbox.dir);
  // The sandbox's root (where mount points were made) is read-only too: writes go nowhere unseen.
  args.push('--remount-ro', '/');
  args.push(
    '--unshare-net',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--die-with-parent',
    '--new-session',
    '--chdir',
    o.sandbox.dir,
    '--setenv',
    'HOME',
    o.sandbox.homeDir,
    '--setenv',
    'JUPYTER_RUNTIME_DIR',
    join(o.sandbox.homeDir, 'runtime'),
    '--setenv',
    'TMPDIR',
    join(o.sandbox.homeDir, 'tmp'),
    '--',
    ...argv,
  );
  return ['bwrap', ...args];
}

/** The files a run left in its private /tmp (paths as the submission saw them). */
export function filesLeftIn(tmpDir: string): string[] {
  const found: string[] = [];
  // A checkout under /tmp has its shown files bound over empty placeholders made in this folder.
  const placeholders = new Set(PROJECT_SHOWN.map((p) => join(ROOT, p)));
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const seen = '/tmp/' + relative(tmpDir, p);
      if (e.isDirectory()) walk(p);
      else if (!placeholders.has(seen)) found.push(seen);
    }
  };
  if (existsSync(tmpDir)) walk(tmpDir);
  return found;
}

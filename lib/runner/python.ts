import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../project';

/** The project's own virtual environment (made by `npm install` from requirements.txt). */
export function venvPython(): string | null {
  const root = projectRoot();
  if (!root) return null;
  const py =
    process.platform === 'win32'
      ? path.join(root, '.venv', 'Scripts', 'python.exe')
      : path.join(root, '.venv', 'bin', 'python');
  return existsSync(py) ? py : null;
}

/**
 * Where Jupyter is looked for, in order: BN_LAB_PYTHON (a user's own Jupyter), then the project's
 * .venv. Nothing else: a Jupyter found by chance on PATH is often another version than the one the
 * tests and the kernel registration were made for.
 */
export function pythonCandidates(): string[] {
  const own = process.env.BN_LAB_PYTHON;
  if (own) return [own];
  const venv = venvPython();
  return venv ? [venv] : [];
}

/** Answers per list of modules: a Python with nbconvert need not have nbclient. */
const found = new Map<string, string | null>();

/** The first candidate Python that imports every module in `modules`, or null. */
export function findJupyterPython(modules = ['jupyter_client', 'nbclient']): string | null {
  const key = modules.join(',');
  if (!found.has(key)) {
    const py = pythonCandidates().find(
      (candidate) => spawnSync(candidate, ['-c', modules.map((m) => `import ${m}`).join('; ')]).status === 0,
    );
    found.set(key, py ?? null);
  }
  return found.get(key)!;
}

/** How to get Jupyter, for error messages and the install script. */
export const JUPYTER_HELP = [
  'bn-lab runs Jupyter from its own virtual environment, .venv/, which `npm install` makes from',
  'requirements.txt when it finds Python 3.11+ with the venv module. To get it:',
  '  sudo apt-get install python3 python3-venv      (Debian/Ubuntu; other systems: python.org)',
  '  npm run python                                  (then make .venv and register the kernel)',
  'To use a Jupyter of your own instead, set BN_LAB_PYTHON=/path/to/its/python (it needs',
  'jupyterlab or notebook, nbclient and nbconvert) and run `npm run python`.',
].join('\n');

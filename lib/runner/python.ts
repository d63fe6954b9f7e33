import { spawnSync } from 'node:child_process';

/** Where Jupyter was looked for, in order: BN_LAB_PYTHON, Debian's python3, then PATH. */
export function pythonCandidates(): string[] {
  return [process.env.BN_LAB_PYTHON, '/usr/bin/python3', 'python3', 'python'].filter((p): p is string => !!p);
}

/** Answers per list of modules: a Python with nbconvert need not have nbclient. */
const found = new Map<string, string | null>();

/**
 * The first Python that can run notebooks (has jupyter_client and nbclient), or null. The first
 * python3 on PATH is often a pyenv or venv interpreter without Jupyter, so it is not assumed.
 */
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
  'Install Jupyter, then run `npm run kernel`:',
  '  pip install jupyterlab nbclient            (any OS with pip)',
  '  sudo apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel   (Debian/Ubuntu)',
  'Set BN_LAB_PYTHON=/path/to/python if Jupyter lives in a Python that is not first on PATH.',
].join('\n');

/**
 * `npm run lab`: JupyterLab on notebooks/, from the project's .venv (or BN_LAB_PYTHON's Jupyter),
 * with the tslab kernel that `npm install` / `npm run python` registered there. Extra arguments go
 * to JupyterLab (e.g. `npm run lab -- --port=9999 --no-browser`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { projectPath } from '../lib/project';
import { findJupyterPython, venvPython } from '../lib/runner/python';

/** The Python whose JupyterLab runs, or an error that names what is missing and the command that fixes it. */
function labPython(): string {
  const own = process.env.BN_LAB_PYTHON;
  const python = findJupyterPython(['jupyterlab']);
  if (python) return python;
  if (own) {
    throw new Error(
      `BN_LAB_PYTHON=${own} cannot import jupyterlab: install it there (${own} -m pip install jupyterlab), ` +
        'or unset BN_LAB_PYTHON to use the project’s .venv/.',
    );
  }
  throw new Error(
    venvPython()
      ? '.venv/ has no JupyterLab (an interrupted install?): run `npm run python` to reinstall requirements.txt.'
      : '.venv/ is missing, so JupyterLab is not installed: run `npm run python` (it needs Python 3.11+ with ' +
          'the venv module; on Debian/Ubuntu `sudo apt-get install python3-venv`).',
  );
}

/** Whether the tslab kernel is registered where this Python's Jupyter looks. */
function hasTslabKernel(python: string): boolean {
  const r = spawnSync(python, ['-m', 'jupyter', 'kernelspec', 'list', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  const specs = (JSON.parse(r.stdout) as { kernelspecs: Record<string, { spec: { argv: string[] } }> }).kernelspecs;
  // A tslab spec from another checkout would run that checkout's tslab and its bn-lab.
  const argv0 = specs.tslab?.spec.argv[0];
  return argv0 !== undefined && existsSync(argv0) && argv0.startsWith(projectPath('node_modules') + '/');
}

function main(): void {
  const python = labPython();
  if (!hasTslabKernel(python)) {
    throw new Error(
      `The TypeScript (tslab) kernel of this checkout is not registered in ${python}'s Jupyter: run \`npm run python\`.`,
    );
  }
  const args = ['-m', 'jupyterlab', `--ServerApp.root_dir=${projectPath('notebooks')}`, ...process.argv.slice(2)];
  console.log(`bn-lab: ${python} ${args.join(' ')}`);
  const lab = spawn(python, args, { stdio: 'inherit' });
  // Ctrl-C reaches JupyterLab through the terminal too; it asks to confirm, then stops its kernels.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => lab.kill('SIGTERM'));
  lab.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

try {
  main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}

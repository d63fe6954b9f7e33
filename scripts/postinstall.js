#!/usr/bin/env node
// Runs after `npm install` / `npm ci`: builds lib/ (notebooks import the compiled JS through the
// package's own name, because tslab cannot import .ts files from outside the notebook folder) and
// makes the Python side (.venv/ from requirements.txt) and registers the tslab kernel inside it, so
// that it starts this project's tslab. Plain JS on purpose:
// it runs before anything is compiled.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
}

/**
 * Applies patches/ to node_modules (patch-package). tslab 1.0.22 miscompiles `{ a }` when `a` was
 * declared in an earlier cell (ReferenceError at run time); the patch fixes its converter.
 */
function applyPatches() {
  const bin = path.join(
    root,
    'node_modules',
    '.bin',
    process.platform === 'win32' ? 'patch-package.cmd' : 'patch-package',
  );
  const r = run(bin, ['--error-on-fail'], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    console.error('bn-lab: applying patches/ failed; notebooks would misbehave, so the install stops here.');
    process.exit(r.status ?? 1);
  }
}

/** Builds the engine package (packages/tfjs-fast-cpu, a project reference) and then lib/. */
function build() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = run(process.execPath, [tsc, '-b', 'tsconfig.json'], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('bn-lab: building packages/tfjs-fast-cpu and lib/ failed (see the TypeScript errors above).');
    process.exit(r.status ?? 1);
  }
}

// node_modules/bn-lab (how notebooks `import ... from 'bn-lab'`) comes from package.json's
// "bn-lab": "file:." dependency, not from this script: tslab type-checks with Node10 resolution,
// which ignores a package's self-reference through "exports", and a link npm owns survives a
// later `npm install <package>`, which prunes links it does not know.

const VENV = path.join(root, '.venv');
const VENV_PYTHON = path.join(VENV, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const REQUIREMENTS = path.join(root, 'requirements.txt');
// Written into .venv after a successful install: a changed requirements.txt reinstalls.
const STAMP = path.join(VENV, 'bn-lab-requirements.sha256');

/** A Python 3.11+ that can make virtual environments (Debian splits venv/ensurepip into python3-venv). */
function findBasePython() {
  const probe = 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11)';
  return ['python3', 'python', '/usr/bin/python3'].find((py) => run(py, ['-c', probe]).status === 0) ?? null;
}

/**
 * Makes .venv from requirements.txt (JupyterLab, Notebook 7, nbclient, nbconvert, plotly's
 * renderer, JupyterLite) unless BN_LAB_PYTHON names a Jupyter of the user's own. Returns the Python
 * to register the kernel with, or null after saying what to install; never stops the install.
 */
function setupPython() {
  const own = process.env.BN_LAB_PYTHON;
  if (own) {
    if (run(own, ['-c', 'import jupyter_client, nbclient']).status === 0) return own;
    console.warn(`bn-lab: BN_LAB_PYTHON=${own} cannot import jupyter_client and nbclient; install them there.`);
    return null;
  }
  const wanted = require('node:crypto').createHash('sha256').update(fs.readFileSync(REQUIREMENTS)).digest('hex');
  if (fs.existsSync(VENV_PYTHON) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8').trim() === wanted) {
    return VENV_PYTHON;
  }
  if (!fs.existsSync(VENV_PYTHON)) {
    const base = findBasePython();
    if (!base) {
      console.warn(
        `bn-lab: no Python 3.11+ with the venv module was found, so Jupyter was not set up.\n${JUPYTER_HELP()}`,
      );
      return null;
    }
    console.log(`bn-lab: making .venv/ with ${base} ...`);
    const made = run(base, ['-m', 'venv', VENV], { stdio: 'inherit' });
    if (made.status !== 0) {
      console.warn(`bn-lab: \`${base} -m venv .venv\` failed.\n${JUPYTER_HELP()}`);
      return null;
    }
  }
  console.log('bn-lab: installing requirements.txt into .venv/ (JupyterLab, Notebook, nbclient, JupyterLite) ...');
  const pip = run(VENV_PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', REQUIREMENTS], {
    stdio: 'inherit',
  });
  if (pip.status !== 0) {
    console.warn(
      `bn-lab: pip could not install requirements.txt into .venv/ (see above); retry with \`npm run python\`.`,
    );
    return null;
  }
  fs.writeFileSync(STAMP, `${wanted}\n`);
  return VENV_PYTHON;
}

function JUPYTER_HELP() {
  return require('../dist/lib/runner/python.js').JUPYTER_HELP;
}

/**
 * Registers the tslab kernel inside the Python's own prefix (--sys-prefix for a virtual
 * environment), so a kernel spec never points at another checkout's tslab.
 */
function registerKernel(python) {
  const tslab = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tslab.cmd' : 'tslab');
  const inVenv = run(python, ['-c', 'import sys; sys.exit(0 if sys.prefix != sys.base_prefix else 1)']).status === 0;
  const r = run(tslab, ['install', `--python=${python}`, `--binary=${tslab}`, inVenv ? '--sys-prefix' : '--user']);
  if (r.status !== 0) {
    console.warn(
      `bn-lab: registering the tslab kernel failed:\n${r.stdout}${r.stderr}\n  Retry with \`npm run python\`.`,
    );
    return;
  }
  console.log(`bn-lab: tslab kernel registered in ${python}'s Jupyter (it runs ${tslab}).`);
}

/**
 * Builds the engine package's optional oneDNN addon (its native/build.js) unless the package's own
 * install script just did; never stops the install: without it bn-lab trains on pure wasm, and
 * the build says what is missing.
 */
function buildNative() {
  try {
    const { build: buildAddon, HOW } = require('../packages/tfjs-fast-cpu/native/build.js');
    const { ok, why } = buildAddon({ ifStale: true });
    console.log(
      ok
        ? `bn-lab: oneDNN kernels ${why}.`
        : `bn-lab: oneDNN kernels not built (training uses pure wasm): ${why}.\n  ${HOW}`,
    );
  } catch (e) {
    console.warn(`bn-lab: building the oneDNN kernels failed unexpectedly (${e.message}); training uses pure wasm.`);
  }
}

// `node scripts/postinstall.js python` redoes only the Python side (npm run python).
const only = process.argv[2];
if (only !== 'python') {
  applyPatches();
  build();
  buildNative();
}
const python = setupPython();
if (python) registerKernel(python);

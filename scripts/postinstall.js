#!/usr/bin/env node
// Runs after `npm install` / `npm ci`: builds lib/ (notebooks import the compiled JS through the
// package's own name, because tslab cannot import .ts files from outside the notebook folder) and
// registers the tslab Jupyter kernel so that it starts this project's tslab. Plain JS on purpose:
// it runs before anything is compiled.
'use strict';
const { spawnSync } = require('node:child_process');
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

function build() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = run(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('bn-lab: building lib/ failed (see the TypeScript errors above).');
    process.exit(r.status ?? 1);
  }
}

// node_modules/bn-lab (how notebooks `import ... from 'bn-lab'`) comes from package.json's
// "bn-lab": "file:." dependency, not from this script: tslab type-checks with Node10 resolution,
// which ignores a package's self-reference through "exports", and a link npm owns survives a
// later `npm install <package>`, which prunes links it does not know.

function registerKernel() {
  // Compiled by build() above; shared with the notebook runner so both find the same Python.
  const { findJupyterPython, JUPYTER_HELP } = require('../dist/lib/runner/python.js');
  const python = findJupyterPython(['jupyter_client']);
  if (!python) {
    console.warn(`bn-lab: Jupyter was not found, so the tslab kernel was not registered.\n${JUPYTER_HELP}`);
    return;
  }
  const tslab = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tslab.cmd' : 'tslab');
  const r = run(tslab, ['install', `--python=${python}`, `--binary=${tslab}`]);
  if (r.status !== 0) {
    console.warn(
      `bn-lab: registering the tslab kernel failed:\n${r.stdout}${r.stderr}\n  Retry with \`npm run kernel\`.`,
    );
    return;
  }
  console.log(`bn-lab: tslab kernel registered with ${python} (it runs ${tslab}).`);
}

/**
 * Builds the optional oneDNN addon (native/build.js); never stops the install: without it
 * bn-lab trains on pure wasm, and the build says what is missing.
 */
function buildNative() {
  try {
    const { build: buildAddon, HOW } = require('../native/build.js');
    const { ok, why } = buildAddon();
    console.log(
      ok
        ? `bn-lab: oneDNN kernels ${why}.`
        : `bn-lab: oneDNN kernels not built (training uses pure wasm): ${why}.\n  ${HOW}`,
    );
  } catch (e) {
    console.warn(`bn-lab: building the oneDNN kernels failed unexpectedly (${e.message}); training uses pure wasm.`);
  }
}

const only = process.argv[2];
if (only !== 'kernel') {
  applyPatches();
  build();
  buildNative();
}
if (only !== 'build') registerKernel();

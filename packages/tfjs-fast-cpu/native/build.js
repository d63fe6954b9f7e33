#!/usr/bin/env node
// Builds the optional oneDNN addon (native/dnnl/bnlab_dnnl.cc -> native/build/bnlab_dnnl.node) with
// the system C++ compiler, against the N-API headers of the npm package node-api-headers and the
// system's oneDNN (Debian/Ubuntu: libdnnl-dev; macOS: Homebrew's onednn). No node-gyp: it would
// download Node's headers, which offline machines cannot. Plain JS: it runs before tsc.
//
// Never fails the install: when something is missing it says what and how to get it, and
// tfjs trains on pure wasm (useFastCpu reports that the oneDNN kernels are off, and why).
// Usage: node native/build.js [--if-stale]   (exit code 0 always; 'built' or the reason on stdout)
//   --if-stale: keep an addon newer than its source and this script (the package's install
//   script and bn-lab's postinstall both call it during one `npm ci`).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(__dirname, 'dnnl', 'bnlab_dnnl.cc');
const output = path.join(__dirname, 'build', 'bnlab_dnnl.node');
const HOW =
  'Debian/Ubuntu: `sudo apt-get install g++ libdnnl-dev`; macOS: `xcode-select --install && brew install onednn`; ' +
  'then `node native/build.js` in @bn-lab/tfjs-fast-cpu (bn-lab: `npm run build:native`). Without it tfjs trains on ' +
  'pure wasm (slower for conv nets).';

function which(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? cmd : null;
}

/** Include/library folders where oneDNN may live beyond the compiler's defaults. */
function dnnlPrefixes() {
  const prefixes = [];
  if (process.env.DNNL_ROOT) prefixes.push(process.env.DNNL_ROOT);
  if (process.platform === 'darwin')
    prefixes.push('/opt/homebrew', '/usr/local', '/opt/homebrew/opt/onednn', '/usr/local/opt/onednn');
  return prefixes.filter((p) => fs.existsSync(path.join(p, 'include', 'oneapi', 'dnnl', 'dnnl.hpp')));
}

function hasDnnlHeader(prefixes) {
  const system = ['/usr/include', '/usr/local/include'].some((d) =>
    fs.existsSync(path.join(d, 'oneapi', 'dnnl', 'dnnl.hpp')),
  );
  return system || prefixes.length > 0;
}

/** What the build needs and lacks here: a reason, or the tools found. */
function prerequisites() {
  const cxx = [process.env.CXX, 'g++', 'c++', 'clang++'].filter(Boolean).find(which);
  if (!cxx) return { why: 'no C++ compiler found (g++, c++ or clang++; or set CXX)' };
  let napiInclude;
  try {
    napiInclude = path.join(
      path.dirname(require.resolve('node-api-headers/package.json', { paths: [root] })),
      'include',
    );
  } catch {
    return { why: 'the npm package node-api-headers is not installed (run `npm install`)' };
  }
  const prefixes = dnnlPrefixes();
  if (!hasDnnlHeader(prefixes)) return { why: 'oneDNN headers (oneapi/dnnl/dnnl.hpp) were not found' };
  return { cxx, napiInclude, prefixes };
}

/** Whether the built addon is newer than its source and this script. */
function upToDate() {
  if (!fs.existsSync(output)) return false;
  const built = fs.statSync(output).mtimeMs;
  return [source, __filename].every((f) => fs.statSync(f).mtimeMs < built);
}

/** Compiles and load-checks the addon; `ifStale` keeps one that is up to date. Never throws for a missing tool. */
function build({ ifStale = false } = {}) {
  if (ifStale && upToDate()) return { ok: true, why: `up to date (${path.relative(root, output)})` };
  const { why: missing, cxx, napiInclude, prefixes } = prerequisites();
  if (missing) return { ok: false, why: missing };
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const tmp = `${output}.${process.pid}.tmp`;
  // -ffp-contract=off: no fused multiply-adds, so the Adam loop rounds exactly as tfjs's separate ops do.
  const args = [
    '-O2',
    '-std=c++17',
    '-shared',
    '-fPIC',
    '-fvisibility=hidden',
    '-ffp-contract=off',
    '-DNODE_GYP_MODULE_NAME=bnlab_dnnl',
    '-DNAPI_VERSION=8',
    `-I${napiInclude}`,
    ...prefixes.map((p) => `-I${path.join(p, 'include')}`),
    source,
    '-o',
    tmp,
    ...prefixes.flatMap((p) => [`-L${path.join(p, 'lib')}`, `-Wl,-rpath,${path.join(p, 'lib')}`]),
    '-ldnnl',
  ];
  // Node resolves N-API symbols when it loads the addon; macOS's linker must be told so.
  if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup', '-Xpreprocessor', '-fopenmp');
  else args.push('-fopenmp');
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const lines = `${r.stderr}${r.stdout}`.trim().split('\n');
    return { ok: false, why: `${cxx} failed:\n    ${lines.slice(0, 12).join('\n    ')}` };
  }
  fs.renameSync(tmp, output);
  // Loading it here catches a missing shared library now rather than at the first notebook.
  const check = spawnSync(
    process.execPath,
    ['-e', `console.log(JSON.stringify(require(${JSON.stringify(output)}).info()))`],
    { encoding: 'utf8' },
  );
  if (check.status !== 0) {
    fs.rmSync(output, { force: true });
    return { ok: false, why: `the built addon does not load: ${check.stderr.trim().split('\n').slice(-1)[0]}` };
  }
  const info = JSON.parse(check.stdout);
  return { ok: true, why: `built ${path.relative(root, output)} (oneDNN ${info.version}, ${cxx})` };
}

if (require.main === module) {
  // An install script: whatever happens, the install goes on (tfjs then runs without these kernels).
  try {
    const { ok, why } = build({ ifStale: process.argv.includes('--if-stale') });
    console.log(
      ok ? `tfjs-fast-cpu: oneDNN kernels ${why}.` : `tfjs-fast-cpu: oneDNN kernels not built: ${why}.\n  ${HOW}`,
    );
  } catch (e) {
    console.warn(`tfjs-fast-cpu: building the oneDNN kernels failed unexpectedly (${e.message}).`);
  }
}

module.exports = { build, prerequisites, HOW };

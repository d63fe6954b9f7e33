#!/usr/bin/env node
// Makes @tensorflow/tfjs-node work where its install script cannot download libtensorflow and the
// prebuilt binding (`npm run build:tfjs-node`). Everything comes from the registries:
//   - the TensorFlow C library and its headers from the tensorflow-cpu wheel (PyPI), installed
//     into .venv/ with --no-deps at the version requirements-bench.txt pins: libtensorflow_cc.so.2
//     exports the C and eager C APIs (TF_NewSession, TFE_Execute, ...) that the binding calls;
//   - tfjs-node's own sources from npm (installed with --ignore-scripts, since its install script
//     would try the download again);
//   - node-gyp (bundled with npm), g++ and Node's headers (Node's include/ folder if present).
// Its binding is then compiled from the package's binding.gyp, linked against the wheel's library.
// Plain JS: it runs without a TypeScript build.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const VENV_PYTHON = path.join(root, '.venv', 'bin', 'python');
const TFJS_NODE = '@tensorflow/tfjs-node';

function fail(message) {
  console.error(`build-tfjs-node: ${message}`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  console.log(`build-tfjs-node: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) fail(`\`${[cmd, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal})`);
}

/** The exact version requirements-bench.txt pins for a Python package. */
function pinned(name) {
  const text = fs.readFileSync(path.join(root, 'requirements-bench.txt'), 'utf8');
  const m = text.match(new RegExp(`^${name}==(\\S+)`, 'm'));
  if (!m) fail(`requirements-bench.txt pins no ${name}`);
  return m[1];
}

/** The wheel's tensorflow/ folder in .venv (installing the wheel, without its Python deps, if needed). */
function tensorflowDir() {
  if (!fs.existsSync(VENV_PYTHON)) fail('.venv/ is missing: run `npm run python` first (it makes .venv/).');
  const find = () => {
    const lib = path.join(root, '.venv', 'lib');
    for (const py of fs.existsSync(lib) ? fs.readdirSync(lib) : []) {
      const dir = path.join(lib, py, 'site-packages', 'tensorflow');
      if (fs.existsSync(path.join(dir, 'libtensorflow_cc.so.2'))) return dir;
    }
    return null;
  };
  let dir = find();
  if (dir == null) {
    // The binding needs the shared libraries and headers only, not TensorFlow's Python packages.
    const spec = `tensorflow-cpu==${pinned('tensorflow-cpu')}`;
    run(VENV_PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '--no-deps', spec]);
    dir = find();
    if (dir == null) fail(`${spec} installed, but .venv has no tensorflow/libtensorflow_cc.so.2`);
  }
  return dir;
}

/** tfjs-node's package folder, installing it (without its install script) at package.json's version. */
function tfjsNodeDir() {
  const resolveIt = () => {
    try {
      return path.dirname(require.resolve(`${TFJS_NODE}/package.json`, { paths: [root] }));
    } catch {
      return null;
    }
  };
  let dir = resolveIt();
  if (dir == null) {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const version = pkg.optionalDependencies?.[TFJS_NODE];
    if (!version) fail(`package.json declares no ${TFJS_NODE}`);
    const npm = process.env.npm_execpath;
    const [cmd, pre] = npm ? [process.execPath, [npm]] : ['npm', []];
    run(
      cmd,
      [...pre, 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${TFJS_NODE}@${version}`],
      {
        cwd: root,
      },
    );
    dir = resolveIt();
    if (dir == null) fail(`${TFJS_NODE} is still not resolvable after npm install`);
  }
  return dir;
}

/** Replaces `link` with a symlink to `target`. */
function link(target, linkPath) {
  fs.rmSync(linkPath, { force: true, recursive: true });
  fs.symlinkSync(target, linkPath);
}

/** node-gyp's command line: npm's own copy, and Node's local headers when they are installed. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  const script = candidates.find((c) => c && fs.existsSync(c));
  if (script == null) fail('node-gyp not found (it ships with npm; or set npm_config_node_gyp)');
  const nodeDir = path.resolve(path.dirname(process.execPath), '..');
  // Without --nodedir node-gyp downloads the headers, which needs nodejs.org.
  const local = fs.existsSync(path.join(nodeDir, 'include', 'node', 'common.gypi'));
  return [script, local ? [`--nodedir=${nodeDir}`] : []];
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `only linux-x64 is supported here (this is ${process.platform}-${process.arch}); elsewhere npm installs tfjs-node normally`,
    );
  }
  const tfDir = tensorflowDir();
  const pkgDir = tfjsNodeDir();
  const pkgJson = path.join(pkgDir, 'package.json');

  // binding.gyp links -ltensorflow -ltensorflow_framework from deps/lib and sets the rpath there;
  // the wheel names them by their sonames, which the loader then looks for in the same folder.
  const libDir = path.join(pkgDir, 'deps', 'lib');
  fs.mkdirSync(libDir, { recursive: true });
  for (const [name, file] of [
    ['libtensorflow.so', 'libtensorflow_cc.so.2'],
    ['libtensorflow_cc.so.2', 'libtensorflow_cc.so.2'],
    ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
    ['libtensorflow_framework.so.2', 'libtensorflow_framework.so.2'],
  ])
    link(path.join(tfDir, file), path.join(libDir, name));
  link(path.join(tfDir, 'include'), path.join(pkgDir, 'deps', 'include'));

  // Where tfjs-node looks for its binding at run time (node-pre-gyp's rule: the highest N-API version).
  const binding = require(require.resolve('@mapbox/node-pre-gyp', { paths: [pkgDir] })).find(pkgJson);
  const napi = /napi-v(\d+)/.exec(binding)?.[1];
  if (!napi) fail(`unexpected binding path ${binding}`);
  const [gyp, gypArgs] = nodeGyp();
  run(
    process.execPath,
    [
      gyp,
      'rebuild',
      ...gypArgs,
      '--',
      '-Dmodule_name=tfjs_binding',
      `-Dmodule_path=${path.dirname(binding)}`,
      `-Dnapi_build_version=${napi}`,
    ],
    { cwd: pkgDir },
  );
  if (!fs.existsSync(binding)) fail(`node-gyp finished but ${binding} is missing`);

  // The proof: a fresh Node loads it and tfjs runs an op on the tensorflow backend.
  const check = spawnSync(
    process.execPath,
    [
      '-e',
      `const tf = require('${TFJS_NODE}'); console.log(tf.getBackend(), tf.tensor([1, 2]).square().dataSync().join(','))`,
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } },
  );
  if (check.status !== 0 || check.stdout.trim() !== 'tensorflow 1,4') {
    fail(`the built binding does not run: ${(check.stderr || check.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  console.log(`build-tfjs-node: ${binding} built against ${tfDir}; the tensorflow backend runs.`);
}

main();

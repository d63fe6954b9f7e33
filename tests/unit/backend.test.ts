import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend } from '../../lib/backend/select';
import { projectPath } from '../../lib/project';
import { resolveInChild } from '@bn-lab/tfjs-fast-cpu/test-helpers';

// bn-lab's path choice; the engine's kernels are tested in packages/tfjs-fast-cpu/test/.
const root = projectPath();
const { DNNL_ADDON_PATH } = require('@bn-lab/tfjs-fast-cpu') as { DNNL_ADDON_PATH: string };
const built = existsSync(DNNL_ADDON_PATH);

/** Runs initBackend in a fresh Node with `env`, returning its BackendInfo (and proving the process exits). */
function initInChild(choice: string, env: Record<string, string>, preload = '') {
  return resolveInChild<Record<string, string>>(
    `require(${JSON.stringify(`${root}/dist/lib/backend/select.js`)}).initBackend(${JSON.stringify(choice)})`,
    env,
    preload,
  );
}

test('every wasm path reports what runs, with the engine package and without it', () => {
  const threads = initInChild('wasm-threads', { BN_LAB_THREADS: '2' });
  assert.match(threads.info?.summary ?? threads.error!, /^wasm \(SIMD, 2 threads\) \+ bn-lab kernels$/);
  const single = initInChild('wasm', { BN_LAB_THREADS: '1', BN_LAB_DNNL_ADDON: '/nonexistent/bnlab_dnnl.node' });
  assert.equal(single.info?.path, 'wasm-1thread', JSON.stringify(single));
  assert.match(single.info!.reason, /wasm-dnnl: the oneDNN addon is not built \(\/nonexistent/);
  const refused = initInChild('wasm-dnnl', { BN_LAB_DNNL_ADDON: '/nonexistent/bnlab_dnnl.node' });
  assert.match(
    refused.error ?? '',
    /'wasm-dnnl'.*not available.*apt-get install g\+\+ libdnnl-dev.*npm run build:native/s,
  );
  if (built) {
    const native = initInChild('auto', { BN_LAB_THREADS: '2', BN_LAB_BACKEND: '' });
    if (native.info?.path !== 'tensorflow') {
      assert.equal(native.info?.path, 'wasm-dnnl', JSON.stringify(native));
      assert.match(native.info!.summary, /^wasm \(SIMD, 2 threads\) \+ bn-lab kernels \+ oneDNN \d+\.\d+\.\d+ kernels/);
    }
  }
  // Without the engine package (its resolution made to fail), plain wasm and cpu still run.
  const hide =
    "const M = require('node:module'); const r = M._resolveFilename; M._resolveFilename = function (req, ...a) {" +
    " if (req.startsWith('@bn-lab/tfjs-fast-cpu')) throw Object.assign(new Error('hidden'), { code: 'MODULE_NOT_FOUND' });" +
    ' return r.call(this, req, ...a); };';
  const plain = initInChild('wasm', {}, hide);
  assert.equal(plain.info?.path, 'wasm-1thread', JSON.stringify(plain));
  assert.equal(plain.info!.summary, 'wasm (stock tfjs kernels)');
  assert.match(plain.info!.reason, /wasm-dnnl: @bn-lab\/tfjs-fast-cpu is not installed/);
  assert.match(initInChild('wasm-threads', {}, hide).error ?? '', /'wasm-threads'.*not available.*not installed/s);
  assert.equal(initInChild('cpu', {}, hide).info?.path, 'cpu');
});

test('initBackend: auto, explicit, BN_LAB_BACKEND, and repeated calls', async (t) => {
  const saved = process.env.BN_LAB_BACKEND;
  delete process.env.BN_LAB_BACKEND;
  let haveTfjsNode = true;
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    haveTfjsNode = false;
  }
  try {
    const auto = await initBackend();
    assert.equal(auto.name, haveTfjsNode ? 'tensorflow' : 'wasm');
    assert.equal(tf.getBackend(), auto.name);
    if (!haveTfjsNode) {
      assert.match(auto.reason, /tfjs-node is not installed/);
      assert.ok(auto.path.startsWith('wasm-'), auto.path);
      assert.match(auto.summary, /^wasm \(SIMD, \d+ threads?\) \+ bn-lab kernels/);
    }
    assert.doesNotMatch(describeBackend(auto), /\n/);
    assert.match(describeBackend(auto), new RegExp(`backend ${auto.name}: `));

    const instance = tf.findBackend(auto.name);
    assert.deepEqual(await initBackend('auto'), auto);
    assert.equal(tf.findBackend(auto.name), instance, 'a repeated call must not re-create the backend');

    if (haveTfjsNode) t.diagnostic('tfjs-node is installed here; the rejection case is not checked');
    else
      await assert.rejects(
        initBackend('tensorflow'),
        /'tensorflow'.*not installed.*npm install @tensorflow\/tfjs-node@/s,
      );

    assert.equal((await initBackend('cpu')).name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');

    process.env.BN_LAB_BACKEND = 'cpu';
    // initBackend, not tf.setBackend: with tfjs-node installed, auto never registered wasm.
    await initBackend('wasm');
    const fromEnv = await initBackend();
    assert.equal(fromEnv.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.match(fromEnv.reason, /BN_LAB_BACKEND=cpu/);
    assert.equal((await initBackend('wasm')).name, 'wasm', 'an explicit choice wins over the variable');

    process.env.BN_LAB_BACKEND = 'wasm-1thread';
    const single = await initBackend();
    assert.deepEqual([single.name, single.path, tf.getBackend()], ['wasm', 'wasm-1thread', 'wasm']);
    assert.match(single.summary, /^wasm \(SIMD, 1 thread\) \+ bn-lab kernels$/);

    process.env.BN_LAB_BACKEND = 'gpu';
    await assert.rejects(
      initBackend(),
      /BN_LAB_BACKEND='gpu' is not a backend; use one of auto, tensorflow, wasm, wasm-dnnl/,
    );
    await assert.rejects(initBackend('wasm-4threads'), /'wasm-4threads' is not a backend/);
  } finally {
    if (saved === undefined) delete process.env.BN_LAB_BACKEND;
    else process.env.BN_LAB_BACKEND = saved;
    await initBackend('wasm-1thread');
  }
});

test('describeBackend names the oneDNN kernels when they run', { skip: !built && 'addon not built' }, async () => {
  try {
    assert.match(
      describeBackend(await initBackend('wasm-dnnl')),
      /backend wasm: wasm \(SIMD, \d+ threads?\) \+ bn-lab kernels \+ oneDNN/,
    );
  } finally {
    await initBackend('wasm-1thread');
  }
});

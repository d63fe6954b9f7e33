import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';

/** What started: the wasm module's thread count and whether its SIMD build runs. */
export interface WasmStart {
  threads: number;
  simd: boolean;
}

/** The subset of tfjs-backend-wasm's exports used here (imported lazily: loading it starts nothing). */
type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm');

const THREADS_VAR = 'BN_LAB_THREADS';
/** tfjs-backend-wasm pre-creates 8 pthread workers; XNNPACK's pool cannot use more. */
const MAX_WASM_THREADS = 8;
/** tfjs-backend-wasm registers 'wasm' at this priority; kept when this module re-registers it. */
const WASM_PRIORITY = 2;

let wasmModule: WasmModule | undefined;
let factory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;
let running: WasmStart | undefined;
/** The thread count the running module was started with (it may run fewer). */
let asked: number | undefined;

/**
 * Threads to ask for: BN_LAB_THREADS, else every core up to 8. tfjs itself would take half the
 * cores (it assumes hyper-threads), which is 1 on the 2-core machines this project runs on.
 */
export function wantedThreads(): number {
  const raw = process.env[THREADS_VAR]?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${THREADS_VAR}='${raw}' is not a thread count; use a whole number >= 1, or unset it.`);
    return Math.min(n, MAX_WASM_THREADS);
  }
  return Math.max(1, Math.min(MAX_WASM_THREADS, availableParallelism()));
}

/** Loads tfjs-backend-wasm once and keeps its backend factory, so the backend can be re-created. */
export async function loadWasmModule(): Promise<WasmModule> {
  if (wasmModule == null) {
    wasmModule = await import('@tensorflow/tfjs-backend-wasm');
    factory = tf.findBackendFactory('wasm') as typeof factory;
  }
  return wasmModule;
}

/**
 * Starts the wasm backend with `threads` XNNPACK threads (1: the single-threaded SIMD module) and
 * activates it. The thread count is fixed when the module starts, so a different count disposes
 * the running backend (and every wasm tensor) and starts a new one. Threads in Node rely on
 * patches/@tensorflow+tfjs-backend-wasm+*.patch (worker scripts as files, pthreads unref'd,
 * the half-the-cores cap lifted). Returns what actually runs, which may be fewer threads.
 */
export async function startWasm(threads: number): Promise<WasmStart> {
  const wasm = await loadWasmModule();
  if (running != null && asked === threads && tf.findBackend('wasm') != null) {
    if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
    return running;
  }
  if (factory == null) throw new Error('@tensorflow/tfjs-backend-wasm did not register its backend');
  if (tf.findBackend('wasm') != null || tf.engine().registryFactory.wasm == null) {
    // removeBackend disposes the module (terminating its threads) and forgets its factory.
    if (tf.engine().registryFactory.wasm != null) tf.removeBackend('wasm');
    tf.registerBackend('wasm', factory, WASM_PRIORITY);
  }
  running = undefined;
  asked = threads;
  // tfjs answers false in Node (tfjs issue 3830); the patch makes threads work there.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1 && typeof SharedArrayBuffer === 'function');
  wasm.setThreadsCount(threads);
  // setBackend reports a failed initialisation by resolving to false, not by throwing.
  if (!(await tf.setBackend('wasm'))) throw new Error(`the wasm backend failed to initialise with ${threads} thread(s)`);
  await tf.ready();
  running = { threads: wasm.getThreadsCount(), simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) };
  return running;
}

/** The running wasm module's threads, or undefined before startWasm. */
export function runningWasm(): WasmStart | undefined {
  return running;
}

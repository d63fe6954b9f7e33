import * as tf from '@tensorflow/tfjs';
import { availableParallelism, loadavg } from 'node:os';

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

let loadChoice: ThreadChoice | undefined;

/** How many threads to use and why (for initBackend's report). */
export interface ThreadChoice {
  threads: number;
  why: string;
}

/**
 * Threads to ask for: BN_LAB_THREADS, else the cores other processes leave idle (cores minus the
 * 1-minute load average, rounded; at least 1, at most 8). Threads help only on free cores: on a
 * busy machine a thread pool waits for its slowest, preempted thread at every op, which made
 * small ops 5-10x slower in measurements here. tfjs itself would take half the cores (it assumes
 * hyper-threads), which is 1 on the 2-core machines this project runs on.
 */
export function chooseThreads(): ThreadChoice {
  const raw = process.env[THREADS_VAR]?.trim();
  // Decided once per process from the load: a later change would restart the wasm module, which
  // disposes every wasm tensor (BN_LAB_THREADS, set on purpose, is honoured when it changes).
  if (!raw && loadChoice) return loadChoice;
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${THREADS_VAR}='${raw}' is not a thread count; use a whole number >= 1, or unset it.`);
    return { threads: Math.min(n, MAX_WASM_THREADS), why: `${THREADS_VAR}=${n}` };
  }
  const cores = availableParallelism();
  const load = loadavg()[0];
  const idle = Math.round(cores - load);
  const threads = Math.max(1, Math.min(MAX_WASM_THREADS, cores, idle));
  loadChoice = {
    threads,
    why: threads < Math.min(cores, MAX_WASM_THREADS) ? `load ${load.toFixed(1)} on ${cores} cores` : `${cores} cores`,
  };
  return loadChoice;
}

/** The thread count of chooseThreads, for callers that need only the number. */
export function wantedThreads(): number {
  return chooseThreads().threads;
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
 * the threads patch (README: patches/@tensorflow+tfjs-backend-wasm+4.22.0.patch) (worker scripts as files, pthreads unref'd,
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
  if (!(await tf.setBackend('wasm')))
    throw new Error(`the wasm backend failed to initialise with ${threads} thread(s)`);
  await tf.ready();
  running = { threads: wasm.getThreadsCount(), simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) };
  return running;
}

/** The running wasm module's threads, or undefined before startWasm. */
export function runningWasm(): WasmStart | undefined {
  return running;
}

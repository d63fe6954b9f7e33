import { DNNL_REMEDY, loadDnnl, useDnnlKernels } from './dnnl-kernels';
import { useFusedAdam } from './fused-adam';
import { registerWasmKernels } from './wasm-kernels';
import { chooseThreads, loadWasmModule, startWasm } from './wasm-threads';

/** What useFastCpu should enable. */
export interface FastCpuOptions {
  /** XNNPACK threads for the wasm module; default chooseThreads() (idle cores, or BN_LAB_THREADS). */
  threads?: number;
  /**
   * The oneDNN kernels: true requires them (throws with the fix when the addon is missing), false
   * leaves them off, 'auto' (default) uses them when the addon loads.
   */
  dnnl?: boolean | 'auto';
  /** Replace AdamOptimizer.prototype.applyGradients with the fused update (default false; see README). */
  fusedAdam?: boolean;
}

/** What useFastCpu enabled, so a caller can report what runs. */
export interface FastCpu {
  /** Threads the wasm module runs with (may be fewer than asked). */
  threads: number;
  /** Threads asked for. */
  askedThreads: number;
  /** Whether the wasm SIMD build runs. */
  simd: boolean;
  /** Why the threaded module did not start, when it fell back to one thread. */
  threadsError?: string;
  /** The oneDNN kernels in use, e.g. "oneDNN 3.5.3 kernels", or undefined when they are off. */
  dnnl?: string;
  /** Why the oneDNN kernels are off when dnnl was 'auto'. */
  dnnlError?: string;
  /** Whether the fused Adam update is on. */
  fusedAdam: boolean;
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/**
 * Makes tfjs's 'wasm' backend the fast CPU engine and activates it: this package's wasm kernels,
 * `threads` XNNPACK threads (falling back to one when threads cannot start), the oneDNN kernels
 * per `dnnl`, and the fused Adam update if asked. Process-wide, like tf.setBackend; calling it
 * again with other options switches (a different thread count restarts the wasm module, which
 * disposes every wasm tensor).
 */
export async function useFastCpu(options: FastCpuOptions = {}): Promise<FastCpu> {
  const { dnnl = 'auto', fusedAdam = false } = options;
  const askedThreads = options.threads ?? chooseThreads().threads;
  if (!Number.isInteger(askedThreads) || askedThreads < 1)
    throw new Error(`useFastCpu: threads must be a whole number >= 1 (got ${askedThreads}).`);
  let dnnlWhy: string | undefined;
  let dnnlError: string | undefined;
  if (dnnl !== false) {
    const loaded = loadDnnl();
    if (loaded.addon != null) dnnlWhy = loaded.why;
    else if (dnnl === true) throw new Error(`useFastCpu: ${loaded.why}. ${DNNL_REMEDY}`);
    else dnnlError = loaded.why;
  }
  await loadWasmModule();
  // The module registers its stock kernels when it loads; the oneDNN kernels sit over this
  // package's wasm kernels, so they come off while those register.
  useDnnlKernels(false);
  registerWasmKernels();
  let started;
  let threadsError: string | undefined;
  try {
    started = await startWasm(askedThreads);
  } catch (e) {
    if (askedThreads === 1) throw e;
    threadsError = firstLine(e);
    started = await startWasm(1);
  }
  if (dnnlWhy != null) useDnnlKernels(true);
  useFusedAdam(fusedAdam);
  return { ...started, askedThreads, threadsError, dnnl: dnnlWhy, dnnlError, fusedAdam };
}

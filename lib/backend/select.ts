import * as tf from '@tensorflow/tfjs';
import type * as FastCpuPackage from '@bn-lab/tfjs-fast-cpu';

/** The tfjs backends this project sets up: in Node tensorflow, wasm, cpu; in a browser (lib/host/browser-backend.ts) webgpu, webgl, wasm, cpu. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | 'webgl' | 'webgpu';

/**
 * The ways this project can run tfjs, fastest first; each can be forced with BN_LAB_BACKEND or
 * initBackend(name), so each can be tested and compared. The three wasm paths all run on the
 * tfjs 'wasm' backend: `wasm-dnnl` adds the oneDNN addon's kernels to the threaded module,
 * `wasm-threads` is the threaded module alone, `wasm-1thread` the single-threaded one. The fast
 * kernels, threads and oneDNN come from @bn-lab/tfjs-fast-cpu when it is installed; without it
 * only wasm-1thread (tfjs's stock wasm kernels) and cpu run.
 */
export type BackendPath = 'tensorflow' | 'wasm-dnnl' | 'wasm-threads' | 'wasm-1thread' | 'cpu' | BrowserOnlyPath;

/** Paths that exist only in a browser (lib/host/browser-backend.ts); Node's initBackend refuses them. */
export type BrowserOnlyPath = 'webgpu' | 'webgl';

/** The chosen backend and, for notebooks and logs, why it was chosen. */
export interface BackendInfo {
  /** The tfjs backend (`tf.getBackend()`). */
  name: BackendName;
  /** Which of this project's paths on that backend runs. */
  path: BackendPath;
  /** What runs, in a few words: e.g. "wasm (SIMD, 2 threads) + oneDNN 2.6.3 kernels". */
  summary: string;
  reason: string;
}

const PATHS: readonly BackendPath[] = ['tensorflow', 'wasm-dnnl', 'wasm-threads', 'wasm-1thread', 'cpu'];
/** Names initBackend accepts besides the paths: 'wasm' is the fastest wasm path that starts. */
const CHOICES: readonly string[] = ['auto', 'tensorflow', 'wasm', 'wasm-dnnl', 'wasm-threads', 'wasm-1thread', 'cpu'];
const ENV_VAR = 'BN_LAB_BACKEND';

/** Why each path was picked, or why it cannot be; probed once, since loading is the slow part. */
const probes = new Map<BackendPath, Promise<{ ok: boolean; why: string; summary: string }>>();

const TFJS_VERSION = tf.version_core;

/** The engine package (packages/tfjs-fast-cpu), which patches tfjs process-wide, so bn-lab's lib/ does not. */
const FAST_CPU = '@bn-lab/tfjs-fast-cpu';
let fastCpuModule: typeof FastCpuPackage | null | undefined;

/** The engine package if it is installed (loaded once), else null: plain wasm and cpu still run. */
function fastCpu(): typeof FastCpuPackage | null {
  if (fastCpuModule === undefined) {
    try {
      require.resolve(FAST_CPU);
      fastCpuModule = require(FAST_CPU) as typeof FastCpuPackage;
    } catch {
      fastCpuModule = null;
    }
  }
  return fastCpuModule;
}
const FAST_CPU_MISSING = `${FAST_CPU} is not installed (\`npm install\` in bn-lab installs it)`;

const WASM_REMEDY =
  `Reinstall it with \`npm install @tensorflow/tfjs-backend-wasm@${TFJS_VERSION}\` (same version as ` +
  `@tensorflow/tfjs), or use initBackend('cpu').`;
/** What a user can do when a path they asked for is not there. */
const REMEDY: Record<BackendPath, string> = {
  tensorflow:
    `Install it with \`npm install @tensorflow/tfjs-node@${TFJS_VERSION}\` (same version as @tensorflow/tfjs; ` +
    'its install script downloads libtensorflow, so it needs internet access), or choose ' +
    `another backend: initBackend('wasm'), or ${ENV_VAR}=wasm (or unset).`,
  'wasm-dnnl': `${fastCpu()?.DNNL_REMEDY ?? `Install ${FAST_CPU}.`} Or use initBackend('wasm'), which falls back to pure wasm.`,
  'wasm-threads':
    'Threads need SharedArrayBuffer, worker_threads and more than one core (BN_LAB_THREADS unset or >= 2), ' +
    `and the patch in patches/ applied (\`npx patch-package\`). Or use initBackend('wasm-1thread'). ${WASM_REMEDY}`,
  'wasm-1thread': WASM_REMEDY,
  cpu: 'Reinstall @tensorflow/tfjs.',
  webgpu: 'WebGPU runs only in a browser (the JupyterLite site).',
  webgl: 'WebGL runs only in a browser (the JupyterLite site).',
};

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function activate(name: BackendName): Promise<boolean> {
  // setBackend reports a failed backend initialisation by resolving to false, not by throwing.
  if (!(await tf.setBackend(name))) return false;
  await tf.ready();
  return true;
}

type Probe = { ok: boolean; why: string; summary: string };
const fail = (why: string): Probe => ({ ok: false, why, summary: '' });

/** Threads the wasm paths ask for (1 for wasm-1thread). */
const threadsFor = (fc: typeof FastCpuPackage, path: BackendPath) =>
  path === 'wasm-1thread' ? 1 : fc.chooseThreads().threads;

/**
 * Starts the engine package's wasm path and says what runs. The threaded module falls back to the
 * single-threaded one if it cannot start; wasm-threads then fails (it promises threads), while
 * wasm-dnnl keeps its native kernels on one wasm thread and says so.
 */
async function startWasmPath(
  fc: typeof FastCpuPackage,
  path: BackendPath,
): Promise<{ threads: number; simd: boolean; note: string; dnnl?: string }> {
  const threads = threadsFor(fc, path);
  const started = await fc.useFastCpu({ threads, dnnl: path === 'wasm-dnnl', fusedAdam: true });
  let note = '';
  if (started.threadsError) note = `; threads failed (${started.threadsError}), so 1 thread`;
  else if (threads > 1 && started.threads < threads) note = `; asked for ${threads} threads, got ${started.threads}`;
  return {
    ...started,
    note: note || (path === 'wasm-1thread' ? '' : ` (threads: ${fc.chooseThreads().why})`),
  };
}

const describeWasm = (w: { threads: number; simd: boolean }) =>
  `wasm (${w.simd ? 'SIMD' : 'no SIMD'}, ${w.threads} thread${w.threads === 1 ? '' : 's'})`;

/**
 * tfjs-node registers its own console progress logger for every fit at Keras's default verbosity,
 * so on this path alone each fit would print "Epoch 1 / 5" and a per-epoch line beside the notebook's
 * progressBar. Its output goes through `progressBarHelper.log`, which tfjs-node exports to be
 * replaced; silencing it keeps every backend's cell output the same.
 */
function quietTfjsNodeProgress(): void {
  try {
    const callbacks = require('@tensorflow/tfjs-node/dist/callbacks') as { progressBarHelper?: { log: unknown } };
    if (callbacks.progressBarHelper) callbacks.progressBarHelper.log = () => undefined;
  } catch {
    // Cosmetic: another tfjs-node layout only brings its epoch lines back; the backend still runs.
  }
}

async function load(path: BackendPath): Promise<Probe> {
  if (path === 'tensorflow') {
    try {
      // tfjs-node registers the 'tensorflow' backend on the tfjs-core it resolves to.
      require('@tensorflow/tfjs-node');
      quietTfjsNodeProgress();
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /tfjs-node'/.test(firstLine(e));
      return fail(`tfjs-node is ${missing ? 'not installed' : 'installed but failed to load'} (${firstLine(e)})`);
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      return fail(
        'tfjs-node loaded but registered its backend on another copy of @tensorflow/tfjs-core ' +
          '(versions differ; keep @tensorflow/tfjs and @tensorflow/tfjs-node on the same version)',
      );
    }
    return (await activate('tensorflow'))
      ? { ok: true, why: 'tfjs-node (native libtensorflow)', summary: 'tfjs-node' }
      : fail('tfjs-node is installed but its backend failed to initialise');
  }
  if (path === 'cpu') {
    return (await activate('cpu'))
      ? { ok: true, why: 'plain JavaScript, always available, slowest', summary: 'cpu (JavaScript)' }
      : fail('the cpu backend failed to initialise');
  }
  // The wasm paths.
  const fc = fastCpu();
  if (fc == null) {
    if (path !== 'wasm-1thread') return fail(FAST_CPU_MISSING);
    try {
      require('@tensorflow/tfjs-backend-wasm');
    } catch (e) {
      return fail(`tfjs-backend-wasm failed to load (${firstLine(e)})`);
    }
    return (await activate('wasm'))
      ? {
          ok: true,
          why: `WebAssembly + XNNPACK, tfjs's stock kernels (${FAST_CPU_MISSING}; conv nets cannot train)`,
          summary: 'wasm (stock tfjs kernels)',
        }
      : fail('the wasm backend failed to initialise');
  }
  if (path === 'wasm-dnnl') {
    const loaded = fc.loadDnnl();
    if (loaded.addon == null) return fail(loaded.why);
  }
  if (path === 'wasm-threads' && threadsFor(fc, path) < 2) {
    return fail(`threads are off (${fc.chooseThreads().why}; BN_LAB_THREADS=2 forces two)`);
  }
  let wasm;
  try {
    wasm = await startWasmPath(fc, path);
  } catch (e) {
    return fail(`the wasm backend failed to start (${firstLine(e)})`);
  }
  if (path === 'wasm-threads' && wasm.threads < 2) return fail(`wasm threads did not start${wasm.note}`);
  const base = `${describeWasm(wasm)} + bn-lab kernels`;
  if (path === 'wasm-dnnl') {
    return {
      ok: true,
      why: `WebAssembly + XNNPACK with ${wasm.dnnl} for convolutions and matrix products${wasm.note}`,
      summary: `${base} + ${wasm.dnnl}`,
    };
  }
  return { ok: true, why: `WebAssembly + XNNPACK${wasm.note}`, summary: base };
}

function probe(path: BackendPath): Promise<Probe> {
  let p = probes.get(path);
  if (p == null) probes.set(path, (p = load(path)));
  return p;
}

async function use(path: BackendPath, summary: string, reason: string): Promise<BackendInfo> {
  // Code may have switched backends or wasm paths since the probe; switching back is cheap unless
  // the wasm thread count differs (then the wasm module restarts).
  const fc = fastCpu();
  if (path.startsWith('wasm-') && fc != null) {
    await startWasmPath(fc, path);
  } else {
    const name = path.startsWith('wasm-') ? 'wasm' : (path as BackendName);
    if (tf.getBackend() !== name) await activate(name);
  }
  await tf.ready();
  return { name: path.startsWith('wasm-') ? 'wasm' : (path as BackendName), path, summary, reason };
}

function checkChoice(choice: string, origin: string): void {
  if (!CHOICES.includes(choice)) throw new Error(`${origin} is not a backend; use one of ${CHOICES.join(', ')}.`);
}

/** The fastest of `candidates` that starts, or an error listing why none did. */
async function fastest(candidates: readonly BackendPath[], origin: string): Promise<BackendInfo> {
  const skipped: string[] = [];
  for (const path of candidates) {
    const { ok, why, summary } = await probe(path);
    if (ok) {
      return use(
        path,
        summary,
        skipped.length
          ? `${origin}: ${skipped.join('; ')}, so ${path}: ${why}`
          : `${origin}: ${why}, the fastest choice`,
      );
    }
    skipped.push(`${path}: ${why}`);
  }
  throw new Error(`No tfjs backend could start: ${skipped.join('; ')}.`);
}

/**
 * Picks and activates the tfjs backend, so every notebook trains on the fastest one present
 * and can say which. 'auto' honours BN_LAB_BACKEND, then tries tensorflow > wasm-dnnl >
 * wasm-threads > wasm-1thread > cpu; 'wasm' tries the wasm paths in that order; any other name
 * (see BackendPath) forces that path and throws with the fix if it cannot start. Repeated calls
 * reuse the first probe, so calling it at the top of every cell is cheap.
 */
export async function initBackend(
  preferred: BackendName | BackendPath | 'auto' | (string & {}) = 'auto',
): Promise<BackendInfo> {
  // Accepts any string because notebook parameters arrive as strings; unknown names fail clearly.
  checkChoice(preferred, `'${preferred}'`);
  let wanted = preferred;
  let origin = `initBackend('${preferred}')`;
  const fromEnv = process.env[ENV_VAR]?.trim().toLowerCase();
  if (preferred === 'auto' && fromEnv) {
    checkChoice(fromEnv, `${ENV_VAR}='${process.env[ENV_VAR]}'`);
    wanted = fromEnv;
    origin = `${ENV_VAR}=${fromEnv}`;
  }
  if (wanted === 'auto') return fastest(PATHS, origin);
  if (wanted === 'wasm')
    return fastest(
      PATHS.filter((p) => p.startsWith('wasm-')),
      origin,
    );
  const path = wanted as BackendPath;
  const { ok, why, summary } = await probe(path);
  if (!ok) throw new Error(`Backend '${path}' (asked for by ${origin}) is not available: ${why}. ${REMEDY[path]}`);
  return use(path, summary, `${origin}: ${why}`);
}

/** One line for a notebook header or log, so every recorded result says what it ran on. */
export function describeBackend(info: BackendInfo): string {
  return `tfjs ${TFJS_VERSION}, backend ${info.name}: ${info.summary} (${info.reason})`;
}

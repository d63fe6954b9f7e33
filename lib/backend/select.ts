import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels } from './wasm-kernels';

/** The tfjs backends this project knows how to set up in Node, fastest first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** The chosen backend and, for notebooks and logs, why it was chosen. */
export interface BackendInfo {
  name: BackendName;
  reason: string;
}

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
const ENV_VAR = 'BN_LAB_BACKEND';

/** Why each backend was picked, or why it cannot be; probed once, since loading is the slow part. */
const probes = new Map<BackendName, Promise<{ ok: boolean; why: string }>>();

const TFJS_VERSION = tf.version_core;

/** What a user can do when a backend they asked for is not there. */
const REMEDY: Record<BackendName, string> = {
  tensorflow: `Install it with \`npm install @tensorflow/tfjs-node@${TFJS_VERSION}\` (same version as @tensorflow/tfjs; ` +
    'its install script downloads libtensorflow, so it needs internet access), or choose ' +
    `another backend: initBackend('wasm'), or ${ENV_VAR}=wasm (or unset).`,
  wasm: `Reinstall it with \`npm install @tensorflow/tfjs-backend-wasm@${TFJS_VERSION}\` (same version as ` +
    `@tensorflow/tfjs), or use initBackend('cpu').`,
  cpu: 'Reinstall @tensorflow/tfjs.',
};

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function activate(name: BackendName): Promise<boolean> {
  // setBackend reports a failed backend initialisation by resolving to false, not by throwing.
  if (!(await tf.setBackend(name))) return false;
  await tf.ready();
  return true;
}

async function load(name: BackendName): Promise<{ ok: boolean; why: string }> {
  if (name === 'tensorflow') {
    try {
      // tfjs-node registers the 'tensorflow' backend on the tfjs-core it resolves to.
      require('@tensorflow/tfjs-node');
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /tfjs-node'/.test(firstLine(e));
      return { ok: false, why: `tfjs-node is ${missing ? 'not installed' : 'installed but failed to load'} (${firstLine(e)})` };
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      return { ok: false, why: 'tfjs-node loaded but registered its backend on another copy of @tensorflow/tfjs-core ' +
        '(versions differ; keep @tensorflow/tfjs and @tensorflow/tfjs-node on the same version)' };
    }
    return (await activate(name)) ? { ok: true, why: 'tfjs-node (native libtensorflow)' }
      : { ok: false, why: 'tfjs-node is installed but its backend failed to initialise' };
  }
  if (name === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (e) {
      return { ok: false, why: `@tensorflow/tfjs-backend-wasm failed to load (${firstLine(e)})` };
    }
    registerWasmKernels();
    if (!(await activate(name))) return { ok: false, why: 'the wasm backend failed to initialise' };
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD';
    const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? 'multi-threaded' : '1 thread';
    return { ok: true, why: `WebAssembly + XNNPACK, ${simd}, ${threads}` };
  }
  return (await activate(name)) ? { ok: true, why: 'plain JavaScript, always available, slowest' }
    : { ok: false, why: 'the cpu backend failed to initialise' };
}

function probe(name: BackendName): Promise<{ ok: boolean; why: string }> {
  let p = probes.get(name);
  if (p == null) probes.set(name, (p = load(name)));
  return p;
}

async function use(name: BackendName, reason: string): Promise<BackendInfo> {
  // Code may have switched backends since the probe; switching back to an initialised one is cheap.
  if (tf.getBackend() !== name) await activate(name);
  await tf.ready();
  return { name, reason };
}

/**
 * Picks and activates the tfjs backend, so every notebook trains on the fastest one present
 * and can say which. 'auto' honours BN_LAB_BACKEND, then tries tensorflow > wasm > cpu; an
 * explicit name (or the variable) that cannot load throws with the fix. Repeated calls reuse
 * the first probe, so calling it at the top of every cell is cheap.
 */
export async function initBackend(preferred: BackendName | 'auto' | (string & {}) = 'auto'): Promise<BackendInfo> {
  // Accepts any string because notebook parameters arrive as strings; unknown names fail clearly.
  if (preferred !== 'auto' && !BACKENDS.includes(preferred as BackendName)) {
    throw new Error(`'${preferred}' is not a backend; use one of ${BACKENDS.join(', ')} or auto.`);
  }
  let wanted = preferred as BackendName | 'auto';
  let origin = `initBackend('${preferred}')`;
  const fromEnv = process.env[ENV_VAR]?.trim().toLowerCase();
  if (preferred === 'auto' && fromEnv) {
    if (fromEnv !== 'auto' && !BACKENDS.includes(fromEnv as BackendName)) {
      throw new Error(`${ENV_VAR}='${process.env[ENV_VAR]}' is not a backend; use one of ${BACKENDS.join(', ')} or auto.`);
    }
    wanted = fromEnv as BackendName | 'auto';
    origin = `${ENV_VAR}=${fromEnv}`;
  }

  if (wanted !== 'auto') {
    const { ok, why } = await probe(wanted);
    if (!ok) throw new Error(`Backend '${wanted}' (asked for by ${origin}) is not available: ${why}. ${REMEDY[wanted]}`);
    return use(wanted, `${origin}: ${why}`);
  }
  const skipped: string[] = [];
  for (const name of BACKENDS) {
    const { ok, why } = await probe(name);
    if (ok) return use(name, skipped.length ? `${skipped.join('; ')}, so ${name}: ${why}` : `${why}, the fastest choice`);
    skipped.push(why);
  }
  throw new Error(`No tfjs backend could start: ${skipped.join('; ')}.`);
}

/** One line for a notebook header or log, so every recorded result says what it ran on. */
export function describeBackend(info: BackendInfo): string {
  return `tfjs ${TFJS_VERSION}, backend ${info.name}: ${info.reason}`;
}

import * as tf from '@tensorflow/tfjs';
import { AGREEMENT_TOLERANCE, convBnProbe, probeDifference, ProbeRun } from '../backend/agreement';
import type { BackendInfo } from '../backend/select';
import { besideBundle } from './bundle-url';

/** The backends a browser may run, fastest first. */
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
type BrowserBackend = (typeof BROWSER_BACKENDS)[number];
const GPU: readonly string[] = ['webgpu', 'webgl'];

type Probe = { ok: boolean; why: string; summary: string };
const probes = new Map<BrowserBackend, Promise<Probe>>();
let cpuRun: Promise<ProbeRun> | undefined;

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** How long the throwaway worker may take to start tfjs on webgpu and read one tensor back. */
const SYNC_READ_TIMEOUT_MS = 20_000;

/**
 * Why webgpu's synchronous reads cannot be trusted here, or undefined when they give the right
 * numbers. The notebooks read results with dataSync (model.evaluate's scalars, predictions), which
 * tfjs's webgpu backend serves by drawing through a canvas; in a Web Worker that returned zeros or
 * blocked for good (NOTES.md), and a blocked read cannot be timed out from the same thread. So the
 * read is tried in a throwaway module worker that loads the same tfjs.js, and ended if it hangs.
 */
async function webgpuSyncReadProblem(): Promise<string | undefined> {
  const tfjs = besideBundle('tfjs.js');
  if (tfjs === undefined || typeof Worker === 'undefined')
    return 'cannot test its synchronous reads outside the bn-lab bundle';
  const source =
    `import * as tf from ${JSON.stringify(tfjs)};\n` +
    'try {\n' +
    "  if (!(await tf.setBackend('webgpu'))) throw new Error('setBackend failed');\n" +
    '  await tf.ready();\n' +
    '  postMessage({ got: Array.from(tf.tensor1d([1, 2, 3, 4]).square().dataSync()) });\n' +
    '} catch (e) {\n' +
    '  postMessage({ error: String((e && e.message) || e) });\n' +
    '}\n';
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url, { type: 'module' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const reply = await new Promise<{ got?: number[]; error?: string }>((resolve) => {
      timer = setTimeout(
        () => resolve({ error: `no answer in ${SYNC_READ_TIMEOUT_MS / 1000} s` }),
        SYNC_READ_TIMEOUT_MS,
      );
      worker.onmessage = (e: MessageEvent) => resolve(e.data as { got?: number[]; error?: string });
      worker.onerror = (e: ErrorEvent) => resolve({ error: e.message || 'the probe worker failed to start' });
    });
    if (reply.error) return `a synchronous read (dataSync) failed in a Web Worker (${reply.error})`;
    const expected = [1, 4, 9, 16];
    if (JSON.stringify(reply.got) !== JSON.stringify(expected))
      return `a synchronous read (dataSync) in a Web Worker gave [${reply.got?.join(', ')}] instead of [${expected.join(', ')}]`;
    return undefined;
  } finally {
    clearTimeout(timer);
    worker.terminate();
    URL.revokeObjectURL(url);
  }
}

/** What GPU WebGL draws on, from WEBGL_debug_renderer_info (e.g. "ANGLE (Intel, ...)"). */
function webglRenderer(): string {
  try {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
    if (!gl) return 'unknown GPU';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  } catch {
    return 'unknown GPU';
  }
}

/** The WebGPU adapter's vendor and architecture or description (e.g. "google, swiftshader"). */
async function webgpuAdapter(): Promise<string> {
  type Info = { vendor?: string; architecture?: string; device?: string; description?: string };
  type Adapter = { info?: Info; requestAdapterInfo?: () => Promise<Info> };
  try {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<Adapter | null> } }).gpu;
    const adapter = await gpu?.requestAdapter();
    const info = adapter?.info ?? (await adapter?.requestAdapterInfo?.());
    const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s);
    return parts.length ? parts.join(', ') : 'unknown adapter';
  } catch {
    return 'unknown adapter';
  }
}

async function summarize(name: BrowserBackend): Promise<string> {
  switch (name) {
    case 'webgpu':
      return `webgpu (${await webgpuAdapter()})`;
    case 'webgl':
      return `webgl ${tf.env().getNumber('WEBGL_VERSION')} (${webglRenderer()})`;
    case 'wasm': {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      return `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'threads' : '1 thread'})`;
    }
    default:
      return 'cpu (JavaScript)';
  }
}

/**
 * Starts a backend and, for a GPU one, trains the probe model there and on cpu: a GPU backend that
 * computes differently (half floats, driver bugs) would teach wrong numbers, so it is refused.
 */
async function load(name: BrowserBackend): Promise<Probe> {
  if (tf.findBackendFactory(name) == null) return { ok: false, why: 'not registered in this tfjs bundle', summary: '' };
  try {
    // Asking first keeps tfjs from printing a failed initialisation's stack trace into the first cell.
    if (name === 'webgpu') {
      if (!(await hasWebgpuAdapter())) return { ok: false, why: 'no WebGPU adapter', summary: '' };
      const problem = await webgpuSyncReadProblem();
      if (problem) return { ok: false, why: problem, summary: '' };
    }
    if (GPU.includes(name)) {
      const reference = await (cpuRun ??= convBnProbe('cpu'));
      const run = await convBnProbe(name);
      const diff = probeDifference(run, reference);
      if (!(diff <= AGREEMENT_TOLERANCE)) {
        return {
          ok: false,
          why: `a conv+BN training probe differs from cpu by ${diff.toExponential(1)} (tolerance ${AGREEMENT_TOLERANCE})`,
          summary: '',
        };
      }
      if (!(await tf.setBackend(name))) throw new Error('setBackend failed');
      await tf.ready();
      return {
        ok: true,
        why: `${name} trains a conv+BN probe like cpu (max relative difference ${diff.toExponential(1)})`,
        summary: await summarize(name),
      };
    }
    if (!(await tf.setBackend(name))) return { ok: false, why: 'failed to initialise', summary: '' };
    await tf.ready();
    return {
      ok: true,
      why: name === 'wasm' ? 'WebAssembly + XNNPACK' : 'plain JavaScript, always available, slowest',
      summary: await summarize(name),
    };
  } catch (e) {
    return { ok: false, why: `failed to start (${firstLine(e)})`, summary: '' };
  }
}

async function hasWebgpuAdapter(): Promise<boolean> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  try {
    return (await gpu?.requestAdapter()) != null;
  } catch {
    return false;
  }
}

function probe(name: BrowserBackend): Promise<Probe> {
  let p = probes.get(name);
  if (!p) probes.set(name, (p = load(name)));
  return p;
}

async function use(name: BrowserBackend, summary: string, reason: string): Promise<BackendInfo> {
  if (tf.getBackend() !== name) await tf.setBackend(name);
  await tf.ready();
  const threads = name === 'wasm' && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  return { name, path: name === 'wasm' ? (threads ? 'wasm-threads' : 'wasm-1thread') : name, summary, reason };
}

/**
 * initBackend in a browser: 'auto' tries webgpu > webgl > wasm > cpu and keeps the first that
 * starts (and, for a GPU, passes the probe; for webgpu, also the synchronous read); a name forces
 * that backend and throws if it cannot.
 * Probes run once per kernel, so calling it in every notebook is cheap.
 */
export async function initBrowserBackend(preferred = 'auto'): Promise<BackendInfo> {
  const choice = preferred.trim().toLowerCase();
  const origin = `initBackend('${preferred}')`;
  if (choice === 'auto') {
    const skipped: string[] = [];
    for (const name of BROWSER_BACKENDS) {
      const { ok, why, summary } = await probe(name);
      if (ok)
        return use(
          name,
          summary,
          skipped.length
            ? `${origin}: ${skipped.join('; ')}, so ${name}: ${why}`
            : `${origin}: ${why}, the fastest choice`,
        );
      skipped.push(`${name}: ${why}`);
    }
    throw new Error(`No tfjs backend could start: ${skipped.join('; ')}.`);
  }
  if (!(BROWSER_BACKENDS as readonly string[]).includes(choice)) {
    throw new Error(`'${preferred}' is not a backend in the browser; use one of auto, ${BROWSER_BACKENDS.join(', ')}.`);
  }
  const name = choice as BrowserBackend;
  const { ok, why, summary } = await probe(name);
  if (!ok)
    throw new Error(`Backend '${name}' (asked for by ${origin}) is not available: ${why}. Use initBackend('auto').`);
  return use(name, summary, `${origin}: ${why}`);
}

// The kernel's Web Worker: compiles and runs cells, forwards console output and bn-lab's displays.
import type { CellOutcome, DisplayMessage, FromWorker, ToWorker, WorkerInit } from '../kernel/src/protocol';
import { CellSyntaxError, compileCell, type CompiledCell } from './compiler';
import { formatArgs, inspect } from './inspect';
import { Outbox, within } from './outbox';

const IMPORT = '__bnLabImport';
const DECLARE = '__bnLabDeclare';

// Captured before user code runs: a cell may declare names like `postMessage` or `console`.
const scope = globalThis as unknown as Record<string, unknown> & { postMessage(message: FromWorker): void };
const post = scope.postMessage.bind(scope);
const indirectEval = eval;

/** How long a display waits for its pending entries (a chart's PNG, tens of milliseconds) before it goes without them. */
const PENDING_TIMEOUT_MS = 20_000;

// Streams and displays reach the page in the order the cell made them, a display only once its PNG is drawn.
const outbox = new Outbox<FromWorker>(post, (error) =>
  post({
    type: 'stream',
    id: currentId,
    name: 'stderr',
    text: `bn-lab kernel: an output was lost (${String(error)})\n`,
  }),
);

let init: WorkerInit | undefined;
let interruptedByMessage = false;
let currentId = 0;
const modules = new Map<string, Promise<unknown>>();

function interrupted(): boolean {
  return interruptedByMessage || (init?.interruptFlag !== undefined && Atomics.load(init.interruptFlag, 0) !== 0);
}

function importModule(specifier: string): Promise<unknown> {
  const url = init?.modules[specifier];
  if (!url) {
    const known = Object.keys(init?.modules ?? {}).join(', ');
    return Promise.reject(
      new Error(`Cannot import '${specifier}' in this site: the modules bundled with it are ${known}.`),
    );
  }
  let loaded = modules.get(specifier);
  if (!loaded) {
    loaded = import(/* webpackIgnore: true */ url);
    modules.set(specifier, loaded);
  }
  return loaded;
}

function declare(names: string[]): void {
  for (const name of names) {
    const own = Object.getOwnPropertyDescriptor(globalThis, name);
    if (own && 'value' in own && own.writable) continue;
    if (!own && !(name in globalThis)) continue;
    Object.defineProperty(globalThis, name, { value: undefined, writable: true, configurable: true, enumerable: true });
  }
}

function installGlobals(): void {
  scope[IMPORT] = importModule;
  scope[DECLARE] = declare;
  scope.__bnLabKernel = {
    display: (msg: QueuedDisplay) => outbox.push(displayMessage(msg)),
    dataUrl: init?.dataUrl,
    interrupted,
  };
  const stream =
    (name: 'stdout' | 'stderr') =>
    (...args: unknown[]) =>
      outbox.push({ type: 'stream', id: currentId, name, text: `${formatArgs(args)}\n` });
  const out = stream('stdout');
  const err = stream('stderr');
  Object.assign(console, { log: out, info: out, debug: out, warn: err, error: err });
}

/** A display as bn-lab hands it over (KernelDisplayMessage in lib/host/browser.ts): entries may still be pending. */
type QueuedDisplay = DisplayMessage & { pending?: Promise<Record<string, unknown>> };

/**
 * The display to post: at once, or once its pending entries are merged into its data; if they fail
 * (or take too long) the display goes without them, after a warning on the cell's stderr.
 */
function displayMessage({ pending, ...msg }: QueuedDisplay): FromWorker | Promise<FromWorker[]> {
  const id = currentId;
  const ready: FromWorker = { type: 'display', id, ...msg };
  if (!pending) return ready;
  return within(pending, PENDING_TIMEOUT_MS, 'drawing the output').then(
    (extra): FromWorker[] => [{ ...ready, data: { ...msg.data, ...extra } }],
    (error: unknown): FromWorker[] => [
      { type: 'stream', id, name: 'stderr', text: `${error instanceof Error ? error.message : String(error)}\n` },
      ready,
    ],
  );
}

function lineOf(error: unknown, compiled: CompiledCell, sourceName: string): number | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const escaped = sourceName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}:(\\d+):\\d+`).exec(stack);
  return match ? compiled.cellLine(Number(match[1])) : undefined;
}

function errorOutcome(error: unknown, where: string | undefined): CellOutcome {
  const ename = error instanceof Error ? error.name || error.constructor.name : 'Error';
  const evalue = error instanceof Error ? error.message : inspect(error);
  return {
    status: 'error',
    ename,
    evalue,
    traceback: [`\u001b[31m${ename}\u001b[0m: ${evalue}`, ...(where ? [where] : [])],
  };
}

function describeLine(code: string, line: number | undefined): string | undefined {
  if (line === undefined) return undefined;
  const text = code.split('\n')[line - 1]?.trim() ?? '';
  return `    at cell line ${line}: ${text}`;
}

const INTERRUPT_ERROR: CellOutcome = {
  status: 'error',
  ename: 'KeyboardInterrupt',
  evalue: 'the cell was interrupted',
  traceback: ['\u001b[31mKeyboardInterrupt\u001b[0m: the cell was interrupted (training stops at the next batch)'],
};

async function execute(id: number, code: string, sourceName: string): Promise<CellOutcome> {
  currentId = id;
  interruptedByMessage = false;
  if (init?.interruptFlag) Atomics.store(init.interruptFlag, 0, 0);
  let compiled: CompiledCell;
  try {
    compiled = compileCell(code, { sourceName, importFunction: IMPORT, declareFunction: DECLARE });
  } catch (error) {
    if (error instanceof CellSyntaxError) return errorOutcome(error, describeLine(code, error.line));
    throw error;
  }
  try {
    const value = await indirectEval(compiled.code);
    if (interrupted()) return INTERRUPT_ERROR;
    return value === undefined ? { status: 'ok' } : { status: 'ok', value: { 'text/plain': inspect(value) } };
  } catch (error) {
    if (interrupted()) return INTERRUPT_ERROR;
    return errorOutcome(error, describeLine(code, lineOf(error, compiled, sourceName)));
  }
}

// Errors outside a cell's promise (a timer's callback, a forgotten promise) still belong to the cell that is running.
const report = (what: unknown) =>
  outbox.push({ type: 'stream', id: currentId, name: 'stderr', text: `Uncaught ${formatArgs([what])}\n` });
self.addEventListener('error', (event) => {
  event.preventDefault();
  report(event.error ?? event.message);
});
self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  report(event.reason);
});

scope.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'init') {
    init = message;
    installGlobals();
    post({ type: 'ready' });
  } else if (message.type === 'interrupt') {
    interruptedByMessage = true;
    post({ type: 'interrupt-seen' });
  } else if (message.type === 'execute') {
    let outcome: CellOutcome;
    try {
      outcome = await execute(message.id, message.code, message.sourceName);
    } catch (error) {
      outcome = errorOutcome(error, 'inside the kernel worker');
    }
    await outbox.drained();
    post({ type: 'done', id: message.id, ...outcome });
  }
};

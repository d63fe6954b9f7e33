// The kernel on the page: Jupyter messages in, a Web Worker running the cells, outputs back.
import { BaseKernel, type IKernel } from '@jupyterlite/services';
import type { KernelMessage } from '@jupyterlab/services';
import type { CellOutcome, FromWorker, ToWorker } from './protocol';

/** URLs the kernel needs from the site. */
export interface SiteUrls {
  /** The worker script (an ES module). */
  worker: string;
  /** Import specifier → ES module bundle URL. */
  modules: Record<string, string>;
  /** The data folder, ending with '/'. */
  dataUrl: string;
}

/** How long an interrupted cell may take to notice before the worker is restarted. */
const INTERRUPT_GRACE_MS = 3000;

interface Running {
  id: number;
  resolve(outcome: CellOutcome): void;
  interrupts: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** TypeScript cells with tslab's semantics, run in a Web Worker. */
export class BnLabKernel extends BaseKernel {
  private worker!: Worker;
  private workerReady!: Promise<void>;
  private interruptFlag?: Int32Array;
  private running?: Running;
  private nextId = 1;

  constructor(
    options: IKernel.IOptions,
    private readonly urls: SiteUrls,
  ) {
    super(options);
    this.startWorker();
  }

  override get ready(): Promise<void> {
    return this.workerReady;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.worker.terminate();
    this.running?.resolve(this.restartedOutcome('the kernel shut down'));
    super.dispose();
  }

  /** Asks the running cell to stop; a cell that does not notice (a busy loop) is ended by a new worker. */
  interrupt(): void {
    const running = this.running;
    if (!running) return;
    running.interrupts += 1;
    if (this.interruptFlag) Atomics.store(this.interruptFlag, 0, 1);
    this.send({ type: 'interrupt' });
    if (running.interrupts > 1) {
      this.restartWorker('it was interrupted twice');
      return;
    }
    running.timer = setTimeout(
      () => this.restartWorker(`it did not respond within ${INTERRUPT_GRACE_MS / 1000} s`),
      INTERRUPT_GRACE_MS,
    );
  }

  private startWorker(): void {
    this.worker = new Worker(this.urls.worker, { type: 'module', name: 'bn-lab kernel' });
    // Atomics on shared memory reach a worker busy in a synchronous stretch; pages without
    // cross-origin isolation still get the interrupt message between awaits.
    this.interruptFlag =
      typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated
        ? new Int32Array(new SharedArrayBuffer(4))
        : undefined;
    this.workerReady = new Promise((resolve, reject) => {
      this.worker.onerror = (event) => reject(new Error(`The kernel worker failed to start: ${event.message}`));
      this.worker.onmessage = (event: MessageEvent<FromWorker>) => {
        if (event.data.type === 'ready') resolve();
        else this.onWorkerMessage(event.data);
      };
    });
    this.send({
      type: 'init',
      modules: this.urls.modules,
      dataUrl: this.urls.dataUrl,
      interruptFlag: this.interruptFlag,
    });
  }

  private restartWorker(why: string): void {
    const running = this.running;
    this.worker.terminate();
    this.startWorker();
    running?.resolve(this.restartedOutcome(`the cell was stopped by restarting the kernel's worker, because ${why}`));
  }

  private restartedOutcome(why: string): CellOutcome {
    const evalue = `${why}. Every name defined so far is gone: run the notebook again from the top.`;
    return {
      status: 'error',
      ename: 'KeyboardInterrupt',
      evalue,
      traceback: [`\u001b[31mKeyboardInterrupt\u001b[0m: ${evalue}`],
    };
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private onWorkerMessage(message: FromWorker): void {
    if (message.type === 'interrupt-seen') {
      if (this.running?.timer) clearTimeout(this.running.timer);
      return;
    }
    if (message.type === 'ready' || message.id !== this.running?.id) return;
    if (message.type === 'stream') {
      this.stream({ name: message.name, text: message.text });
    } else if (message.type === 'display') {
      const content = {
        data: message.data,
        metadata: message.metadata,
        transient: message.transient,
      } as KernelMessage.IDisplayDataMsg['content'];
      if (message.update) this.updateDisplayData(content as KernelMessage.IUpdateDisplayDataMsg['content']);
      else this.displayData(content);
    } else if (message.type === 'done') {
      const { type: _type, id: _id, ...outcome } = message;
      this.running.resolve(outcome);
    }
  }

  override async kernelInfoRequest(): Promise<KernelMessage.IInfoReplyMsg['content']> {
    return {
      implementation: 'bn-lab-lite',
      implementation_version: '0.1.0',
      language_info: {
        name: 'typescript',
        version: '5.9',
        mimetype: 'text/typescript',
        file_extension: '.ts',
        codemirror_mode: { name: 'javascript', typescript: true },
      },
      protocol_version: '5.3',
      status: 'ok',
      banner: 'TypeScript (bn-lab, in the browser): cells run in a Web Worker with TensorFlow.js',
      help_links: [],
    };
  }

  override async executeRequest(
    content: KernelMessage.IExecuteRequestMsg['content'],
  ): Promise<KernelMessage.IExecuteReplyMsg['content']> {
    await this.workerReady;
    const id = this.nextId++;
    const outcome = await new Promise<CellOutcome>((resolve) => {
      this.running = { id, resolve, interrupts: 0 };
      this.send({ type: 'execute', id, code: content.code, sourceName: `cell-${this.executionCount}.ts` });
    });
    if (this.running?.timer) clearTimeout(this.running.timer);
    this.running = undefined;
    if (outcome.status === 'error') {
      const { ename, evalue, traceback } = outcome;
      this.publishExecuteError({ ename, evalue, traceback });
      return { status: 'error', execution_count: this.executionCount, ename, evalue, traceback };
    }
    if (outcome.value)
      this.publishExecuteResult({ execution_count: this.executionCount, data: outcome.value as never, metadata: {} });
    return { status: 'ok', execution_count: this.executionCount, user_expressions: {} };
  }

  override async completeRequest(): Promise<KernelMessage.ICompleteReplyMsg['content']> {
    return { status: 'ok', matches: [], cursor_start: 0, cursor_end: 0, metadata: {} };
  }

  override async inspectRequest(): Promise<KernelMessage.IInspectReplyMsg['content']> {
    return { status: 'ok', found: false, data: {}, metadata: {} };
  }

  override async isCompleteRequest(): Promise<KernelMessage.IIsCompleteReplyMsg['content']> {
    return { status: 'complete' };
  }

  override async commInfoRequest(): Promise<KernelMessage.ICommInfoReplyMsg['content']> {
    return { status: 'ok', comms: {} };
  }

  override inputReply(): void {}

  override async commOpen(): Promise<void> {}

  override async commMsg(): Promise<void> {}

  override async commClose(): Promise<void> {}
}

/**
 * A cell's messages to the page in the order the cell made them, although some are completed
 * later (a chart display waits for its PNG, which the browser encodes asynchronously): a message
 * made while an earlier one is still pending is held behind it. A message that is ready with
 * nothing pending before it is posted at once.
 */
export class Outbox<M> {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** `post` sends one message; `failed` hears of a promised item that rejected (its messages are lost). */
  constructor(
    private readonly post: (message: M) => void,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Queues messages: one ready now, or a promise of those to post in its place. */
  push(item: M | PromiseLike<readonly M[]>): void {
    if (!isThenable(item) && this.waiting === 0) {
      this.post(item);
      return;
    }
    this.waiting += 1;
    const ready = isThenable(item) ? item : [item];
    // Never rejects, so one bad item cannot stall the messages behind it.
    this.tail = this.tail.then(async () => {
      try {
        for (const m of await ready) this.post(m);
      } catch (error) {
        this.failed(error);
      } finally {
        this.waiting -= 1;
      }
    });
  }

  /** Resolves once every queued message has been posted (before the cell reports it is done). */
  drained(): Promise<void> {
    return this.tail;
  }
}

function isThenable<T>(x: unknown): x is PromiseLike<T> {
  return typeof (x as { then?: unknown } | null)?.then === 'function';
}

/** `promise`, or a rejection naming `what` after `ms` (a picture that never arrives must not hold a cell). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

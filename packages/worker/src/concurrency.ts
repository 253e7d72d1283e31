// Counts step slots so the claim loop never asks for (or runs) more steps than the worker's concurrency.

export class ConcurrencyLimiter {
  private used = 0;
  private freeWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  }

  get inFlight(): number {
    return this.used;
  }

  get free(): number {
    return this.limit - this.used;
  }

  /** Takes a slot; false when all are taken. */
  tryAcquire(): boolean {
    if (this.used >= this.limit) return false;
    this.used += 1;
    return true;
  }

  release(): void {
    if (this.used === 0) throw new Error('ConcurrencyLimiter.release() without a matching acquire');
    this.used -= 1;
    for (const wake of this.freeWaiters.splice(0)) wake();
    if (this.used === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Resolves once at least one slot is free (at once if one is), or when `signal` aborts. */
  whenFree(signal?: AbortSignal): Promise<void> {
    if (this.free > 0 || signal?.aborted) return Promise.resolve();
    return this.wait(this.freeWaiters, signal);
  }

  /** Resolves once no slot is taken, or when `signal` aborts. */
  whenIdle(signal?: AbortSignal): Promise<void> {
    if (this.used === 0 || signal?.aborted) return Promise.resolve();
    return this.wait(this.idleWaiters, signal);
  }

  private wait(list: (() => void)[], signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = list.indexOf(wake);
        if (i >= 0) list.splice(i, 1);
        resolve();
      };
      list.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

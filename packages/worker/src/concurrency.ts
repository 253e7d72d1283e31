// Counts step slots so the worker never asks for (or runs) more steps than its concurrency. A slot is either
// taken by a step (from claim until its result is delivered) or reserved by a claim in flight: the long poll,
// or the claim that rides along with a batch of results. A reservation turns into taken slots for the steps
// the claim returned (`fill`), and the rest is given back (`unreserve`); the results of a batch hand their
// slots to the claim riding along with them (`transferToReserved`), so a finished step's slot goes straight to
// its replacement and the long poll never competes for it.

export class ConcurrencyLimiter {
  private used = 0;
  private held = 0;
  private freeWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  }

  /** Slots taken by steps. */
  get inFlight(): number {
    return this.used;
  }

  /** Slots reserved by claims in flight. */
  get reserved(): number {
    return this.held;
  }

  /** Slots neither taken nor reserved. */
  get free(): number {
    return this.limit - this.used - this.held;
  }

  /** Takes a free slot; false when none is. */
  tryAcquire(): boolean {
    if (this.free <= 0) return false;
    this.used += 1;
    return true;
  }

  release(): void {
    if (this.used === 0) throw new Error('ConcurrencyLimiter.release() without a matching acquire');
    this.used -= 1;
    this.changed();
  }

  /** Reserves up to `max` free slots for a claim; returns how many it got. */
  reserve(max: number): number {
    const n = Math.max(0, Math.min(Math.trunc(max), this.free));
    this.held += n;
    return n;
  }

  /** Turns one reserved slot into a taken one (a step the claim returned); false when none is reserved. */
  fill(): boolean {
    if (this.held === 0) return false;
    this.held -= 1;
    this.used += 1;
    return true;
  }

  /** Gives back `n` reserved slots the claim did not use. */
  unreserve(n: number): void {
    if (n > this.held) throw new Error(`ConcurrencyLimiter.unreserve(${n}) with only ${this.held} reserved`);
    if (n === 0) return;
    this.held -= n;
    this.changed();
  }

  /** `n` taken slots become reserved ones (the results holding them are being reported with a claim alongside). */
  transferToReserved(n: number): void {
    if (n > this.used) throw new Error(`ConcurrencyLimiter.transferToReserved(${n}) with only ${this.used} taken`);
    this.used -= n;
    this.held += n;
  }

  /** The reverse of {@link transferToReserved}: the report failed and its steps keep their slots. */
  transferToTaken(n: number): void {
    if (n > this.held) throw new Error(`ConcurrencyLimiter.transferToTaken(${n}) with only ${this.held} reserved`);
    this.held -= n;
    this.used += n;
  }

  /** Resolves once at least one slot is free (at once if one is), or when `signal` aborts. */
  whenFree(signal?: AbortSignal): Promise<void> {
    if (this.free > 0 || signal?.aborted) return Promise.resolve();
    return this.wait(this.freeWaiters, signal);
  }

  /** Resolves once no slot is taken or reserved, or when `signal` aborts. */
  whenIdle(signal?: AbortSignal): Promise<void> {
    if (this.idle() || signal?.aborted) return Promise.resolve();
    return this.wait(this.idleWaiters, signal);
  }

  private idle(): boolean {
    return this.used === 0 && this.held === 0;
  }

  private changed(): void {
    if (this.free > 0) for (const wake of this.freeWaiters.splice(0)) wake();
    if (this.idle()) for (const wake of this.idleWaiters.splice(0)) wake();
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

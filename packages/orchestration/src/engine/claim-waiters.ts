// Long-poll claims waiting for work in this process. A `tasker_steps` notification wakes, in arrival order,
// only as many waiters serving that namespace and handler as it takes to cover the steps that became ready;
// a woken waiter that finds nothing (another replica was faster) simply waits again. No polling here: the
// caller bounds each wait by the slow poll fallback.
import type { StepsReady } from '../repositories/notifications.js';

export type WakeReason = 'notified' | 'timeout' | 'aborted' | 'stopped';

export interface ClaimFilter {
  /** null = every namespace. */
  namespaces: ReadonlySet<string> | null;
  /** null = any handler. */
  handlers: ReadonlySet<string> | null;
  /** Steps one claim of this waiter takes. */
  capacity: number;
}

export interface ArmedWait {
  /** Settles once: notified, timed out, aborted by the caller's signal, or the runtime stopped. */
  readonly promise: Promise<WakeReason>;
  cancel(): void;
}

interface Waiter {
  filter: ClaimFilter;
  settle: (reason: WakeReason) => void;
}

export interface ClaimWaiters {
  /** Registers a waiter now (before the claim query, so a notification in between is not lost). */
  arm(filter: ClaimFilter, timeoutMs: number, signal?: AbortSignal): ArmedWait;
  notify(ready: StepsReady): void;
  /** Wakes everyone (after a listener reconnect, when notifications may have been missed). */
  wakeAll(): void;
  /** Wakes everyone with `stopped` and makes later waits end at once. */
  stop(): void;
  size(): number;
}

function matches(filter: ClaimFilter, ready: StepsReady): boolean {
  if (filter.namespaces !== null && !filter.namespaces.has(ready.namespace)) return false;
  if (filter.handlers === null || ready.handlers.length === 0) return true;
  return ready.handlers.some((h) => filter.handlers?.has(h));
}

export function createClaimWaiters(): ClaimWaiters {
  const queue: Waiter[] = [];
  let stopped = false;

  const remove = (waiter: Waiter): boolean => {
    const index = queue.indexOf(waiter);
    if (index < 0) return false;
    queue.splice(index, 1);
    return true;
  };

  return {
    arm(filter, timeoutMs, signal) {
      let waiter: Waiter | undefined;
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const promise = new Promise<WakeReason>((resolve) => {
        if (stopped) return resolve('stopped');
        if (signal?.aborted) return resolve('aborted');
        const w: Waiter = {
          filter,
          settle: (reason) => {
            remove(w);
            if (timer !== undefined) clearTimeout(timer);
            if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
            resolve(reason);
          },
        };
        waiter = w;
        queue.push(w);
        timer = setTimeout(() => w.settle('timeout'), Math.max(0, timeoutMs));
        onAbort = () => w.settle('aborted');
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      return {
        promise,
        cancel: () => waiter?.settle('aborted'),
      };
    },
    notify(ready) {
      let remaining = Math.max(1, ready.count);
      for (const waiter of [...queue]) {
        if (remaining <= 0) break;
        if (!matches(waiter.filter, ready)) continue;
        remaining -= Math.max(1, waiter.filter.capacity);
        waiter.settle('notified');
      }
    },
    wakeAll() {
      for (const waiter of [...queue]) waiter.settle('notified');
    },
    stop() {
      stopped = true;
      for (const waiter of [...queue]) waiter.settle('stopped');
    },
    size: () => queue.length,
  };
}

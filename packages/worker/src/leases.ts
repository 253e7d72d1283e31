// The leases a worker holds: one heartbeat call for all of them at a third of the shortest lease, and the
// step's AbortController fired when the server says the task was cancelled or the lease was lost.
import type { HeartbeatInput, LeaseState } from '@tasker/shared';
import { StepAbortError } from './errors.js';
import { describeError } from './orchestration-calls.js';
import type { WorkerLogger } from './types.js';

export interface HeldLease {
  stepUuid: string;
  leaseToken: string;
  /** Local clock: when the lease lapses unless extended. */
  expiresAt: number;
  /** Lease length as granted at claim, used to pace heartbeats. */
  durationMs: number;
  controller: AbortController;
}

export const MIN_HEARTBEAT_MS = 100;
export const MAX_HEARTBEAT_MS = 10_000;
/** Used when the granted lease cannot be measured (clock skew made it look already expired). */
const FALLBACK_LEASE_MS = 30_000;

/**
 * Lease length from the server's expiry time. Measured against the local clock at receipt, so the small
 * network delay makes it err on the short side (heartbeats come a little early, never late).
 */
export function leaseDurationMs(leaseExpiresAt: Date, receivedAt: number): number {
  const ms = leaseExpiresAt.getTime() - receivedAt;
  return ms > 0 ? ms : FALLBACK_LEASE_MS;
}

/** A third of the shortest lease, so two heartbeats can fail before a lease lapses; bounded to 100 ms – 10 s. */
export function heartbeatIntervalMs(leases: Iterable<Pick<HeldLease, 'durationMs'>>, fixed?: number): number {
  if (fixed !== undefined) return fixed;
  let shortest = Infinity;
  for (const lease of leases) shortest = Math.min(shortest, lease.durationMs);
  if (shortest === Infinity) return MAX_HEARTBEAT_MS;
  return Math.min(MAX_HEARTBEAT_MS, Math.max(MIN_HEARTBEAT_MS, Math.floor(shortest / 3)));
}

export interface LeaseKeeperOptions {
  workerId: string;
  heartbeat: (input: HeartbeatInput) => Promise<LeaseState[]>;
  logger: WorkerLogger;
  fixedIntervalMs?: number;
  onTransportError?: (err: unknown) => void;
  onLeaseEnded?: (status: 'cancelled' | 'lost') => void;
}

export class LeaseKeeper {
  private readonly leases = new Map<string, HeldLease>();
  private loop: Promise<void> | undefined;
  private readonly stopped = new AbortController();
  private wake: (() => void) | undefined;
  private lastBeatAt = Date.now();

  constructor(private readonly options: LeaseKeeperOptions) {}

  get size(): number {
    return this.leases.size;
  }

  hold(lease: HeldLease): void {
    // The first lease after an idle spell is a fresh claim: its first beat is due one interval from now.
    if (this.leases.size === 0) this.lastBeatAt = Date.now();
    this.leases.set(lease.stepUuid, lease);
    // A shorter lease may need an earlier beat than the one scheduled.
    this.wake?.();
  }

  drop(stepUuid: string): void {
    this.leases.delete(stepUuid);
  }

  get(stepUuid: string): HeldLease | undefined {
    return this.leases.get(stepUuid);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.wake?.();
    await this.loop;
  }

  /** One heartbeat for every held lease; applies the answers. Exposed for tests. */
  async beat(): Promise<void> {
    const held = [...this.leases.values()];
    if (held.length === 0) return;
    const sentAt = Date.now();
    let states: LeaseState[];
    try {
      states = await this.options.heartbeat({
        workerId: this.options.workerId,
        leases: held.map((l) => ({ stepUuid: l.stepUuid, leaseToken: l.leaseToken })),
      });
    } catch (err) {
      this.options.onTransportError?.(err);
      this.options.logger.warn(
        { err: describeError(err), leases: held.length },
        'heartbeat failed; retrying at the next interval',
      );
      return;
    }
    for (const state of states) {
      const lease = this.leases.get(state.stepUuid);
      // Dropped meanwhile, or claimed again under a new token: this answer is about an old lease.
      if (lease === undefined || !held.some((h) => h.stepUuid === state.stepUuid && h.leaseToken === lease.leaseToken))
        continue;
      if (state.status === 'valid') {
        if (state.leaseExpiresAt !== null)
          lease.expiresAt = sentAt + Math.max(0, state.leaseExpiresAt.getTime() - sentAt);
        continue;
      }
      const reason = state.status === 'cancelled' ? 'cancelled' : 'lease_lost';
      this.options.logger.info(
        { step_uuid: state.stepUuid, status: state.status },
        'lease ended by orchestration; stopping the step',
      );
      this.options.onLeaseEnded?.(state.status);
      this.leases.delete(state.stepUuid);
      lease.controller.abort(
        new StepAbortError(reason, state.status === 'cancelled' ? 'task or step was cancelled' : 'lease lost'),
      );
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      const due = this.lastBeatAt + heartbeatIntervalMs(this.leases.values(), this.options.fixedIntervalMs);
      const wait = due - Date.now();
      if (this.leases.size === 0 || wait > 0) {
        // A plain callback, not an AbortController: hold() wakes this on every claimed step, and an abort
        // builds a DOMException each time.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, this.leases.size === 0 ? MAX_HEARTBEAT_MS : wait);
          const onStop = () => done();
          function done(): void {
            clearTimeout(timer);
            resolve();
          }
          this.wake = () => {
            this.stopped.signal.removeEventListener('abort', onStop);
            done();
          };
          this.stopped.signal.addEventListener('abort', onStop, { once: true });
        });
        this.wake = undefined;
        // Woken by a new lease, or the wait ended: recompute the due time (measured from the last beat, so a
        // stream of new leases cannot postpone the beat).
        continue;
      }
      this.lastBeatAt = Date.now();
      await this.beat();
    }
  }
}

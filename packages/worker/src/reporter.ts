// Delivers step results to orchestration in batches: one ReportResults call carries every result that finished
// while the previous call was on the wire (or within `windowMs`), and asks in the same call for as many new
// steps as those results free (plus any idle slot), so a finished step's slot is refilled without another
// round trip. Each result keeps its lease (heartbeats continue) and its slot until it is settled: delivered,
// refused (lease lost, cancelled, not found), or given up once its lease has surely lapsed.
import type { WorkersApi } from '@tasker/client/types';
import type { ClaimedStep, StepResultOutcomeKind, StepResultReport } from '@tasker/shared';
import { backoffDelay, isTransient, type BackoffPolicy } from '@tasker/shared/resilience';
import type { ConcurrencyLimiter } from './concurrency.js';
import type { LeaseKeeper } from './leases.js';
import type { WorkerMetrics } from './metrics.js';
import { describeError } from './orchestration-calls.js';
import type { WorkerLogger } from './types.js';

/** How a result ended: what orchestration answered, `rejected` (the call was refused) or `undelivered`. */
export type ResultSettlement = StepResultOutcomeKind | 'rejected' | 'undelivered';

export interface PendingResult {
  step: ClaimedStep;
  report: StepResultReport;
  /** Called once, after the result's slot and lease are given up. */
  settled(outcome: ResultSettlement): void;
}

export interface ResultReporterOptions {
  workerId: string;
  workers: Pick<WorkersApi, 'reportResults'>;
  limiter: ConcurrencyLimiter;
  leases: LeaseKeeper;
  metrics: WorkerMetrics;
  logger: WorkerLogger;
  /** Most results per call. */
  maxBatch: number;
  /** Wait this long after the first result of a batch before sending it (0 = send as soon as no call is on the wire). */
  windowMs: number;
  /** Calls on the wire at once. */
  maxInFlight: number;
  /** Delays between attempts of a batch whose call failed transiently. */
  backoff: BackoffPolicy;
  /** What the claim riding along may take, or null to claim nothing (draining). */
  claimFilter(): { namespaces: string[]; handlerNames: string[] } | null;
  /** Steps handed back by a claim alongside, their slots already taken: run them. */
  launch(steps: ClaimedStep[], receivedAt: number): void;
  /** Steps that came back but cannot run here (draining, or more than asked for): give their leases back. */
  giveBack(steps: ClaimedStep[]): void;
}

export class ResultReporter {
  private readonly queue: PendingResult[] = [];
  private inFlight = 0;
  private retrying = new Set<PendingResult[]>();
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopRetrying = false;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly o: ResultReporterOptions) {}

  /** Queues a result; it is sent with the next batch. */
  submit(result: PendingResult): void {
    this.queue.push(result);
    this.schedule();
  }

  /** Resolves once nothing is queued, on the wire or waiting to be retried. */
  whenDrained(): Promise<void> {
    if (this.drained()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** The drain deadline passed: results waiting for a retry are given up (their leases will lapse). */
  abandonRetries(): void {
    this.stopRetrying = true;
    for (const batch of this.retrying) this.giveUp(batch, 'unreachable');
    this.retrying.clear();
    this.checkDrained();
  }

  private drained(): boolean {
    return this.queue.length === 0 && this.inFlight === 0 && this.retrying.size === 0;
  }

  private checkDrained(): void {
    if (this.drained()) for (const wake of this.drainWaiters.splice(0)) wake();
  }

  private schedule(): void {
    if (this.queue.length === 0 || this.inFlight >= this.o.maxInFlight) return;
    if (this.queue.length >= this.o.maxBatch) {
      this.flush();
      return;
    }
    if (this.o.windowMs > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.o.windowMs);
      return;
    }
    // Results finishing in the same turn of the event loop go together.
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.inFlight < this.o.maxInFlight) {
      void this.send(this.queue.splice(0, this.o.maxBatch), 1);
    }
  }

  private async send(batch: PendingResult[], attempt: number): Promise<void> {
    this.inFlight += 1;
    const n = batch.length;
    // The batch's slots pass to the claim riding along; idle slots join it.
    this.o.limiter.transferToReserved(n);
    const filter = this.o.claimFilter();
    const extra = filter === null ? 0 : this.o.limiter.reserve(this.o.limiter.free);
    const want = filter === null ? 0 : n + extra;
    try {
      const out = await this.o.workers.reportResults({
        workerId: this.o.workerId,
        results: batch.map((r) => r.report),
        claim: want > 0 && filter !== null ? { maxSteps: want, ...filter } : null,
      });
      const receivedAt = Date.now();
      out.outcomes.forEach((outcome, i) => {
        const result = batch[i];
        if (result !== undefined) this.settle(result, outcome.outcome);
      });
      const launched: ClaimedStep[] = [];
      const returned: ClaimedStep[] = [];
      for (const step of out.claimed) {
        if (launched.length < want && this.o.claimFilter() !== null && this.o.limiter.fill()) launched.push(step);
        else returned.push(step);
      }
      this.o.limiter.unreserve(n + extra - launched.length);
      if (launched.length > 0) this.o.launch(launched, receivedAt);
      if (returned.length > 0) this.o.giveBack(returned);
    } catch (err) {
      this.o.limiter.unreserve(extra);
      this.o.limiter.transferToTaken(n);
      this.failed(batch, attempt, err);
    } finally {
      this.inFlight -= 1;
      this.schedule();
      this.checkDrained();
    }
  }

  /** A refused call gives its results up; a transient failure retries them while their leases may still hold. */
  private failed(batch: PendingResult[], attempt: number, err: unknown): void {
    const { code, message } = describeError(err);
    this.o.metrics.transportErrors.inc({ operation: 'report', code });
    if (!isTransient(err)) {
      this.o.logger.error({ code, message, results: batch.length }, 'results refused by orchestration');
      this.giveUp(batch, 'rejected');
      return;
    }
    const now = Date.now();
    const alive = batch.filter((r) => {
      const lease = this.o.leases.get(r.step.stepUuid);
      // Gone (the heartbeat learned it was lost or cancelled), or lapsed for a full lease length: nobody
      // will accept this result any more.
      if (lease === undefined) {
        this.settleWithoutDelivery(r, 'lease_lost', 'undelivered');
        return false;
      }
      if (this.stopRetrying || now > lease.expiresAt + lease.durationMs) {
        this.settleWithoutDelivery(r, 'unreachable', 'undelivered');
        return false;
      }
      return true;
    });
    if (alive.length === 0) return;
    const delay = backoffDelay(attempt, this.o.backoff);
    this.o.logger.warn(
      { code, message, results: alive.length, retry: attempt, delay_ms: delay },
      'reporting results failed; retrying',
    );
    this.retrying.add(alive);
    setTimeout(() => {
      if (!this.retrying.delete(alive)) return;
      void this.send(alive, attempt + 1);
    }, delay);
  }

  private giveUp(batch: PendingResult[], reason: 'rejected' | 'unreachable'): void {
    for (const r of batch) this.settleWithoutDelivery(r, reason, reason === 'rejected' ? 'rejected' : 'undelivered');
  }

  /** A result that will not be delivered: its slot is freed here (a delivered one's went to the claim alongside). */
  private settleWithoutDelivery(
    r: PendingResult,
    metric: 'lease_lost' | 'rejected' | 'unreachable',
    outcome: ResultSettlement,
  ): void {
    this.o.metrics.resultsUndelivered.inc({ reason: metric });
    this.o.leases.drop(r.step.stepUuid);
    this.o.limiter.release();
    r.settled(outcome);
  }

  private settle(r: PendingResult, outcome: StepResultOutcomeKind): void {
    this.o.leases.drop(r.step.stepUuid);
    if (outcome !== 'ok') {
      this.o.metrics.resultsUndelivered.inc({ reason: outcome === 'not_found' ? 'rejected' : 'lease_lost' });
      this.o.logger.info(
        { step_uuid: r.step.stepUuid, task_uuid: r.step.taskUuid, outcome },
        'result refused: the lease was lost or the task moved on',
      );
    }
    r.settled(outcome);
  }
}

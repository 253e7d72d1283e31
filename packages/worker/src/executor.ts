// Runs claimed steps and delivers their results. A step holds a concurrency slot and its lease from claim
// until its result is delivered (or given up), so heartbeats keep the lease alive while a result waits for an
// unreachable orchestration.
import type { ClaimedStep, LeaseRef, StepResultAck } from '@tasker/shared';
import type { WorkersApi } from '@tasker/client/types';
import { backoffDelay, describeError, errorCodeOf, isTransientError, sleep } from './backoff.js';
import type { ConcurrencyLimiter } from './concurrency.js';
import { StepAbortError } from './errors.js';
import { leaseDurationMs, type LeaseKeeper } from './leases.js';
import type { WorkerMetrics } from './metrics.js';
import { runStep, stepTimeoutMs, type StepOutcome } from './run-step.js';
import type { Handler, WorkerLogger } from './types.js';

interface InFlightStep {
  step: ClaimedStep;
  controller: AbortController;
  phase: 'running' | 'reporting';
  delivery: AbortController;
}

export interface StepExecutorOptions {
  workerId: string;
  workers: Pick<WorkersApi, 'complete' | 'fail'>;
  handlers: Readonly<Record<string, Handler>>;
  handlerTimeoutMs: number;
  leases: LeaseKeeper;
  limiter: ConcurrencyLimiter;
  metrics: WorkerMetrics;
  logger: WorkerLogger;
}

export class StepExecutor {
  private readonly inFlight = new Map<string, InFlightStep>();

  constructor(private readonly o: StepExecutorOptions) {}

  get size(): number {
    return this.inFlight.size;
  }

  /** Starts `step` in the background. The caller has taken a concurrency slot for it; it is released here. */
  launch(step: ClaimedStep, receivedAt: number): void {
    const entry: InFlightStep = { step, controller: new AbortController(), phase: 'running', delivery: new AbortController() };
    const durationMs = leaseDurationMs(step.leaseExpiresAt, receivedAt);
    this.inFlight.set(step.stepUuid, entry);
    this.o.leases.hold({ stepUuid: step.stepUuid, leaseToken: step.leaseToken, expiresAt: receivedAt + durationMs, durationMs, controller: entry.controller });
    this.o.metrics.stepsClaimed.inc({ handler: step.handler.callable });
    this.o.metrics.inFlight.set(this.o.limiter.inFlight);
    void this.execute(entry)
      .catch((err: unknown) => this.o.logger.error({ err, step_uuid: step.stepUuid }, 'step execution failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(step.stepUuid);
        this.o.leases.drop(step.stepUuid);
        this.o.limiter.release();
        this.o.metrics.inFlight.set(this.o.limiter.inFlight);
      });
  }

  /**
   * Shutdown after the drain deadline: stops every handler still running (their results will not be reported)
   * and returns their leases for release; stops retrying undelivered results.
   */
  abortAll(): LeaseRef[] {
    const toRelease: LeaseRef[] = [];
    for (const entry of this.inFlight.values()) {
      if (entry.phase === 'running') {
        toRelease.push({ stepUuid: entry.step.stepUuid, leaseToken: entry.step.leaseToken });
        entry.controller.abort(new StepAbortError('shutdown', 'worker shutting down'));
      }
      entry.delivery.abort();
    }
    return toRelease;
  }

  private async execute(entry: InFlightStep): Promise<void> {
    const { step } = entry;
    const callable = step.handler.callable;
    const logger = this.o.logger.child({ step_uuid: step.stepUuid, task_uuid: step.taskUuid, step_name: step.stepName, handler: callable });
    const handler = this.o.handlers[callable];
    let outcome: StepOutcome;
    if (handler === undefined) {
      // The claim filters by our handler names, so this is a server that ignored the filter: let another
      // worker have the step.
      outcome = {
        kind: 'failed',
        durationMs: 0,
        failure: { message: `worker ${this.o.workerId} has no handler '${callable}'`, errorType: 'handler_not_found', retryable: true, retryAfterSeconds: null, statusCode: null, backtrace: null, context: null },
      };
    } else {
      outcome = await runStep(step, handler, { timeoutMs: stepTimeoutMs(step, this.o.handlerTimeoutMs), controller: entry.controller, logger: this.o.logger });
    }
    const seconds = outcome.durationMs / 1000;
    this.o.metrics.handlerDuration.observe({ handler: callable, outcome: outcome.kind }, seconds);
    if (outcome.kind === 'abandoned') {
      this.o.metrics.stepsAbandoned.inc({ handler: callable, reason: outcome.reason });
      logger.info({ reason: outcome.reason, duration_ms: outcome.durationMs }, 'step stopped without a result');
      return;
    }
    entry.phase = 'reporting';
    if (outcome.kind === 'completed') this.o.metrics.stepsCompleted.inc({ handler: callable });
    else this.o.metrics.stepsFailed.inc({ handler: callable, error_type: outcome.failure.errorType ?? 'unknown', retryable: String(outcome.failure.retryable) });
    await this.deliver(entry, outcome, logger);
  }

  /** Retries transient failures until the lease is surely gone: a full lease length past its last known expiry. */
  private async deliver(entry: InFlightStep, outcome: Exclude<StepOutcome, { kind: 'abandoned' }>, logger: WorkerLogger): Promise<void> {
    const { step } = entry;
    const operation = outcome.kind === 'completed' ? 'complete' : 'fail';
    const send = (): Promise<StepResultAck> =>
      outcome.kind === 'completed'
        ? this.o.workers.complete({ workerId: this.o.workerId, stepUuid: step.stepUuid, leaseToken: step.leaseToken, result: outcome.result, executionTimeMs: outcome.durationMs, metadata: { worker_id: this.o.workerId, attempt: step.attempt } })
        : this.o.workers.fail({ workerId: this.o.workerId, stepUuid: step.stepUuid, leaseToken: step.leaseToken, error: outcome.failure, executionTimeMs: outcome.durationMs });

    for (let retry = 1; ; retry += 1) {
      try {
        const ack = await send();
        logger.debug({ operation, step_state: ack.stepState, task_state: ack.taskState, duration_ms: outcome.durationMs }, 'result delivered');
        return;
      } catch (err) {
        const { code, message } = describeError(err);
        this.o.metrics.transportErrors.inc({ operation, code });
        const lease = this.o.leases.get(step.stepUuid);
        if (!isTransientError(err)) {
          const lost = errorCodeOf(err) === 'INVALID_STATE' || errorCodeOf(err) === 'NOT_FOUND';
          this.o.metrics.resultsUndelivered.inc({ reason: lost ? 'lease_lost' : 'rejected' });
          if (lost) logger.info({ operation, code, message }, 'result refused: the lease was lost or the task moved on');
          else logger.error({ operation, code, message }, 'result refused by orchestration');
          return;
        }
        // The heartbeat learned the lease is gone (lost or cancelled): nothing will accept this result.
        if (lease === undefined) {
          this.o.metrics.resultsUndelivered.inc({ reason: 'lease_lost' });
          logger.info({ operation }, 'lease ended while delivering the result; dropping it');
          return;
        }
        if (entry.delivery.signal.aborted || Date.now() > lease.expiresAt + lease.durationMs) {
          this.o.metrics.resultsUndelivered.inc({ reason: 'unreachable' });
          logger.warn({ operation, code, message, retries: retry - 1 }, 'giving up delivering the result; the step will be retried after its lease lapses');
          return;
        }
        const delay = backoffDelay(retry);
        logger.warn({ operation, code, message, retry, delay_ms: delay }, 'delivering the result failed; retrying');
        await sleep(delay, entry.delivery.signal);
      }
    }
  }
}

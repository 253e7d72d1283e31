// Runs claimed steps and hands their results to the reporter. A step holds a concurrency slot and its lease
// from claim until its result is settled (the reporter passes a delivered step's slot on to the claim riding
// along with it), so heartbeats keep the lease alive while a result waits for an unreachable orchestration.
import type { ClaimedStep, LeaseRef, StepResultReport } from '@tasker/shared';
import type { WorkersApi } from '@tasker/client/types';
import { createStepCheckpointer } from './checkpoints.js';
import type { ConcurrencyLimiter } from './concurrency.js';
import { StepAbortError } from './errors.js';
import { leaseDurationMs, type LeaseKeeper } from './leases.js';
import type { WorkerMetrics } from './metrics.js';
import type { ResultReporter } from './reporter.js';
import { runStep, stepTimeoutMs, type StepOutcome } from './run-step.js';
import type { Handler, WorkerLogger } from './types.js';

interface InFlightStep {
  step: ClaimedStep;
  controller: AbortController;
  phase: 'running' | 'reporting';
}

export interface StepExecutorOptions {
  workerId: string;
  handlers: Readonly<Record<string, Handler>>;
  handlerTimeoutMs: number;
  /** Where handlers' checkpoints go (the worker's orchestration client). */
  workers: Pick<WorkersApi, 'checkpoint'>;
  leases: LeaseKeeper;
  limiter: ConcurrencyLimiter;
  reporter: ResultReporter;
  metrics: WorkerMetrics;
  logger: WorkerLogger;
}

export class StepExecutor {
  private readonly inFlight = new Map<string, InFlightStep>();

  constructor(private readonly o: StepExecutorOptions) {}

  get size(): number {
    return this.inFlight.size;
  }

  /** Starts `step` in the background. The caller has taken a concurrency slot for it. */
  launch(step: ClaimedStep, receivedAt: number): void {
    const entry: InFlightStep = { step, controller: new AbortController(), phase: 'running' };
    const durationMs = leaseDurationMs(step.leaseExpiresAt, receivedAt);
    this.inFlight.set(step.stepUuid, entry);
    this.o.leases.hold({
      stepUuid: step.stepUuid,
      leaseToken: step.leaseToken,
      expiresAt: receivedAt + durationMs,
      durationMs,
      controller: entry.controller,
    });
    this.o.metrics.stepsClaimed.inc({ handler: step.handler.callable });
    this.o.metrics.inFlight.set(this.o.limiter.inFlight);
    void this.execute(entry).catch((err: unknown) => {
      this.o.logger.error({ err, step_uuid: step.stepUuid }, 'step execution failed unexpectedly');
      this.finish(entry, true);
    });
  }

  /**
   * Shutdown after the drain deadline: stops every handler still running (their results will not be reported)
   * and returns their leases for release.
   */
  abortAll(): LeaseRef[] {
    const toRelease: LeaseRef[] = [];
    for (const entry of this.inFlight.values()) {
      if (entry.phase !== 'running') continue;
      toRelease.push({ stepUuid: entry.step.stepUuid, leaseToken: entry.step.leaseToken });
      entry.controller.abort(new StepAbortError('shutdown', 'worker shutting down'));
    }
    return toRelease;
  }

  /** The step is done here: forget it; `releaseSlot` when its slot is still ours to free. */
  private finish(entry: InFlightStep, releaseSlot: boolean): void {
    if (!this.inFlight.delete(entry.step.stepUuid)) return;
    if (releaseSlot) {
      this.o.leases.drop(entry.step.stepUuid);
      this.o.limiter.release();
    }
    this.o.metrics.inFlight.set(this.o.limiter.inFlight);
  }

  private async execute(entry: InFlightStep): Promise<void> {
    const { step } = entry;
    const callable = step.handler.callable;
    const handler = this.o.handlers[callable];
    let outcome: StepOutcome;
    if (handler === undefined) {
      // The claim filters by our handler names, so this is a server that ignored the filter: let another
      // worker have the step.
      outcome = {
        kind: 'failed',
        durationMs: 0,
        failure: {
          message: `worker ${this.o.workerId} has no handler '${callable}'`,
          errorType: 'handler_not_found',
          retryable: true,
          retryAfterSeconds: null,
          statusCode: null,
          backtrace: null,
          context: null,
        },
      };
    } else {
      outcome = await runStep(step, handler, {
        timeoutMs: stepTimeoutMs(step, this.o.handlerTimeoutMs),
        controller: entry.controller,
        logger: this.o.logger,
        checkpointer: createStepCheckpointer({
          workerId: this.o.workerId,
          step,
          workers: this.o.workers,
          controller: entry.controller,
        }),
      });
    }
    this.o.metrics.handlerDuration.observe({ handler: callable, outcome: outcome.kind }, outcome.durationMs / 1000);
    if (outcome.kind === 'abandoned') {
      this.o.metrics.stepsAbandoned.inc({ handler: callable, reason: outcome.reason });
      this.o.logger.info(
        { step_uuid: step.stepUuid, task_uuid: step.taskUuid, reason: outcome.reason, duration_ms: outcome.durationMs },
        'step stopped without a result',
      );
      this.finish(entry, true);
      return;
    }
    entry.phase = 'reporting';
    let report: StepResultReport;
    if (outcome.kind === 'completed') {
      this.o.metrics.stepsCompleted.inc({ handler: callable });
      report = {
        kind: 'completed',
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: outcome.result,
        executionTimeMs: outcome.durationMs,
        metadata: null,
      };
    } else {
      this.o.metrics.stepsFailed.inc({
        handler: callable,
        error_type: outcome.failure.errorType ?? 'unknown',
        retryable: String(outcome.failure.retryable),
      });
      report = {
        kind: 'failed',
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        error: outcome.failure,
        executionTimeMs: outcome.durationMs,
      };
    }
    // From here the reporter owns the slot and the lease.
    this.o.reporter.submit({ step, report, settled: () => this.finish(entry, false) });
  }
}

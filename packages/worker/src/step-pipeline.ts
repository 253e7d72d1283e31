// The work of a registered worker, built once registration succeeded: heartbeats for the held leases, the claim
// loop, the executor running claimed steps and the reporter delivering their results, and how they drain.
import type { TaskerClient } from '@tasker/client/types';
import { ClaimLoop } from './claim-loop.js';
import type { ConcurrencyLimiter } from './concurrency.js';
import { StepExecutor } from './executor.js';
import { createLeaseReleaser, leaseRefsOf, type ReleaseLeases } from './lease-release.js';
import { LeaseKeeper } from './leases.js';
import type { WorkerMetrics } from './metrics.js';
import type { OrchestrationCalls } from './orchestration-calls.js';
import { ResultReporter } from './reporter.js';
import type { WorkerSettings } from './settings.js';
import type { Handler, WorkerLogger } from './types.js';

/** Result calls on the wire at once: one filling while the other travels. */
const REPORTS_IN_FLIGHT = 2;

/** After aborting the unfinished steps of a drain, how long their runs get to settle their slots. */
const ABORT_SETTLE_MS = 1_000;

export interface StepPipelineOptions {
  settings: WorkerSettings;
  handlers: Readonly<Record<string, Handler>>;
  client: TaskerClient;
  namespaces: string[];
  limiter: ConcurrencyLimiter;
  calls: OrchestrationCalls;
  metrics: WorkerMetrics;
  logger: WorkerLogger;
  /** Whether the worker still takes work (false once it drains). */
  isRunning(): boolean;
}

export class StepPipeline {
  private readonly leases: LeaseKeeper;
  private readonly reporter: ResultReporter;
  private readonly executor: StepExecutor;
  private readonly claims: ClaimLoop;
  private readonly release: ReleaseLeases;

  constructor(private readonly o: StepPipelineOptions) {
    const { settings, client, limiter, metrics, logger, calls, namespaces } = o;
    const { workerId, handlerNames } = settings;
    this.release = createLeaseReleaser({ workerId, workers: client.workers, calls, logger });
    this.leases = new LeaseKeeper({
      workerId,
      heartbeat: (input) => client.workers.heartbeat(input),
      logger,
      ...(settings.heartbeatIntervalMs !== undefined ? { fixedIntervalMs: settings.heartbeatIntervalMs } : {}),
      onTransportError: (err) => calls.failed('heartbeat', err),
    });
    this.reporter = new ResultReporter({
      workerId,
      workers: client.workers,
      limiter,
      leases: this.leases,
      metrics,
      logger,
      maxBatch: settings.resultBatchMax,
      windowMs: settings.resultBatchWindowMs,
      maxInFlight: REPORTS_IN_FLIGHT,
      backoff: calls.backoff,
      claimFilter: () => (o.isRunning() ? { namespaces, handlerNames } : null),
      launch: (steps, receivedAt) => {
        for (const step of steps) this.executor.launch(step, receivedAt);
      },
      giveBack: (steps) => void this.release(leaseRefsOf(steps)),
    });
    this.executor = new StepExecutor({
      workerId,
      handlers: o.handlers,
      handlerTimeoutMs: settings.handlerTimeoutMs,
      workers: client.workers,
      leases: this.leases,
      limiter,
      reporter: this.reporter,
      metrics,
      logger,
    });
    this.claims = new ClaimLoop({
      workerId,
      workers: client.workers,
      namespaces,
      handlerNames,
      claimWaitMs: settings.claimWaitMs,
      limiter,
      calls,
      metrics,
      logger,
      isRunning: o.isRunning,
      launch: (step, receivedAt) => this.executor.launch(step, receivedAt),
      release: this.release,
    });
  }

  /** Starts heartbeating and claiming. */
  start(): void {
    this.leases.start();
    this.claims.start();
  }

  /**
   * Stops claiming, lets running steps finish and their results be delivered for up to `drainTimeoutMs`, then
   * aborts the handlers still running and gives their leases back.
   */
  async drain(): Promise<void> {
    const { limiter, logger, settings } = this.o;
    await this.claims.stop();
    // Running steps finish and their results are delivered (no claim rides along any more).
    await limiter.whenIdle(AbortSignal.timeout(settings.drainTimeoutMs));
    if (limiter.inFlight + limiter.reserved === 0) return;
    const unfinished = this.executor.abortAll();
    logger.warn({ unfinished: unfinished.length }, 'drain deadline passed; releasing the leases of unfinished steps');
    this.reporter.abandonRetries();
    await this.release(unfinished);
    // The aborted runs settle on the next ticks; give them a moment so their slots are accounted for.
    await limiter.whenIdle(AbortSignal.timeout(ABORT_SETTLE_MS));
  }

  /** Stops heartbeating (after the drain). */
  stop(): Promise<void> {
    return this.leases.stop();
  }
}

// The long poll: whenever slots are free (not taken by steps, not reserved by a claim riding along with a batch
// of results), reserve them all and wait for work. Steps it returns take the reserved slots; the rest are given
// back to the pool. A failed claim is retried with backoff, a refused one too (logged as an error), so fixing
// the worker's key in orchestration heals it without a restart.
import type { WorkersApi } from '@tasker/client/types';
import type { ClaimedStep } from '@tasker/shared';
import { backoffDelay, isTransient, sleep } from '@tasker/shared/resilience';
import type { ConcurrencyLimiter } from './concurrency.js';
import { leaseRefsOf, type ReleaseLeases } from './lease-release.js';
import type { WorkerMetrics } from './metrics.js';
import { describeError, type OrchestrationCalls } from './orchestration-calls.js';
import type { WorkerLogger } from './types.js';

export interface ClaimLoopOptions {
  workerId: string;
  workers: Pick<WorkersApi, 'claim'>;
  namespaces: string[];
  handlerNames: string[];
  /** Long-poll wait per claim. */
  claimWaitMs: number;
  limiter: ConcurrencyLimiter;
  calls: OrchestrationCalls;
  metrics: WorkerMetrics;
  logger: WorkerLogger;
  /** Whether the worker still takes work (false once it drains). */
  isRunning(): boolean;
  /** Runs a claimed step; its slot is taken. */
  launch(step: ClaimedStep, receivedAt: number): void;
  /** Steps that came back but cannot run here (draining, or more than asked for). */
  release: ReleaseLeases;
}

export class ClaimLoop {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly o: ClaimLoopOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Aborts the outstanding claim (nothing is claimed for it) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { limiter, calls, logger } = this.o;
    const signal = this.abort.signal;
    let failures = 0;
    while (this.o.isRunning()) {
      await limiter.whenFree(signal);
      if (signal.aborted) break;
      const reserved = limiter.reserve(limiter.free);
      if (reserved === 0) continue;
      const started = performance.now();
      let steps: ClaimedStep[];
      try {
        steps = await this.o.workers.claim(
          {
            workerId: this.o.workerId,
            namespaces: this.o.namespaces,
            handlerNames: this.o.handlerNames,
            maxSteps: reserved,
            waitMs: this.o.claimWaitMs,
          },
          signal,
        );
        calls.succeeded();
        failures = 0;
      } catch (err) {
        limiter.unreserve(reserved);
        if (signal.aborted) break;
        failures += 1;
        calls.failed('claim', err);
        const delay = backoffDelay(failures, calls.backoff);
        const fields = { err: describeError(err), retry: failures, delay_ms: delay };
        if (isTransient(err)) logger.warn(fields, 'claim failed; retrying');
        else logger.error(fields, 'claim refused by orchestration; retrying (check the worker credentials)');
        // An abort ends the wait early; whenFree above then sees it.
        await sleep(delay, signal);
        continue;
      }
      const receivedAt = Date.now();
      this.o.metrics.claimDuration.observe(
        { result: steps.length > 0 ? 'steps' : 'empty' },
        (performance.now() - started) / 1000,
      );
      const run: ClaimedStep[] = [];
      const giveBack: ClaimedStep[] = [];
      for (const step of steps) {
        // Draining, or more steps than asked for: never run more than `concurrency` at once.
        if (this.o.isRunning() && run.length < reserved && limiter.fill()) run.push(step);
        else giveBack.push(step);
      }
      limiter.unreserve(reserved - run.length);
      for (const step of run) this.o.launch(step, receivedAt);
      if (giveBack.length > 0) await this.o.release(leaseRefsOf(giveBack));
    }
  }
}

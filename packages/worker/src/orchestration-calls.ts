// The record of the worker's calls to orchestration (when one last succeeded, the last failure: metrics and the
// `orchestration` health check) and the repetition of a call after transient failures. Step retries are
// orchestration's business, not this file's.
import type { HealthCheck } from '@tasker/shared';
import type { ErrorCode } from '@tasker/shared/errors';
import {
  TRANSPORT_BACKOFF,
  backoffDelay,
  errorCodeOf,
  isTransient,
  sleep,
  type BackoffPolicy,
} from '@tasker/shared/resilience';
import type { WorkerMetrics } from './metrics.js';
import type { WorkerLogger } from './types.js';

/** A short description for logs and metric labels: the shared error code and the message. */
export function describeError(err: unknown): { code: ErrorCode; message: string } {
  return { code: errorCodeOf(err), message: err instanceof Error ? err.message : String(err) };
}

function check(status: HealthCheck['status'], message: string | null): HealthCheck {
  return { status, message, durationMs: 0 };
}

export interface OrchestrationCallsOptions {
  metrics: WorkerMetrics;
  logger: WorkerLogger;
  /** Default {@link TRANSPORT_BACKOFF}. */
  backoff?: BackoffPolicy;
}

export class OrchestrationCalls {
  private lastOkAt = 0;
  private lastError: { at: number; message: string } | undefined;
  readonly backoff: BackoffPolicy;

  constructor(private readonly o: OrchestrationCallsOptions) {
    this.backoff = o.backoff ?? TRANSPORT_BACKOFF;
  }

  /** A call succeeded. */
  succeeded(): void {
    this.lastOkAt = Date.now();
  }

  /** A call failed: counted by operation and code, and kept for the health check. */
  failed(operation: string, err: unknown): void {
    const { code, message } = describeError(err);
    this.o.metrics.transportErrors.inc({ operation, code });
    this.lastError = { at: Date.now(), message: `${operation}: ${code} ${message}` };
  }

  /**
   * The `orchestration` health check: unhealthy until registered. Readiness is about registration; a call
   * failing since then only degrades the detailed view (the worker keeps retrying, and its running steps
   * keep their results until delivered).
   */
  healthCheck(registered: boolean, detailed: boolean): HealthCheck {
    if (!registered) return check('unhealthy', this.lastError?.message ?? 'not registered yet');
    const failing = detailed && this.lastError !== undefined && this.lastError.at > this.lastOkAt;
    return failing ? check('degraded', this.lastError?.message ?? null) : check('healthy', null);
  }

  /** Repeats `call` on transient errors with backoff until it succeeds, fails for good, or `signal` aborts. */
  async retry<T>(operation: string, call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let retry = 1; ; retry += 1) {
      try {
        const value = await call();
        this.succeeded();
        return value;
      } catch (err) {
        this.failed(operation, err);
        if (!isTransient(err)) throw err;
        if (signal.aborted) throw new Error(`${operation} abandoned: the worker is stopping`, { cause: err });
        const delay = backoffDelay(retry, this.backoff);
        this.o.logger.warn(
          { operation, err: describeError(err), retry, delay_ms: delay },
          'orchestration call failed; retrying',
        );
        await sleep(delay, signal);
        if (signal.aborted) throw new Error(`${operation} abandoned: the worker is stopping`, { cause: err });
      }
    }
  }
}

// What the engine reports (claims, leases, retries, DLQ entries, step run times, open streams): plain method
// calls, so engine and service code never touch prom-client. metrics/engine.ts implements it over the process's
// registry; tests and processes without metrics pass NOOP_ENGINE_METRICS.
import type { DlqReason } from '@tasker/shared';

export type StreamTransport = 'grpc' | 'sse';
export type StepOutcome = 'completed' | 'failed';

export interface EngineMetrics {
  /** One worker claim call finished, returning `stepsReturned` steps (0 = it came back empty). */
  claimCompleted(stepsReturned: number): void;
  /** `n` steps of `namespace` were handed to a worker. */
  stepClaimed(namespace: string, n: number): void;
  /** The sweeper expired `n` leases. */
  leaseExpired(n: number): void;
  /** A failed step was put into backoff for another attempt. */
  retryScheduled(): void;
  /** A DLQ entry was opened. */
  dlqEntryCreated(reason: DlqReason): void;
  /** A step run ended after `seconds` (the worker-reported execution time) with this outcome. Default completed. */
  stepCompleted(handler: string, seconds: number, outcome?: StepOutcome): void;
  /** A task event stream opened / closed (pair every open with exactly one close). */
  streamOpened(transport: StreamTransport): void;
  streamClosed(transport: StreamTransport): void;
}

const noop = (): void => undefined;

/** Engine metrics that record nothing. */
export const NOOP_ENGINE_METRICS: EngineMetrics = Object.freeze({
  claimCompleted: noop,
  stepClaimed: noop,
  leaseExpired: noop,
  retryScheduled: noop,
  dlqEntryCreated: noop,
  stepCompleted: noop,
  streamOpened: noop,
  streamClosed: noop,
});

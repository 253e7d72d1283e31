// The engine's side of the metrics: plain method calls, so engine code never touches prom-client. Tests and
// processes without metrics pass NOOP_ENGINE_METRICS.
import type { Counter, Gauge, Histogram } from 'prom-client';
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

interface EngineInstruments {
  claims: Counter<'outcome'>;
  stepsClaimed: Counter<'namespace'>;
  stepDuration: Histogram<'handler' | 'outcome'>;
  leaseExpiries: Counter;
  retries: Counter;
  dlqEntriesCreated: Counter<'reason'>;
  streamSubscribers: Gauge<'transport'>;
}

export function createEngineMetrics(m: EngineInstruments): EngineMetrics {
  return {
    claimCompleted: (stepsReturned) => m.claims.inc({ outcome: stepsReturned > 0 ? 'claimed' : 'empty' }),
    stepClaimed: (namespace, n) => {
      if (n > 0) m.stepsClaimed.inc({ namespace }, n);
    },
    leaseExpired: (n) => {
      if (n > 0) m.leaseExpiries.inc(n);
    },
    retryScheduled: () => m.retries.inc(),
    dlqEntryCreated: (reason) => m.dlqEntriesCreated.inc({ reason }),
    stepCompleted: (handler, seconds, outcome = 'completed') => {
      if (Number.isFinite(seconds) && seconds >= 0) m.stepDuration.observe({ handler, outcome }, seconds);
    },
    streamOpened: (transport) => m.streamSubscribers.inc({ transport }),
    streamClosed: (transport) => m.streamSubscribers.dec({ transport }),
  };
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

// The engine's metrics port (engine/metrics.ts) over the process's prom-client instruments.
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { EngineMetrics } from '../engine/metrics.js';

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

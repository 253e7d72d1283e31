// The reference's published figures (tasker-core docs/benchmarks, updated 2026-01-23), not measured here: P50
// ranges of its end-to-end criterion benchmark on a 10-instance docker cluster (2 orchestrators, 8 workers),
// PostgreSQL and RabbitMQ. They exist as figures so Tasker's same shapes show their ratio to each end of the
// range (tasker.conditional.latency.*, tasker.batch1000.latency.*).
import type { Figure, Suite } from '../lib/suite.js';

const NOTES =
  'published by tasker-core (docs/benchmarks/e2e-benchmarks.md, 50 samples per scenario, 10-instance docker cluster); quoted, not measured';

function published(id: string, shape: string, end: 'low' | 'high', ms: number): Figure {
  return {
    id,
    label: `reference P50, ${shape} (${end} end of its published range)`,
    unit: 'ms',
    value: ms,
    notes: NOTES,
  };
}

export const referenceSuite: Suite = {
  name: 'reference',
  async run() {
    return {
      figures: [
        published('reference.conditional.p50.low', 'conditional approval, amount 500, 4 of 6 steps', 'low', 251),
        published('reference.conditional.p50.high', 'conditional approval, amount 500, 4 of 6 steps', 'high', 262),
        published('reference.batch1000.p50.low', 'batch CSV 1000 rows, 5 workers + aggregator, 7 steps', 'low', 358),
        published('reference.batch1000.p50.high', 'batch CSV 1000 rows, 5 workers + aggregator, 7 steps', 'high', 368),
      ],
    };
  },
};

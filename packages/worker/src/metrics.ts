// The worker's Prometheus metrics, on a registry of its own (two workers in one process never clash).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface WorkerMetrics {
  readonly registry: Registry;
  readonly stepsClaimed: Counter<'handler'>;
  readonly stepsCompleted: Counter<'handler'>;
  readonly stepsFailed: Counter<'handler' | 'error_type' | 'retryable'>;
  readonly stepsAbandoned: Counter<'handler' | 'reason'>;
  readonly handlerDuration: Histogram<'handler' | 'outcome'>;
  readonly inFlight: Gauge;
  readonly claimDuration: Histogram<'result'>;
  readonly transportErrors: Counter<'operation' | 'code'>;
  readonly resultsUndelivered: Counter<'reason'>;
  text(): Promise<string>;
  /** Counters and gauges as samples; histograms as their `_count` and `_sum` (the gRPC metrics service). */
  samples(): Promise<MetricSample[]>;
}

export function createWorkerMetrics(options: { defaultMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'tasker_worker_' });
  const metrics: WorkerMetrics = {
    registry,
    stepsClaimed: new Counter({
      name: 'tasker_worker_steps_claimed_total',
      help: 'Steps claimed, by handler',
      labelNames: ['handler'],
      registers,
    }),
    stepsCompleted: new Counter({
      name: 'tasker_worker_steps_completed_total',
      help: 'Step successes reported, by handler',
      labelNames: ['handler'],
      registers,
    }),
    stepsFailed: new Counter({
      name: 'tasker_worker_steps_failed_total',
      help: 'Step failures reported, by handler, error type and retryability',
      labelNames: ['handler', 'error_type', 'retryable'],
      registers,
    }),
    stepsAbandoned: new Counter({
      name: 'tasker_worker_steps_abandoned_total',
      help: 'Steps stopped without a result (cancelled, lease lost, shutdown), by handler and reason',
      labelNames: ['handler', 'reason'],
      registers,
    }),
    handlerDuration: new Histogram({
      name: 'tasker_worker_handler_duration_seconds',
      help: 'Handler run time, by handler and outcome',
      labelNames: ['handler', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    inFlight: new Gauge({
      name: 'tasker_worker_steps_in_flight',
      help: 'Steps claimed and not yet finished',
      registers,
    }),
    claimDuration: new Histogram({
      name: 'tasker_worker_claim_duration_seconds',
      help: 'Claim call latency (long-poll wait included), by whether steps came back',
      labelNames: ['result'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers,
    }),
    transportErrors: new Counter({
      name: 'tasker_worker_transport_errors_total',
      help: 'Failed calls to orchestration, by operation and error code',
      labelNames: ['operation', 'code'],
      registers,
    }),
    resultsUndelivered: new Counter({
      name: 'tasker_worker_results_undelivered_total',
      help: 'Results given up on (lease lost, or orchestration unreachable until the lease surely lapsed)',
      labelNames: ['reason'],
      registers,
    }),
    text: () => registry.metrics(),
    async samples() {
      const out: MetricSample[] = [];
      for (const metric of await registry.getMetricsAsJSON()) {
        for (const v of metric.values) {
          const name = (v as { metricName?: string }).metricName ?? metric.name;
          if (name.endsWith('_bucket')) continue;
          const labels = Object.fromEntries(Object.entries(v.labels).map(([k, l]) => [k, String(l)]));
          out.push({ name, labels, value: v.value });
        }
      }
      return out;
    },
  };
  return metrics;
}

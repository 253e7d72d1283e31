// The orchestration process's Prometheus metrics (prom-client): one Registry per process (tests make their own),
// counters/histograms the transports and engine feed through ./hooks.ts, and gauges read at scrape time through
// the collectors the runtime hands in (queue depth and server connections, from PostgreSQL). A gauge whose source
// can't be read has no samples for that scrape and tasker_metrics_collect_errors_total says why; we never report
// a number we didn't observe.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineMetrics } from '../engine/metrics.js';
import { createEngineMetrics } from './engine.js';

/** Scrape-time reads. An absent one leaves its gauge empty. */
export interface MetricsCollectors {
  /** Enqueued steps per namespace (tasker_queue_depth). */
  queueDepth?: () => Promise<readonly { namespace: string; depth: number }[]>;
  /** This process's server connections by state (tasker_db_connections). */
  connections?: () => Promise<readonly { state: string; connections: number }[]>;
}

export interface MetricsOptions {
  collectors?: MetricsCollectors;
  /** database.pool_max of this process (tasker_db_pool_max_connections). */
  poolMax?: number;
  /** Process and Node.js runtime metrics (CPU, memory, event loop, GC). Default true. */
  defaultMetrics?: boolean;
  /** Longest a scrape waits for one collector. Default 2000 ms. */
  collectTimeoutMs?: number;
}

export interface TaskerMetrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'route' | 'method' | 'status'>;
  readonly grpcRequestDuration: Histogram<'method' | 'code'>;
  readonly claims: Counter<'outcome'>;
  readonly stepsClaimed: Counter<'namespace'>;
  readonly stepDuration: Histogram<'handler' | 'outcome'>;
  readonly queueDepth: Gauge<'namespace'>;
  readonly leaseExpiries: Counter;
  readonly retries: Counter;
  readonly dlqEntriesCreated: Counter<'reason'>;
  readonly streamSubscribers: Gauge<'transport'>;
  readonly dbPoolMax: Gauge;
  readonly dbConnections: Gauge<'state'>;
  readonly collectErrors: Counter<'collector'>;
  /** What the engine calls (claims, leases, retries, DLQ, step durations, streams). */
  readonly engine: EngineMetrics;
}

const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const STEP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createMetrics(options: MetricsOptions = {}): TaskerMetrics {
  const registry = new Registry();
  const registers = [registry];
  const timeoutMs = options.collectTimeoutMs ?? 2000;
  const { queueDepth: readQueueDepth, connections: readConnections } = options.collectors ?? {};
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Scrape-time reads in flight: the error counter is serialised after them, so a failure shows in the
  // scrape that hit it rather than the next one.
  const inFlight = new Set<Promise<void>>();
  const errors: Record<string, number> = {};
  function readForScrape(collector: string, read: () => Promise<void>): Promise<void> {
    const run = withTimeout(read(), timeoutMs).catch(() => {
      errors[collector] = (errors[collector] ?? 0) + 1;
    });
    inFlight.add(run);
    return run.finally(() => inFlight.delete(run));
  }

  // Namespaces seen before keep a series: a drained queue reads 0 instead of vanishing.
  const seenNamespaces = new Set<string>();
  const queueDepth = new Gauge({
    name: 'tasker_queue_depth',
    help: 'Steps enqueued and waiting for a worker, per namespace (read from PostgreSQL at scrape time)',
    labelNames: ['namespace'] as const,
    registers,
    async collect() {
      if (readQueueDepth === undefined) return;
      queueDepth.reset();
      await readForScrape('queue_depth', async () => {
        const rows = await readQueueDepth();
        for (const ns of seenNamespaces) queueDepth.set({ namespace: ns }, 0);
        for (const r of rows) {
          seenNamespaces.add(r.namespace);
          queueDepth.set({ namespace: r.namespace }, r.depth);
        }
      });
    },
  });

  const dbConnections = new Gauge({
    name: 'tasker_db_connections',
    help: 'PostgreSQL server connections of this process by state (pg_stat_activity, by application_name)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      if (readConnections === undefined) return;
      dbConnections.reset();
      await readForScrape('db_connections', async () => {
        const rows = await readConnections();
        for (const r of rows) dbConnections.set({ state: r.state.replaceAll(' ', '_') }, r.connections);
      });
    },
  });

  const collectErrors = new Counter({
    name: 'tasker_metrics_collect_errors_total',
    help: 'Scrapes where a database-backed gauge could not be read (it then has no samples)',
    labelNames: ['collector'] as const,
    registers,
    async collect() {
      await Promise.allSettled([...inFlight]);
      for (const [collector, n] of Object.entries(errors)) {
        collectErrors.inc({ collector }, n);
        delete errors[collector];
      }
    },
  });

  const dbPoolMax = new Gauge({
    name: 'tasker_db_pool_max_connections',
    help: "Configured maximum connections of this process's database pool (database.pool_max)",
    registers,
  });
  if (options.poolMax !== undefined) dbPoolMax.set(options.poolMax);

  const metrics = {
    registry,
    httpRequestDuration: new Histogram({
      name: 'tasker_http_request_duration_seconds',
      help: 'REST request latency by route pattern, method and status code',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    grpcRequestDuration: new Histogram({
      name: 'tasker_grpc_request_duration_seconds',
      help: 'gRPC call latency by full method name and status code',
      labelNames: ['method', 'code'] as const,
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    claims: new Counter({
      name: 'tasker_claims_total',
      help: 'Worker claim calls, by whether they returned steps or came back empty',
      labelNames: ['outcome'] as const,
      registers,
    }),
    stepsClaimed: new Counter({
      name: 'tasker_steps_claimed_total',
      help: 'Steps handed to workers, per namespace',
      labelNames: ['namespace'] as const,
      registers,
    }),
    stepDuration: new Histogram({
      name: 'tasker_step_duration_seconds',
      help: 'Execution time of one step run as reported with its result, per handler and outcome',
      labelNames: ['handler', 'outcome'] as const,
      buckets: STEP_BUCKETS,
      registers,
    }),
    queueDepth,
    leaseExpiries: new Counter({
      name: 'tasker_lease_expiries_total',
      help: 'Step leases that lapsed without a result (the attempt counts as a retryable failure)',
      registers,
    }),
    retries: new Counter({ name: 'tasker_retries_total', help: 'Step retries scheduled (backoff started)', registers }),
    dlqEntriesCreated: new Counter({
      name: 'tasker_dlq_entries_created_total',
      help: 'DLQ entries opened, per reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    streamSubscribers: new Gauge({
      name: 'tasker_stream_subscribers',
      help: 'Open task event streams, per transport (grpc, sse)',
      labelNames: ['transport'] as const,
      registers,
    }),
    dbPoolMax,
    dbConnections,
    collectErrors,
  };
  return { ...metrics, engine: createEngineMetrics(metrics) };
}

import type { QueueDepthReport } from '../../domain/backpressure.js';
import type { HealthCheck, HealthReport, PoolUtilization } from '../../domain/health.js';
import type { HealthResponse } from '../../schemas/rest/health.js';
import { timestampFromRest, timestampToRest } from './common.js';

type RestInfo = NonNullable<HealthResponse['info']>;

function poolToRest(p: PoolUtilization): RestInfo['pool_utilization'][string] {
  return {
    active_connections: p.activeConnections,
    waiting_queries: p.waitingQueries,
    max_connections: p.maxConnections,
    utilization_percent: p.utilizationPercent,
    total_acquires: p.totalAcquires,
    acquire_errors: p.acquireErrors,
  };
}

function poolFromRest(p: RestInfo['pool_utilization'][string]): PoolUtilization {
  return {
    activeConnections: p.active_connections,
    waitingQueries: p.waiting_queries,
    maxConnections: p.max_connections,
    utilizationPercent: p.utilization_percent,
    totalAcquires: p.total_acquires,
    acquireErrors: p.acquire_errors,
  };
}

function queueDepthToRest(q: QueueDepthReport | null): RestInfo['queue_depth'] {
  return q === null ? null : { measured_at: timestampToRest(q.measuredAt), namespaces: structuredClone(q.namespaces) };
}

function queueDepthFromRest(q: RestInfo['queue_depth']): QueueDepthReport | null {
  return q === null
    ? null
    : { measuredAt: timestampFromRest(q.measured_at), namespaces: structuredClone(q.namespaces) };
}

const mapValues = <A, B>(record: Record<string, A>, fn: (a: A) => B): Record<string, B> =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));

export function healthReportToRest(r: HealthReport): HealthResponse {
  return {
    status: r.status,
    timestamp: timestampToRest(r.timestamp),
    checks: mapValues(r.checks, (c) => ({ status: c.status, message: c.message, duration_ms: c.durationMs })),
    info:
      r.info === null
        ? null
        : {
            version: r.info.version,
            environment: r.info.environment,
            operational_state: r.info.operationalState,
            pool_max: r.info.poolMax,
            circuit_breaker_state: r.info.circuitBreakerState,
            pool_utilization: mapValues(r.info.pools, poolToRest),
            queue_depth: queueDepthToRest(r.info.queueDepth),
          },
  };
}

export function healthReportFromRest(r: HealthResponse): HealthReport {
  return {
    status: r.status,
    timestamp: timestampFromRest(r.timestamp),
    checks: mapValues(r.checks, (c): HealthCheck => ({
      status: c.status,
      message: c.message,
      durationMs: c.duration_ms,
    })),
    info:
      r.info === null
        ? null
        : {
            version: r.info.version,
            environment: r.info.environment,
            operationalState: r.info.operational_state,
            poolMax: r.info.pool_max,
            circuitBreakerState: r.info.circuit_breaker_state,
            pools: mapValues(r.info.pool_utilization, poolFromRest),
            queueDepth: queueDepthFromRest(r.info.queue_depth),
          },
  };
}

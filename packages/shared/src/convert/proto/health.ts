// Health (HealthService): domain HealthReport ↔ the four proto response shapes.
import type { QueueDepthReport } from '../../domain/backpressure.js';
import {
  CIRCUIT_BREAKER_STATES,
  type CheckStatus,
  type HealthCheck,
  type HealthReport,
  type OperationalState,
  type PoolUtilization,
} from '../../domain/health.js';
import { validationError } from '../../errors.js';
import type {
  CheckDetailedHealthResponse as PbCheckDetailedHealthResponse,
  CheckHealthResponse as PbCheckHealthResponse,
  CheckLivenessResponse as PbCheckLivenessResponse,
  CheckReadinessResponse as PbCheckReadinessResponse,
  HealthCheck as PbHealthCheck,
  HealthInfo as PbHealthInfo,
  PoolUtilization as PbPoolUtilization,
  QueueDepthReport as PbQueueDepthReport,
} from '../../gen/tasker/v1/health.js';
import { nullableFromProto, nullableToProto, requiredDateFromProto } from './common.js';

const REPORT_STATUSES = [
  'alive',
  'healthy',
  'ready',
  'not_ready',
  'degraded',
  'unhealthy',
] as const satisfies readonly HealthReport['status'][];
const CHECK_STATUSES = ['healthy', 'degraded', 'unhealthy', 'unknown'] as const satisfies readonly CheckStatus[];
const OPERATIONAL_STATES = [
  'startup',
  'normal',
  'graceful_shutdown',
  'stopped',
] as const satisfies readonly OperationalState[];

function oneOf<T extends string>(values: readonly T[], value: string, path: string): T {
  if (!(values as readonly string[]).includes(value)) {
    throw validationError([{ path, message: `must be one of ${values.join(', ')} (got ${JSON.stringify(value)})` }]);
  }
  return value as T;
}

function checksToProto(checks: Record<string, HealthCheck>): Record<string, PbHealthCheck> {
  return Object.fromEntries(
    Object.entries(checks).map(([name, c]) => [
      name,
      { status: c.status, message: nullableToProto(c.message), durationMs: c.durationMs },
    ]),
  );
}

function checksFromProto(checks: Record<string, PbHealthCheck>): Record<string, HealthCheck> {
  return Object.fromEntries(
    Object.entries(checks).map(([name, c]): [string, HealthCheck] => [
      name,
      {
        status: oneOf(CHECK_STATUSES, c.status, `checks.${name}.status`),
        message: nullableFromProto(c.message),
        durationMs: c.durationMs,
      },
    ]),
  );
}

function poolsToProto(pools: Record<string, PoolUtilization>): Record<string, PbPoolUtilization> {
  return Object.fromEntries(Object.entries(pools).map(([name, p]) => [name, { ...p }]));
}

function poolsFromProto(pools: Record<string, PbPoolUtilization>): Record<string, PoolUtilization> {
  return Object.fromEntries(
    Object.entries(pools).map(([name, p]): [string, PoolUtilization] => [
      name,
      {
        activeConnections: p.activeConnections,
        waitingQueries: p.waitingQueries,
        maxConnections: p.maxConnections,
        utilizationPercent: p.utilizationPercent,
        totalAcquires: p.totalAcquires,
        acquireErrors: p.acquireErrors,
      },
    ]),
  );
}

function queueDepthToProto(report: QueueDepthReport | null): PbQueueDepthReport | undefined {
  if (report === null) return undefined;
  return {
    measuredAt: report.measuredAt,
    namespaces: Object.fromEntries(Object.entries(report.namespaces).map(([ns, q]) => [ns, { ...q }])),
  };
}

function queueDepthFromProto(report: PbQueueDepthReport | undefined): QueueDepthReport | null {
  if (report === undefined) return null;
  return {
    measuredAt: requiredDateFromProto(report.measuredAt, 'info.queue_depth.measured_at'),
    namespaces: Object.fromEntries(
      Object.entries(report.namespaces).map(([ns, q]) => [
        ns,
        { depth: q.depth, limit: q.limit, throttled: q.throttled },
      ]),
    ),
  };
}

/** One pool serves the API and the engine in this process, so both pool sizes are its maximum. */
function infoToProto(info: HealthReport['info']): PbHealthInfo | undefined {
  if (info === null) return undefined;
  return {
    version: info.version,
    environment: info.environment,
    operationalState: info.operationalState,
    webDatabasePoolSize: info.poolMax,
    orchestrationDatabasePoolSize: info.poolMax,
    circuitBreakerState: info.circuitBreakerState,
    poolUtilization: poolsToProto(info.pools),
    queueDepth: queueDepthToProto(info.queueDepth),
  };
}

function infoFromProto(info: PbHealthInfo | undefined): HealthReport['info'] {
  if (info === undefined) return null;
  return {
    version: info.version,
    environment: info.environment,
    operationalState: oneOf(OPERATIONAL_STATES, info.operationalState, 'info.operational_state'),
    poolMax: info.webDatabasePoolSize,
    circuitBreakerState: oneOf(CIRCUIT_BREAKER_STATES, info.circuitBreakerState, 'info.circuit_breaker_state'),
    pools: poolsFromProto(info.poolUtilization),
    queueDepth: queueDepthFromProto(info.queueDepth),
  };
}

/** CheckHealth: the process answers, so it is `healthy` (REST GET /health). */
export function basicHealthToProto(report: HealthReport): PbCheckHealthResponse {
  return { status: 'healthy', timestamp: report.timestamp };
}

export function livenessToProto(report: HealthReport): PbCheckLivenessResponse {
  return { status: report.status, timestamp: report.timestamp };
}

export function healthReportToProto(report: HealthReport): PbCheckReadinessResponse & PbCheckDetailedHealthResponse {
  return {
    status: report.status,
    timestamp: report.timestamp,
    checks: checksToProto(report.checks),
    info: infoToProto(report.info),
  };
}

/** Decodes any of the four responses; the short ones have no checks and no info. */
export function healthReportFromProto(
  r: PbCheckHealthResponse | PbCheckLivenessResponse | PbCheckReadinessResponse | PbCheckDetailedHealthResponse,
): HealthReport {
  return {
    status: oneOf(REPORT_STATUSES, r.status, 'status'),
    timestamp: requiredDateFromProto(r.timestamp, 'timestamp'),
    checks: 'checks' in r ? checksFromProto(r.checks) : {},
    info: 'info' in r ? infoFromProto(r.info) : null,
  };
}

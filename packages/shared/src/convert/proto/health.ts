// Health (HealthService): domain HealthReport ↔ the four proto response shapes.
import type { CheckStatus, HealthCheck, HealthReport, OperationalState } from '../../domain/health.js';
import { validationError } from '../../errors.js';
import type {
  CheckDetailedHealthResponse as PbCheckDetailedHealthResponse,
  CheckHealthResponse as PbCheckHealthResponse,
  CheckLivenessResponse as PbCheckLivenessResponse,
  CheckReadinessResponse as PbCheckReadinessResponse,
  HealthCheck as PbHealthCheck,
  HealthInfo as PbHealthInfo,
} from '../../gen/tasker/v1/health.js';
import { nullableFromProto, nullableToProto, requiredDateFromProto } from './common.js';

const REPORT_STATUSES = ['alive', 'healthy', 'ready', 'not_ready', 'degraded', 'unhealthy'] as const satisfies readonly HealthReport['status'][];
const CHECK_STATUSES = ['healthy', 'degraded', 'unhealthy', 'unknown'] as const satisfies readonly CheckStatus[];
const OPERATIONAL_STATES = ['startup', 'normal', 'graceful_shutdown', 'stopped'] as const satisfies readonly OperationalState[];

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
      { status: oneOf(CHECK_STATUSES, c.status, `checks.${name}.status`), message: nullableFromProto(c.message), durationMs: c.durationMs },
    ]),
  );
}

/**
 * One pool serves the API and the engine in this process, so both pool sizes are its maximum. The process has
 * no database circuit breaker and no per-pool acquisition statistics: those proto fields stay empty.
 */
function infoToProto(info: HealthReport['info']): PbHealthInfo | undefined {
  if (info === null) return undefined;
  return {
    version: info.version,
    environment: info.environment,
    operationalState: info.operationalState,
    webDatabasePoolSize: info.poolMax,
    orchestrationDatabasePoolSize: info.poolMax,
    circuitBreakerState: '',
    poolUtilization: {},
  };
}

function infoFromProto(info: PbHealthInfo | undefined): HealthReport['info'] {
  if (info === undefined) return null;
  return {
    version: info.version,
    environment: info.environment,
    operationalState: oneOf(OPERATIONAL_STATES, info.operationalState, 'info.operational_state'),
    poolMax: info.webDatabasePoolSize,
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

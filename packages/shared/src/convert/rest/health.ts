import type { HealthCheck, HealthReport } from '../../domain/health.js';
import type { HealthResponse } from '../../schemas/rest/health.js';
import { timestampFromRest, timestampToRest } from './common.js';

export function healthReportToRest(r: HealthReport): HealthResponse {
  return {
    status: r.status,
    timestamp: timestampToRest(r.timestamp),
    checks: Object.fromEntries(
      Object.entries(r.checks).map(([name, c]) => [name, { status: c.status, message: c.message, duration_ms: c.durationMs }]),
    ),
    info:
      r.info === null
        ? null
        : {
            version: r.info.version,
            environment: r.info.environment,
            operational_state: r.info.operationalState,
            pool_max: r.info.poolMax,
          },
  };
}

export function healthReportFromRest(r: HealthResponse): HealthReport {
  return {
    status: r.status,
    timestamp: timestampFromRest(r.timestamp),
    checks: Object.fromEntries(
      Object.entries(r.checks).map(([name, c]): [string, HealthCheck] => [
        name,
        { status: c.status, message: c.message, durationMs: c.duration_ms },
      ]),
    ),
    info:
      r.info === null
        ? null
        : {
            version: r.info.version,
            environment: r.info.environment,
            operationalState: r.info.operational_state,
            poolMax: r.info.pool_max,
          },
  };
}

import type { HealthReport } from '@tasker/shared';
import { healthReportToRest } from '@tasker/shared/convert/rest/index';
import { describe, expect, it } from 'vitest';
import { TaskerError } from '../errors.js';
import { notReadyReport } from './health-report.js';

const report: HealthReport = {
  status: 'not_ready',
  timestamp: new Date('2024-05-01T10:00:00.250Z'),
  checks: {
    database: { status: 'unhealthy', message: 'connection refused', durationMs: 17 },
    migrations: { status: 'healthy', message: null, durationMs: 3 },
  },
  info: {
    version: '1.2.3',
    environment: 'test',
    operationalState: 'graceful_shutdown',
    poolMax: 10,
    circuitBreakerState: 'open',
    pools: {
      database: {
        activeConnections: 0,
        waitingQueries: 0,
        maxConnections: 10,
        utilizationPercent: 0,
        totalAcquires: 40,
        acquireErrors: 6,
      },
    },
    queueDepth: null,
  },
};

const unavailable = (details?: Record<string, unknown>) =>
  new TaskerError({
    code: 'UNAVAILABLE',
    message: 'not ready: database unhealthy',
    transport: 'grpc',
    ...(details === undefined ? {} : { details }),
  });

describe('notReadyReport', () => {
  it('decodes the report a not-ready CheckReadiness carries in its details, timings included', () => {
    expect(notReadyReport(unavailable(healthReportToRest(report)))).toEqual(report);
  });

  it('is undefined for anything that is not a readiness report', () => {
    expect(notReadyReport(unavailable())).toBeUndefined();
    expect(
      notReadyReport(unavailable({ checks: { database: { status: 'unhealthy', message: null } } })),
    ).toBeUndefined();
    expect(
      notReadyReport(
        new TaskerError({ code: 'INTERNAL', message: 'x', transport: 'grpc', details: healthReportToRest(report) }),
      ),
    ).toBeUndefined();
    expect(notReadyReport(new Error('connection refused'))).toBeUndefined();
  });
});

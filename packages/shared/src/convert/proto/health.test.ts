import { describe, expect, it } from 'vitest';
import { CIRCUIT_BREAKER_STATES, type HealthReport } from '../../domain/health.js';
import { CheckLivenessResponse, CheckReadinessResponse } from '../../gen/tasker/v1/health.js';
import { makeHealthReport } from '../../testing/builders.js';
import { validationFieldsOf, wire, distinctVariants } from '../../testing/proto-builders.js';
import { basicHealthToProto, healthReportFromProto, healthReportToProto, livenessToProto } from './health.js';

describe('health', () => {
  it.each([
    ['ready', makeHealthReport()],
    ...distinctVariants(makeHealthReport()),
    [
      'not ready, every check status',
      makeHealthReport({
        status: 'not_ready',
        checks: {
          a: { status: 'healthy', message: null, durationMs: 0 },
          b: { status: 'degraded', message: 'slow', durationMs: 3 },
          c: { status: 'unhealthy', message: 'down', durationMs: 1000 },
          d: { status: 'unknown', message: null, durationMs: 0 },
        },
        info: {
          version: '1',
          environment: 'test',
          operationalState: 'graceful_shutdown',
          poolMax: 3,
          circuitBreakerState: 'half_open',
          pools: {},
          queueDepth: null,
        },
      }),
    ],
    ...CIRCUIT_BREAKER_STATES.map((circuitBreakerState): [string, HealthReport] => [
      `circuit breaker ${circuitBreakerState}`,
      makeHealthReport({
        info: {
          ...makeHealthReport().info!,
          circuitBreakerState,
          queueDepth: { measuredAt: new Date(0), namespaces: {} },
        },
      }),
    ]),
  ])('round-trips a full report (%s)', (_, report) => {
    expect(healthReportFromProto(wire(CheckReadinessResponse, healthReportToProto(report)))).toEqual(report);
  });

  it('round-trips liveness, which has no checks and no info', () => {
    const live = makeHealthReport({ status: 'alive', checks: {}, info: null });
    expect(healthReportFromProto(wire(CheckLivenessResponse, livenessToProto(live)))).toEqual(live);
    expect(basicHealthToProto(live)).toEqual({ status: 'healthy', timestamp: live.timestamp });
  });

  it('rejects statuses outside the vocabulary', () => {
    const pb = healthReportToProto(makeHealthReport());
    expect(validationFieldsOf(() => healthReportFromProto({ ...pb, status: 'fine' }))).toEqual(['status']);
    expect(
      validationFieldsOf(() => healthReportFromProto({ ...pb, info: { ...pb.info!, circuitBreakerState: '' } })),
    ).toEqual(['info.circuit_breaker_state']);
  });

  it('carries the pool figures and the queue depth per namespace on the wire', () => {
    const pb = wire(CheckReadinessResponse, healthReportToProto(makeHealthReport()));
    expect(pb.info?.poolUtilization['database']).toMatchObject({
      activeConnections: 3,
      waitingQueries: 1,
      maxConnections: 10,
      totalAcquires: 1234,
    });
    expect(pb.info?.queueDepth?.namespaces['billing']).toEqual({ depth: 12, limit: 10, throttled: true });
    expect(pb.info?.circuitBreakerState).toBe('closed');
  });
});

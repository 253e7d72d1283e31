import { describe, expect, it } from 'vitest';
import { CheckLivenessResponse, CheckReadinessResponse } from '../../gen/tasker/v1/health.js';
import { makeHealthReport } from '../../testing/builders.js';
import { validationFieldsOf, wire, distinctVariants } from '../../testing/proto-builders.js';
import { basicHealthToProto, healthReportFromProto, healthReportToProto, livenessToProto } from './health.js';

describe('health', () => {
  it.each([
    ['ready', makeHealthReport()],
    ...distinctVariants(makeHealthReport()),
    ['not ready, every check status', makeHealthReport({
      status: 'not_ready',
      checks: {
        a: { status: 'healthy', message: null, durationMs: 0 },
        b: { status: 'degraded', message: 'slow', durationMs: 3 },
        c: { status: 'unhealthy', message: 'down', durationMs: 1000 },
        d: { status: 'unknown', message: null, durationMs: 0 },
      },
      info: { version: '1', environment: 'test', operationalState: 'graceful_shutdown', poolMax: 3 },
    })],
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
  });
});

// HealthService, grpc.health.v1, ConfigService, AnalyticsService and DlqService over a real server and runtime.
import { dlqEntryFromProto, healthReportFromProto, safeConfigFromProto } from '@tasker/shared/convert/proto/index';
import { DlqReason, DlqResolutionStatus } from '@tasker/shared/gen/tasker/v1/common';
import { toSafeConfig } from '@tasker/shared/config';
import { Status } from 'nice-grpc';
import { beforeAll, describe, expect, it } from 'vitest';
import { grpcErrorOf, useGrpcRuntime } from './helpers/grpc-client.js';
import { registerFixtureTemplate, TEST_PRINCIPAL, waitForTaskState } from './helpers/runtime.js';

const h = useGrpcRuntime();
const MISSING = '0190a4f0-5a1b-7c3d-8e4f-00000000beef';
const SERVING = 1;
const NOT_SERVING = 2;

const fieldsOf = (err: { details: Record<string, unknown> | null }) =>
  ((err.details?.fields ?? []) as Array<{ path: string }>).map((f) => f.path).sort();

/** A task whose only claimable step failed permanently: the task is in error and has a pending DLQ entry. */
async function erroredTask(): Promise<string> {
  const task = await h.services.tasks.create(TEST_PRINCIPAL, {
    namespace: 'billing',
    name: 'invoice_settlement',
    version: '1.0.0',
    context: { invoice_id: 99 },
    initiator: 't',
    sourceSystem: 't',
    reason: 't',
  });
  const [step] = await h.services.workers.claim(TEST_PRINCIPAL, {
    workerId: 'dlq',
    namespaces: ['billing'],
    handlerNames: [],
    maxSteps: 1,
    waitMs: 5_000,
  });
  await h.services.workers.fail(TEST_PRINCIPAL, {
    workerId: 'dlq',
    stepUuid: step!.stepUuid,
    leaseToken: step!.leaseToken,
    executionTimeMs: 1,
    error: {
      message: 'fatal',
      errorType: 'fatal',
      retryable: false,
      retryAfterSeconds: null,
      statusCode: null,
      backtrace: null,
      context: null,
    },
  });
  await waitForTaskState(h.services, task.taskUuid, ['error']);
  return task.taskUuid;
}

beforeAll(async () => {
  await registerFixtureTemplate(h.services, 'linear');
});

describe('health', () => {
  it('answers the four REST-shaped checks', async () => {
    expect((await h.clients.health.checkHealth({})).status).toBe('healthy');
    expect(healthReportFromProto(await h.clients.health.checkLiveness({}))).toMatchObject({
      status: 'alive',
      checks: {},
      info: null,
    });
    const ready = healthReportFromProto(await h.clients.health.checkReadiness({}));
    expect(ready).toMatchObject({
      status: 'ready',
      checks: { database: { status: 'healthy' }, migrations: { status: 'healthy' } },
    });
    expect(ready.info).toMatchObject({
      environment: 'test',
      operationalState: 'normal',
      poolMax: h.config.database.pool_max,
    });
    const detailed = healthReportFromProto(await h.clients.health.checkDetailedHealth({}));
    expect(Object.keys(detailed.checks)).toEqual(
      expect.arrayContaining(['database', 'migrations', 'operational_state']),
    );
  });

  it('follows real readiness: NOT_SERVING and UNAVAILABLE while draining, SERVING again after', async () => {
    const { grpcHealth, health } = h.clients;
    expect((await grpcHealth.check({ service: '' })).status).toBe(SERVING);
    expect((await grpcHealth.check({ service: 'tasker.v1.TaskService' })).status).toBe(SERVING);
    const watch = grpcHealth.watch({ service: 'tasker.v1.WorkerService' })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.status).toBe(SERVING);
    h.runtime.runtime.health.setOperationalState('graceful_shutdown');
    try {
      expect((await watch.next()).value?.status).toBe(NOT_SERVING);
      expect((await grpcHealth.check({ service: '' })).status).toBe(NOT_SERVING);
      const err = await grpcErrorOf(health.checkReadiness({}));
      expect([err.status, err.code]).toEqual([Status.UNAVAILABLE, 'UNAVAILABLE']);
      expect(err.message).toBe('not ready: operational state graceful_shutdown');
    } finally {
      h.runtime.runtime.health.setOperationalState('normal');
    }
    expect((await watch.next()).value?.status).toBe(SERVING);
    await watch.return?.();
    expect((await grpcErrorOf(grpcHealth.check({ service: 'tasker.v1.Nope' }))).status).toBe(Status.NOT_FOUND);
  });
});

describe('ConfigService', () => {
  it('returns the safe configuration, metadata split out', async () => {
    const r = await h.clients.config.getConfig({});
    expect(r.metadata).toMatchObject({ environment: 'test' });
    const safe = safeConfigFromProto(r);
    const expected = toSafeConfig(h.config) as Record<string, unknown>;
    expect({ ...safe, metadata: undefined }).toEqual({ ...expected, metadata: undefined });
    expect(JSON.stringify(safe)).not.toMatch(/postgres:\/\/|hs256_secret|key_sha256/);
  });
});

describe('AnalyticsService', () => {
  it('computes performance metrics and bottlenecks, validating the window', async () => {
    const perf = await h.clients.analytics.getPerformanceMetrics({ hours: 0 });
    expect(perf.calculatedAt).toBeInstanceOf(Date);
    expect(perf.totalTasks).toBeGreaterThanOrEqual(0);
    const bottlenecks = await h.clients.analytics.getBottleneckAnalysis({ limit: 3, minExecutions: 1 });
    expect(bottlenecks.resourceUtilization?.systemHealth).toBeDefined();
    const bad = await grpcErrorOf(
      h.clients.analytics.getBottleneckAnalysis({ limit: 0, minExecutions: 0, hours: 100_000 }),
    );
    expect([bad.status, fieldsOf(bad)]).toEqual([Status.INVALID_ARGUMENT, ['hours', 'limit', 'min_executions']]);
  });
});

describe('DlqService', () => {
  it('lists, reads and updates the entry of an errored task, and counts it', async () => {
    const taskUuid = await erroredTask();
    const entry = dlqEntryFromProto((await h.clients.dlq.getEntryByTask({ taskUuid })).entry);
    expect(entry).toMatchObject({ taskUuid, resolutionStatus: 'pending' });
    const listed = await h.clients.dlq.listEntries({
      resolutionStatus: DlqResolutionStatus.DLQ_RESOLUTION_STATUS_PENDING,
      limit: 10,
    });
    expect(listed.entries.map((e) => e.dlqEntryUuid)).toContain(entry.dlqEntryUuid);
    const queue = await h.clients.dlq.getInvestigationQueue({ limit: 5 });
    expect(queue.entries.map((e) => e.taskUuid)).toContain(taskUuid);
    const stats = await h.clients.dlq.getStats({});
    expect(stats.stats.reduce((n, s) => n + s.pending, 0)).toBeGreaterThanOrEqual(1);
    expect((await h.clients.dlq.getStalenessMonitoring({})).entries).toBeInstanceOf(Array);

    const updated = await h.clients.dlq.updateInvestigation({
      dlqEntryUuid: entry.dlqEntryUuid,
      resolutionStatus: DlqResolutionStatus.DLQ_RESOLUTION_STATUS_PERMANENTLY_FAILED,
      resolutionNotes: 'bad data',
      resolvedBy: 'ops',
      metadata: { ticket: 'OPS-3' },
    });
    expect([updated.success, updated.dlqEntryUuid]).toEqual([true, entry.dlqEntryUuid]);
    expect(dlqEntryFromProto(updated.entry)).toMatchObject({
      resolutionStatus: 'permanently_failed',
      resolutionNotes: 'bad data',
      resolvedBy: 'ops',
      metadata: { ticket: 'OPS-3' },
    });
    const reopened = await grpcErrorOf(
      h.clients.dlq.updateInvestigation({
        dlqEntryUuid: entry.dlqEntryUuid,
        resolutionStatus: DlqResolutionStatus.DLQ_RESOLUTION_STATUS_PENDING,
      }),
    );
    expect([reopened.status, reopened.code]).toEqual([Status.FAILED_PRECONDITION, 'INVALID_STATE']);
  });

  it('answers NOT_FOUND and INVALID_ARGUMENT like the rest of the API', async () => {
    expect((await grpcErrorOf(h.clients.dlq.getEntryByTask({ taskUuid: MISSING }))).status).toBe(Status.NOT_FOUND);
    expect((await grpcErrorOf(h.clients.dlq.getEntryByTask({ taskUuid: 'x' }))).status).toBe(Status.INVALID_ARGUMENT);
    expect(
      (await grpcErrorOf(h.clients.dlq.updateInvestigation({ dlqEntryUuid: MISSING, resolvedBy: 'ops' }))).status,
    ).toBe(Status.NOT_FOUND);
    const bad = await grpcErrorOf(h.clients.dlq.listEntries({ reason: DlqReason.DLQ_REASON_UNSPECIFIED, limit: 0 }));
    expect([bad.status, fieldsOf(bad)]).toEqual([Status.INVALID_ARGUMENT, ['limit', 'reason']]);
    expect((await grpcErrorOf(h.clients.dlq.getInvestigationQueue({ limit: 0 }))).status).toBe(Status.INVALID_ARGUMENT);
    expect((await grpcErrorOf(h.clients.dlq.getStalenessMonitoring({ limit: 5000 }))).status).toBe(
      Status.INVALID_ARGUMENT,
    );
  });
});

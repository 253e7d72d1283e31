// The Prometheus registry: every metric family in the text exposition, hook helpers feeding them, queue depth
// and connection gauges read from PostgreSQL at scrape time, and no made-up samples when the database fails.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Status } from 'nice-grpc-common';
import type { Sql } from 'postgres';
import { createSql } from '../../src/db/connect.js';
import { NOOP_ENGINE_METRICS } from '../../src/engine/metrics.js';
import { createMetrics, metricsContentType, metricsText, observeGrpc, observeHttp } from '../../src/metrics/index.js';
import { createMetricsCollectors } from '../../src/runtime.js';
import { createPoolStatsSource } from '../../src/services/analytics.js';
import { databaseNow, seedTask, seedTemplate, type SeededTemplate } from './helpers/seed.js';
import { useTestDatabase } from './helpers/test-db.js';

const db = useTestDatabase();
const applicationName = `tasker-metrics-test-${randomBytes(4).toString('hex')}`;
let own: Sql;
let alpha: SeededTemplate;
let beta: SeededTemplate;

beforeAll(async () => {
  own = createSql(db.url, { max: 3, applicationName });
  alpha = await seedTemplate(db.sql, { namespace: 'alpha' });
  beta = await seedTemplate(db.sql, { namespace: 'beta' });
});
afterAll(async () => {
  await own?.end({ timeout: 5 });
});

async function seedQueue(template: SeededTemplate, enqueued: number, other: number): Promise<string> {
  const now = await databaseNow(db.sql);
  const steps = [
    ...Array.from({ length: enqueued }, (_, i) => ({ name: `ready_${i}`, state: 'enqueued' as const })),
    ...Array.from({ length: other }, (_, i) => ({
      name: `running_${i}`,
      state: 'in_progress' as const,
      claims: [now],
    })),
  ];
  return (await seedTask(db.sql, { template, state: 'steps_in_process', createdAt: now, steps })).taskUuid;
}

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('createMetrics', () => {
  it('exposes every metric family, fed by the hook helpers and engine methods', async () => {
    const metrics = createMetrics({ collectors: createMetricsCollectors(own, applicationName), poolMax: 7 });
    observeHttp(metrics, { route: '/v1/tasks/:task_uuid', method: 'get', status: 200, seconds: 0.012 });
    observeHttp(metrics, { route: undefined, method: 'GET', status: 404, seconds: 0.001 });
    observeGrpc(metrics, { method: '/tasker.v1.TaskService/GetTask', code: Status.NOT_FOUND, seconds: 0.004 });
    metrics.engine.claimCompleted(3);
    metrics.engine.claimCompleted(0);
    metrics.engine.stepClaimed('alpha', 3);
    metrics.engine.leaseExpired(2);
    metrics.engine.retryScheduled();
    metrics.engine.dlqEntryCreated('max_retries_exceeded');
    metrics.engine.stepCompleted('Billing.Charge', 1.5);
    metrics.engine.stepCompleted('Billing.Charge', 0.2, 'failed');
    metrics.engine.streamOpened('sse');
    metrics.engine.streamOpened('grpc');
    metrics.engine.streamClosed('sse');

    const text = await metricsText(metrics);
    for (const [family, type] of [
      ['tasker_http_request_duration_seconds', 'histogram'],
      ['tasker_grpc_request_duration_seconds', 'histogram'],
      ['tasker_claims_total', 'counter'],
      ['tasker_steps_claimed_total', 'counter'],
      ['tasker_step_duration_seconds', 'histogram'],
      ['tasker_queue_depth', 'gauge'],
      ['tasker_lease_expiries_total', 'counter'],
      ['tasker_retries_total', 'counter'],
      ['tasker_dlq_entries_created_total', 'counter'],
      ['tasker_stream_subscribers', 'gauge'],
      ['tasker_db_pool_max_connections', 'gauge'],
      ['tasker_db_connections', 'gauge'],
      ['tasker_metrics_collect_errors_total', 'counter'],
      ['process_cpu_user_seconds_total', 'counter'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${family} ${type}`);
    }
    expect(
      sample(
        text,
        'tasker_http_request_duration_seconds_count',
        '{route="/v1/tasks/:task_uuid",method="GET",status="200"}',
      ),
    ).toBe(1);
    expect(
      sample(text, 'tasker_http_request_duration_seconds_count', '{route="unmatched",method="GET",status="404"}'),
    ).toBe(1);
    expect(
      sample(
        text,
        'tasker_grpc_request_duration_seconds_count',
        '{method="/tasker.v1.TaskService/GetTask",code="NOT_FOUND"}',
      ),
    ).toBe(1);
    expect(sample(text, 'tasker_claims_total', '{outcome="claimed"}')).toBe(1);
    expect(sample(text, 'tasker_claims_total', '{outcome="empty"}')).toBe(1);
    expect(sample(text, 'tasker_steps_claimed_total', '{namespace="alpha"}')).toBe(3);
    expect(sample(text, 'tasker_lease_expiries_total')).toBe(2);
    expect(sample(text, 'tasker_retries_total')).toBe(1);
    expect(sample(text, 'tasker_dlq_entries_created_total', '{reason="max_retries_exceeded"}')).toBe(1);
    expect(sample(text, 'tasker_step_duration_seconds_sum', '{handler="Billing.Charge",outcome="completed"}')).toBe(
      1.5,
    );
    expect(sample(text, 'tasker_step_duration_seconds_count', '{handler="Billing.Charge",outcome="failed"}')).toBe(1);
    expect(sample(text, 'tasker_stream_subscribers', '{transport="sse"}')).toBe(0);
    expect(sample(text, 'tasker_stream_subscribers', '{transport="grpc"}')).toBe(1);
    expect(sample(text, 'tasker_db_pool_max_connections')).toBe(7);
    // The scrape's own query is running on one of this pool's connections right then.
    expect(sample(text, 'tasker_db_connections', '{state="active"}')).toBeGreaterThanOrEqual(1);
    expect(metricsContentType(metrics)).toMatch(/^text\/plain/);
  });

  it('reads queue depth per namespace from the database on every scrape, drained namespaces at 0', async () => {
    const metrics = createMetrics({ collectors: createMetricsCollectors(own, applicationName), defaultMetrics: false });
    const a = await seedQueue(alpha, 3, 2);
    await seedQueue(beta, 1, 0);
    let text = await metricsText(metrics);
    expect(sample(text, 'tasker_queue_depth', '{namespace="alpha"}')).toBe(3);
    expect(sample(text, 'tasker_queue_depth', '{namespace="beta"}')).toBe(1);

    await seedQueue(beta, 2, 1);
    await db.sql`delete from tasker.tasks where task_uuid = ${a}`;
    text = await metricsText(metrics);
    expect(sample(text, 'tasker_queue_depth', '{namespace="beta"}')).toBe(3);
    expect(sample(text, 'tasker_queue_depth', '{namespace="alpha"}')).toBe(0);
  });

  it('leaves database gauges empty and counts the failure when the database cannot be read', async () => {
    const dead = createSql(db.url, { max: 1 });
    await dead.end();
    const metrics = createMetrics({
      collectors: createMetricsCollectors(dead, applicationName),
      defaultMetrics: false,
    });
    const text = await metricsText(metrics);
    expect(text).not.toMatch(/^tasker_queue_depth\{/m);
    expect(text).not.toMatch(/^tasker_db_connections\{/m);
    expect(sample(text, 'tasker_metrics_collect_errors_total', '{collector="queue_depth"}')).toBe(1);
    expect(sample(text, 'tasker_metrics_collect_errors_total', '{collector="db_connections"}')).toBe(1);
    expect(text).not.toMatch(/^process_/m);
  });

  it('keeps registries apart and offers a no-op engine sink', () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.engine.retryScheduled();
    expect(a.registry).not.toBe(b.registry);
    expect(() => NOOP_ENGINE_METRICS.stepCompleted('x', 1)).not.toThrow();
  });
});

describe('createPoolStatsSource', () => {
  it("counts this pool's busy connections (other than its own query) against the configured max", async () => {
    const stats = createPoolStatsSource(own, { applicationName, max: 3 });
    const sleeping = own`select pg_sleep(1.5)`.execute();
    // Wait until the sleeping query shows up as active on the server.
    let seen = { max: 0, busy: 0 };
    for (let i = 0; i < 50 && seen.busy === 0; i += 1) {
      seen = await stats();
      if (seen.busy === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toEqual({ max: 3, busy: 1 });
    await sleeping;
    expect(await stats()).toEqual({ max: 3, busy: 0 });
  });
});

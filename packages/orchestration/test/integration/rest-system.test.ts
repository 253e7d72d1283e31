// Health, config, API docs, and the DLQ and analytics routes (registered when their services exist).
import { describe, expect, it } from 'vitest';
import {
  BottleneckAnalysisSchema,
  DlqEntryListResponseSchema,
  DlqInvestigationQueueResponseSchema,
  DlqStatsListResponseSchema,
  HealthResponseSchema,
  PerformanceMetricsSchema,
  StalenessResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import { MISSING_UUID, useRestHarness } from './rest-helpers.js';

const h = useRestHarness();

function fieldPaths(body: { error: { details?: { fields?: Array<{ path: string }> } } }): string[] {
  return (body.error.details?.fields ?? []).map((f) => f.path);
}

describe('health and probes', () => {
  it.each(['/health', '/health/live', '/health/detailed'])('%s answers 200 with a health body', async (path) => {
    const res = await h.api('GET', path);
    expect(res.status).toBe(200);
    HealthResponseSchema.parse(res.body);
  });

  it('/health/ready reports ready with its checks', async () => {
    await expect.poll(async () => (await h.api('GET', '/health/ready')).status, { timeout: 10_000 }).toBe(200);
    const res = await h.api('GET', '/health/ready');
    expect(HealthResponseSchema.parse(res.body)).toMatchObject({ status: 'ready' });
    expect(res.body.checks.database.status).toBe('healthy');
  });
});

describe('GET /config', () => {
  it('returns the safe configuration without URLs or secrets', async () => {
    const res = await h.api('GET', '/config');
    expect(res.status).toBe(200);
    expect(typeof res.body).toBe('object');
    expect(JSON.stringify(res.body)).not.toMatch(/postgres(ql)?:\/\//);
  });
});

describe('API docs', () => {
  it('serves the OpenAPI document and the UI', async () => {
    const doc = await h.api('GET', '/api-docs/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(doc.body.paths)).toContain('/v1/tasks');
    const ui = await fetch(`${h.base}/api-docs/ui`, { redirect: 'follow' });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });
});

describe('request ids', () => {
  it('echoes a caller-supplied x-request-id and generates one otherwise', async () => {
    const echoed = await h.api('GET', '/health/live', { headers: { 'x-request-id': 'trace-abc-1' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc-1');
    const generated = await h.api('GET', '/v1/tasks/not-a-uuid');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('DLQ routes', () => {
  it('lists entries, stats, the investigation queue and staleness', async () => {
    if (h.services.dlq === undefined) return expect((await h.api('GET', '/v1/dlq')).status).toBe(404);
    const list = await h.api('GET', '/v1/dlq?limit=10&resolution_status=pending');
    expect(list.status).toBe(200);
    DlqEntryListResponseSchema.parse(list.body);
    DlqStatsListResponseSchema.parse((await h.api('GET', '/v1/dlq/stats')).body);
    DlqInvestigationQueueResponseSchema.parse((await h.api('GET', '/v1/dlq/investigation-queue?limit=5')).body);
    StalenessResponseSchema.parse((await h.api('GET', '/v1/dlq/staleness')).body);
  });

  it('answers 404 for unknown tasks and entries, 400 for bad input', async () => {
    if (h.services.dlq === undefined) return;
    expect((await h.api('GET', `/v1/dlq/task/${MISSING_UUID}`)).status).toBe(404);
    const patch = await h.api('PATCH', `/v1/dlq/entry/${MISSING_UUID}`, { json: { resolution_notes: 'n' } });
    expect(patch.status).toBe(404);
    const badStatus = await h.api('PATCH', `/v1/dlq/entry/${MISSING_UUID}`, { json: { resolution_status: 'Pending' } });
    expect(badStatus.status).toBe(400);
    expect(fieldPaths(badStatus.body)).toEqual(['body.resolution_status']);
    const badLimit = await h.api('GET', '/v1/dlq?limit=0');
    expect(fieldPaths(badLimit.body)).toEqual(['query.limit']);
    expect((await h.api('GET', '/v1/dlq/task/nope')).status).toBe(400);
  });
});

describe('analytics routes', () => {
  it('reports performance and bottlenecks', async () => {
    if (h.services.analytics === undefined)
      return expect((await h.api('GET', '/v1/analytics/performance')).status).toBe(404);
    const performance = await h.api('GET', '/v1/analytics/performance?hours=1');
    expect(performance.status).toBe(200);
    expect(PerformanceMetricsSchema.parse(performance.body).window_hours).toBe(1);
    const bottlenecks = await h.api('GET', '/v1/analytics/bottlenecks?limit=3&min_executions=1');
    expect(bottlenecks.status).toBe(200);
    BottleneckAnalysisSchema.parse(bottlenecks.body);
    const bad = await h.api('GET', '/v1/analytics/performance?hours=-1');
    expect(bad.status).toBe(400);
    expect(fieldPaths(bad.body)).toEqual(['query.hours']);
  });
});

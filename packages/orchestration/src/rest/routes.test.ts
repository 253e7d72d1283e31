// Route handlers hand every request field to the service and convert what comes back; checked with
// recording fakes (the real services are covered by the integration tests).
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_PERMISSIONS_PRINCIPAL } from '@tasker/shared/permissions';
import {
  makeBottleneckAnalysis,
  makeClaimedStep,
  makeDlqEntry,
  makeHealthReport,
  makePerformanceMetrics,
  makeCreatedTask,
  makeTask,
} from '@tasker/shared/testing/builders';
import { dlqEntryToRest, claimedStepToRest } from '@tasker/shared/convert/rest/index';
import type { Services } from '../services/types.js';
import { buildRestApp } from './app.js';
import { makeFakeServices } from './testing/fake-services.js';
import { makeTestConfig } from './testing/test-config.js';

const UUID = '0190a4f0-5a1b-7c3d-8e4f-000000000001';
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function appWith(services: Services): Promise<FastifyInstance> {
  app = await buildRestApp(services, makeTestConfig());
  return app;
}

describe('health routes', () => {
  it('answers /health/ready with 503 and the report while not ready', async () => {
    const a = await appWith(
      makeFakeServices({ health: { ready: async () => makeHealthReport({ status: 'not_ready' }) } }),
    );
    const res = await a.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'not_ready',
      checks: { database: { status: 'healthy', duration_ms: 2 } },
    });
  });

  it('answers /health/detailed with 200 even when degraded', async () => {
    const a = await appWith(
      makeFakeServices({ health: { detailed: async () => makeHealthReport({ status: 'degraded' }) } }),
    );
    const res = await a.inject({ method: 'GET', url: '/health/detailed' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('degraded');
  });
});

describe('request mapping', () => {
  it('maps the list query to the domain query', async () => {
    const list = vi.fn(async () => ({ items: [makeTask()], total: 1, limit: 10, offset: 10 }));
    const a = await appWith(makeFakeServices({ tasks: { list } }));
    const res = await a.inject({
      method: 'GET',
      url: '/v1/tasks?page=2&per_page=10&namespace=billing&state=error&state=complete&tags=a,b&initiator=me&source_system=crm&sort_by=priority&sort_direction=asc',
    });
    expect(res.statusCode).toBe(200);
    expect(list).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, {
      limit: 10,
      offset: 10,
      namespace: 'billing',
      states: ['error', 'complete'],
      tags: ['a', 'b'],
      initiator: 'me',
      sourceSystem: 'crm',
      sort: { field: 'priority', direction: 'asc' },
    });
    expect(res.json().pagination).toMatchObject({ page: 2, per_page: 10, total_count: 1 });
  });

  it('passes cancel and resume bodies through', async () => {
    const cancel = vi.fn(async () => makeTask({ state: 'cancelled' }));
    const resume = vi.fn(async () => makeTask());
    const a = await appWith(makeFakeServices({ tasks: { cancel, resume } }));
    await a.inject({ method: 'DELETE', url: `/v1/tasks/${UUID}`, payload: { reason: 'dup', cancelled_by: 'ops' } });
    expect(cancel).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, UUID, { reason: 'dup', performedBy: 'ops' });
    await a.inject({
      method: 'POST',
      url: `/v1/tasks/${UUID}/resume`,
      payload: { performed_by: 'ops', reason: 'fixed' },
    });
    expect(resume).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, UUID, { performedBy: 'ops', reason: 'fixed' });
  });

  it('passes the close (resolve) and the opening of a manual DLQ entry through', async () => {
    const resolve = vi.fn(async () => makeTask({ state: 'resolved_manually' }));
    const open = vi.fn(async () => makeDlqEntry({ reason: 'manual_dlq' }));
    const a = await appWith(makeFakeServices({ tasks: { resolve }, dlq: { create: open } }));
    const closed = await a.inject({
      method: 'POST',
      url: `/v1/tasks/${UUID}/resolve`,
      payload: { performed_by: 'ops', reason: 'accepted' },
    });
    expect(closed.statusCode).toBe(200);
    expect(resolve).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, UUID, { performedBy: 'ops', reason: 'accepted' });
    const opened = await a.inject({
      method: 'POST',
      url: `/v1/dlq/task/${UUID}`,
      payload: { performed_by: 'ops', reason: 'looks stuck' },
    });
    expect(opened.statusCode).toBe(201);
    expect(opened.json().dlq_reason).toBe('manual_dlq');
    expect(open).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, UUID, { performedBy: 'ops', reason: 'looks stuck' });
  });

  it("maps the reference's status parameter and accepts and ignores its requested_at", async () => {
    const list = vi.fn(async () => ({ items: [], total: 0, limit: 25, offset: 0 }));
    const createWithAdmission = vi.fn(async () => makeCreatedTask());
    const a = await appWith(makeFakeServices({ tasks: { list, createWithAdmission } }));
    expect((await a.inject({ method: 'GET', url: '/v1/tasks?status=completed' })).statusCode).toBe(200);
    expect(list).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, { limit: 25, offset: 0, states: ['complete'] });
    const both = await a.inject({ method: 'GET', url: '/v1/tasks?status=completed&state=error' });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.details.fields).toEqual([
      { path: 'query.status', message: expect.stringContaining('not both') },
    ]);
    const body = {
      namespace: 'n',
      name: 't',
      version: '1',
      context: {},
      initiator: 'i',
      source_system: 's',
      reason: 'r',
      requested_at: '2024-05-01T10:00:00',
    };
    expect((await a.inject({ method: 'POST', url: '/v1/tasks', payload: body })).statusCode).toBe(201);
    expect(createWithAdmission).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, {
      namespace: 'n',
      name: 't',
      version: '1',
      context: {},
      initiator: 'i',
      sourceSystem: 's',
      reason: 'r',
    });
  });

  it('maps a manual step action', async () => {
    const applyManualAction = vi.fn(async () => {
      throw new Error('stop here');
    });
    const a = await appWith(makeFakeServices({ steps: { applyManualAction } }));
    await a.inject({
      method: 'PATCH',
      url: `/v1/tasks/${UUID}/workflow_steps/${UUID}`,
      payload: {
        action_type: 'complete_manually',
        completion_data: { result: [1], metadata: { m: true } },
        reason: 'r',
        completed_by: 'ops',
      },
    });
    expect(applyManualAction).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, UUID, UUID, {
      type: 'complete_manually',
      reason: 'r',
      performedBy: 'ops',
      result: [1],
      metadata: { m: true },
    });
  });

  it('maps claims and returns the claimed steps', async () => {
    const step = makeClaimedStep();
    const claim = vi.fn(async (..._args: Parameters<Services['workers']['claim']>) => [step]);
    const a = await appWith(makeFakeServices({ workers: { claim } }));
    const res = await a.inject({
      method: 'POST',
      url: '/v1/workers/claim',
      payload: { worker_id: 'w', namespaces: ['billing'], handler_names: ['H'], max_steps: 5, wait_ms: 10 },
    });
    expect(claim.mock.calls[0]?.[1]).toEqual({
      workerId: 'w',
      namespaces: ['billing'],
      handlerNames: ['H'],
      maxSteps: 5,
      waitMs: 10,
    });
    expect(claim.mock.calls[0]?.[2]).toBeInstanceOf(AbortSignal);
    expect(res.json()).toEqual({ steps: [claimedStepToRest(step)] });
  });

  it('hands templates/validate the YAML text or the object', async () => {
    const validate = vi.fn(async () => ({ valid: true, errors: [] }));
    const a = await appWith(makeFakeServices({ templates: { validate } }));
    await a.inject({ method: 'POST', url: '/v1/templates/validate', payload: { yaml: 'name: x' } });
    await a.inject({ method: 'POST', url: '/v1/templates/validate', payload: { name: 'x', steps: [] } });
    expect(validate.mock.calls.map((c) => (c as unknown[])[1])).toEqual(['name: x', { name: 'x', steps: [] }]);
  });

  it('maps DLQ queries and updates', async () => {
    const entry = makeDlqEntry();
    const list = vi.fn(async () => [entry]);
    const update = vi.fn(async () => entry);
    const investigationQueue = vi.fn(async () => []);
    const a = await appWith(makeFakeServices({ dlq: { list, update, investigationQueue } }));
    const res = await a.inject({
      method: 'GET',
      url: '/v1/dlq?resolution_status=pending&dlq_reason=staleness_timeout&limit=5&offset=10',
    });
    expect(res.json()).toEqual([dlqEntryToRest(entry)]);
    expect(list).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, {
      limit: 5,
      offset: 10,
      resolutionStatus: 'pending',
      reason: 'staleness_timeout',
    });
    await a.inject({
      method: 'PATCH',
      url: `/v1/dlq/entry/${UUID}`,
      payload: { resolution_status: 'manually_resolved', resolved_by: 'ops' },
    });
    expect(update).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, UUID, {
      resolutionStatus: 'manually_resolved',
      resolvedBy: 'ops',
    });
    await a.inject({ method: 'GET', url: '/v1/dlq/investigation-queue' });
    expect(investigationQueue).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, 100);
  });

  it('maps analytics parameters with their defaults', async () => {
    const performance = vi.fn(async () => makePerformanceMetrics());
    const bottlenecks = vi.fn(async () => makeBottleneckAnalysis());
    const a = await appWith(makeFakeServices({ analytics: { performance, bottlenecks } }));
    expect((await a.inject({ method: 'GET', url: '/v1/analytics/performance' })).statusCode).toBe(200);
    expect(performance).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, 24);
    await a.inject({ method: 'GET', url: '/v1/analytics/bottlenecks?limit=3&hours=0' });
    expect(bottlenecks).toHaveBeenCalledWith(ALL_PERMISSIONS_PRINCIPAL, { limit: 3, minExecutions: 5, hours: 0 });
  });

  it('serves the safe config as given', async () => {
    const a = await appWith(
      makeFakeServices({ config: { safe: async () => ({ environment: 'test', auth: { enabled: false } }) } }),
    );
    const res = await a.inject({ method: 'GET', url: '/config' });
    expect(res.json()).toEqual({ environment: 'test', auth: { enabled: false } });
  });
});

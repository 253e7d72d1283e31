import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, ERROR_TABLE } from '@tasker/shared/errors';
import { taskToRest } from '@tasker/shared/convert/rest/index';
import { makeCreateTaskInput, makeTask } from '@tasker/shared/testing/builders';
import { createTaskInputToRest } from '@tasker/shared/convert/rest/index';
import type { Services } from '../services/types.js';
import { buildRestApp } from './app.js';
import { formatFieldPath } from './error-handler.js';
import { makeFakeServices } from './testing/fake-services.js';
import { makeTestConfig } from './testing/test-config.js';

const TASK_UUID = '0190a4f0-5a1b-7c3d-8e4f-000000000001';
let app: FastifyInstance | undefined;

async function appWith(services: Services, config = makeTestConfig()): Promise<FastifyInstance> {
  app = await buildRestApp(services, config);
  return app;
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const throwingGet = (error: unknown) => makeFakeServices({ tasks: { get: async () => Promise.reject(error) } });

describe('REST error translation', () => {
  it.each(ERROR_CODES.map((code) => [code]))('answers %s with its table status and the shared body', async (code) => {
    const a = await appWith(throwingGet(new AppError(code, 'something specific', { details: { hint: 'h' } })));
    const res = await a.inject({ method: 'GET', url: `/v1/tasks/${TASK_UUID}` });
    expect(res.statusCode).toBe(ERROR_TABLE[code].http);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(body.error.code).toBe(code);
    if (code === 'INTERNAL') {
      expect(body.error).toEqual({ code, message: 'Internal server error' });
    } else {
      expect(body.error).toEqual({ code, message: 'something specific', details: { hint: 'h' } });
    }
  });

  it('sets Retry-After for BACKPRESSURE and UNAVAILABLE only', async () => {
    for (const [code, header] of [
      ['BACKPRESSURE', '7'],
      ['UNAVAILABLE', '3'],
      ['NOT_FOUND', undefined],
    ] as const) {
      const a = await appWith(
        throwingGet(new AppError(code, 'x', { retryAfterSeconds: header === undefined ? 9 : Number(header) })),
      );
      const res = await a.inject({ method: 'GET', url: `/v1/tasks/${TASK_UUID}` });
      expect(res.headers['retry-after']).toBe(header);
      await a.close();
    }
  });

  it('hides unknown errors behind a generic 500', async () => {
    const a = await appWith(throwingGet(new Error('connection string postgres://secret@db')));
    const res = await a.inject({ method: 'GET', url: `/v1/tasks/${TASK_UUID}` });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'Internal server error' } });
    expect(res.body).not.toContain('secret');
  });

  it('turns a response that breaks its schema into a 500, not a malformed body', async () => {
    const a = await appWith(
      makeFakeServices({ tasks: { get: async () => ({ ...makeTask(), state: 'bogus' }) as never } }),
    );
    const res = await a.inject({ method: 'GET', url: `/v1/tasks/${TASK_UUID}` });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('INTERNAL');
  });

  it('names every invalid field: wrong types, unknown fields, missing fields', async () => {
    const a = await appWith(makeFakeServices());
    const body = {
      ...createTaskInputToRest(makeCreateTaskInput()),
      priority: 'high',
      colour: 'red',
      context: [],
    } as Record<string, unknown>;
    delete body.reason;
    const res = await a.inject({ method: 'POST', url: '/v1/tasks', payload: body });
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('VALIDATION_FAILED');
    const paths = error.details.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['body.priority', 'body.colour', 'body.context', 'body.reason']));
    expect(error.message).toContain('body.colour');
  });

  it('names nested fields with indexes', async () => {
    const a = await appWith(makeFakeServices());
    const res = await a.inject({
      method: 'POST',
      url: '/v1/workers/heartbeat',
      payload: {
        worker_id: 'w',
        leases: [
          { step_uuid: TASK_UUID, lease_token: TASK_UUID },
          { step_uuid: 'nope', lease_token: TASK_UUID },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.fields).toEqual([
      { path: 'body.leases[1].step_uuid', message: expect.any(String) },
    ]);
  });

  it.each([
    ['an invalid UUID', `/v1/tasks/not-a-uuid`, 'params.task_uuid'],
    ['an invalid step UUID', `/v1/tasks/${TASK_UUID}/workflow_steps/123`, 'params.step_uuid'],
    ['per_page above 100', '/v1/tasks?per_page=101', 'query.per_page'],
    ['page 0', '/v1/tasks?page=0', 'query.page'],
    ['an unknown state', '/v1/tasks?state=pending,finished', 'query.state[1]'],
    ['an unknown query parameter', '/v1/tasks?colour=red', 'query.colour'],
    ['a bad include_steps', `/v1/tasks/${TASK_UUID}?include_steps=yes`, 'query.include_steps'],
  ])('rejects %s with 400 naming %s', async (_, url, path) => {
    const a = await appWith(makeFakeServices());
    const res = await a.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.fields.map((f: { path: string }) => f.path)).toContain(path);
  });

  it('answers malformed JSON with 400 VALIDATION_FAILED', async () => {
    const a = await appWith(makeFakeServices());
    for (const payload of ['{"namespace": ', '']) {
      const res = await a.inject({
        method: 'POST',
        url: '/v1/tasks',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(res.json().error.message).toMatch(/JSON/);
    }
  });

  it('answers an unsupported media type with 415 in the same shape', async () => {
    const a = await appWith(makeFakeServices());
    for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
      const res = await a.inject({
        method: 'POST',
        url: '/v1/tasks',
        payload: 'a=b',
        headers: { 'content-type': type },
      });
      expect(res.statusCode).toBe(415);
      expect(res.json().error).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/media type/),
      });
    }
  });

  it('answers a body over the configured limit with 413 in the same shape', async () => {
    const a = await appWith(makeFakeServices(), makeTestConfig({ rest: { body_limit_bytes: 1024 } }));
    const big = { ...createTaskInputToRest(makeCreateTaskInput()), context: { blob: 'x'.repeat(5000) } };
    const res = await a.inject({ method: 'POST', url: '/v1/tasks', payload: big });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('answers unknown routes with 404 NOT_FOUND in the same shape', async () => {
    const a = await appWith(makeFakeServices());
    const res = await a.inject({ method: 'GET', url: '/v2/nothing?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'Route GET /v2/nothing not found' } });
  });

  it('puts a request id on every response: echoed when sane, generated otherwise', async () => {
    const a = await appWith(makeFakeServices({ tasks: { get: async () => makeTask() } }));
    const ok = await a.inject({ method: 'GET', url: `/v1/tasks/${TASK_UUID}`, headers: { 'x-request-id': 'req-123' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['x-request-id']).toBe('req-123');
    for (const res of [
      await a.inject({ method: 'GET', url: '/nowhere' }),
      await a.inject({ method: 'GET', url: '/v1/tasks/bad' }),
      await a.inject({
        method: 'POST',
        url: '/v1/tasks',
        payload: '{',
        headers: { 'content-type': 'application/json' },
      }),
      await a.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'bad id with spaces' } }),
    ]) {
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('serves converted domain objects on success', async () => {
    const task = makeTask();
    const a = await appWith(makeFakeServices({ tasks: { get: async () => task } }));
    const res = await a.inject({ method: 'GET', url: `/v1/tasks/${task.taskUuid}` });
    expect(res.json()).toEqual(taskToRest(task));
  });
});

describe('request deadline', () => {
  const slow = <T>(value: T, ms: number) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

  it('answers 504 TIMEOUT when a handler outlives rest.request_timeout_ms', async () => {
    const a = await appWith(
      makeFakeServices({ tasks: { get: () => slow(makeTask(), 400) } }),
      makeTestConfig({ rest: { request_timeout_ms: 100 } }),
    );
    const res = await a.inject({ method: 'GET', url: `/v1/tasks/${TASK_UUID}` });
    expect(res.statusCode).toBe(504);
    expect(res.json().error.code).toBe('TIMEOUT');
  });

  it('exempts the claim long-poll', async () => {
    const a = await appWith(
      makeFakeServices({ workers: { claim: () => slow([], 300) } }),
      makeTestConfig({ rest: { request_timeout_ms: 100 } }),
    );
    const res = await a.inject({ method: 'POST', url: '/v1/workers/claim', payload: { worker_id: 'w', wait_ms: 300 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ steps: [] });
  });
});

describe('formatFieldPath', () => {
  it('joins names with dots and indexes with brackets', () => {
    expect(formatFieldPath('body', ['items', '0', 'sku'])).toBe('body.items[0].sku');
    expect(formatFieldPath('query', [])).toBe('query');
  });
});

describe('CORS', () => {
  it('answers preflights for allowed origins and ignores others', async () => {
    const a = await appWith(makeFakeServices(), makeTestConfig({ rest: { cors_origins: ['https://ui.example'] } }));
    const preflight = await a.inject({
      method: 'OPTIONS',
      url: '/v1/tasks',
      headers: { origin: 'https://ui.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://ui.example');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    const other = await a.inject({ method: 'GET', url: '/health/live', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

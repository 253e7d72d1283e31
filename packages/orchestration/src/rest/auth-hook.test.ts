import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '@tasker/shared/errors';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import { makeHealthReport, makeTask } from '@tasker/shared/testing/builders';
import type { Services } from '../services/types.js';
import { buildRestApp, type RestAppOptions } from './app.js';
import type { Credentials } from '../auth/authenticate.js';
import { makeFakeServices } from './testing/fake-services.js';
import { makeTestConfig } from './testing/test-config.js';

const TASK_UUID = '0190a4f0-5a1b-7c3d-8e4f-000000000001';
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function principal(permissions: string[]): Principal {
  return { subject: 'tester', kind: 'api_key', permissions, namespaces: null };
}

async function appWith(services: Services, authEnabled: boolean, opts: RestAppOptions = {}): Promise<FastifyInstance> {
  app = await buildRestApp(services, makeTestConfig({ auth: { enabled: authEnabled } }), opts);
  return app;
}

function servicesRecordingPrincipal(seen: Principal[]): Services {
  return makeFakeServices({
    tasks: {
      get: async (p) => {
        seen.push(p);
        return makeTask();
      },
      cancel: async () => makeTask({ state: 'cancelled' }),
    },
    health: { live: async () => makeHealthReport({ status: 'alive', info: null, checks: {} }) },
  });
}

describe('REST auth hook', () => {
  it('hands every request the all-permissions principal when auth is off', async () => {
    const seen: Principal[] = [];
    const a = await appWith(servicesRecordingPrincipal(seen), false);
    expect((await a.inject({ method: 'GET', url: `/v1/tasks/${TASK_UUID}` })).statusCode).toBe(200);
    expect(seen).toEqual([ALL_PERMISSIONS_PRINCIPAL]);
  });

  it('refuses protected routes with 401 when auth is on but no authenticator is configured', async () => {
    const a = await appWith(servicesRecordingPrincipal([]), true);
    const res = await a.inject({ method: 'GET', url: `/v1/tasks/${TASK_UUID}` });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
    expect((await a.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await a.inject({ method: 'GET', url: '/api-docs/openapi.json' })).statusCode).toBe(200);
  });

  it('passes the credentials to the authenticator and the principal to the service', async () => {
    const seen: Principal[] = [];
    const authenticate = vi.fn(async (_c: Credentials) => principal(['tasks:read']));
    const a = await appWith(servicesRecordingPrincipal(seen), true, { authenticate });
    const res = await a.inject({
      method: 'GET',
      url: `/v1/tasks/${TASK_UUID}`,
      headers: { authorization: 'Bearer abc', 'x-api-key': 'key-1' },
    });
    expect(res.statusCode).toBe(200);
    expect(authenticate).toHaveBeenCalledWith({ authorization: 'Bearer abc', apiKey: 'key-1' });
    expect(seen[0]?.subject).toBe('tester');
  });

  it('answers 403 naming the missing permission, and honours wildcards', async () => {
    const a = await appWith(servicesRecordingPrincipal([]), true, {
      authenticate: async () => principal(['tasks:read']),
    });
    const denied = await a.inject({ method: 'DELETE', url: `/v1/tasks/${TASK_UUID}` });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toMatchObject({ code: 'PERMISSION_DENIED', details: { permission: 'tasks:cancel' } });
    await a.close();
    const b = await appWith(servicesRecordingPrincipal([]), true, { authenticate: async () => principal(['tasks:*']) });
    expect((await b.inject({ method: 'DELETE', url: `/v1/tasks/${TASK_UUID}` })).statusCode).toBe(200);
  });

  it('propagates authenticator failures as 401', async () => {
    const a = await appWith(servicesRecordingPrincipal([]), true, {
      authenticate: async () => {
        throw new AppError('UNAUTHENTICATED', 'token expired');
      },
    });
    const res = await a.inject({ method: 'GET', url: `/v1/tasks/${TASK_UUID}` });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('token expired');
  });

  it('checks credentials before reading the body', async () => {
    const a = await appWith(servicesRecordingPrincipal([]), true);
    const res = await a.inject({
      method: 'POST',
      url: '/v1/tasks',
      payload: '{broken',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(401);
  });

  it('never calls the authenticator for public routes', async () => {
    const authenticate = vi.fn(async () => principal([]));
    const a = await appWith(servicesRecordingPrincipal([]), true, { authenticate });
    expect((await a.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect(authenticate).not.toHaveBeenCalled();
  });
});

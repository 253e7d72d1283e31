import { describe, expect, it } from 'vitest';
import { isKnownPermission } from '@tasker/shared/permissions';
import { createMetrics } from '../metrics/index.js';
import { buildRestApp } from './app.js';
import { REST_ROUTE_PERMISSIONS, routeKey } from './permissions.js';
import { makeFakeServices } from './testing/fake-services.js';
import { makeTestConfig } from './testing/test-config.js';

async function registeredRouteKeys(services = makeFakeServices()): Promise<string[]> {
  const keys: string[] = [];
  const app = await buildRestApp(services, makeTestConfig(), {
    metrics: createMetrics({ defaultMetrics: false }),
    onRoute: (route) => {
      for (const method of [route.method].flat()) keys.push(routeKey(method, route.url));
    },
  });
  await app.ready();
  await app.close();
  return keys;
}

describe('REST_ROUTE_PERMISSIONS', () => {
  it('has exactly one entry for every registered route, and none unused', async () => {
    const keys = await registeredRouteKeys();
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(Object.keys(REST_ROUTE_PERMISSIONS).sort());
  });

  it('maps to known permissions; only health, metrics and the API docs are public', () => {
    for (const [key, permission] of Object.entries(REST_ROUTE_PERMISSIONS)) {
      if (permission === 'public') expect(key).toMatch(/^(GET|HEAD) \/(health|metrics|api-docs)(\/|$)/);
      else expect(isKnownPermission(permission), key).toBe(true);
    }
  });

  it('refuses to register a route that has no entry', async () => {
    const app = await buildRestApp(makeFakeServices(), makeTestConfig());
    expect(() => app.get('/v1/unlisted', async () => 'x')).toThrow(/GET \/v1\/unlisted has no entry/);
    await app.close();
  });

  it('leaves optional services out: no DLQ or analytics routes without those services', async () => {
    const services = makeFakeServices();
    const { dlq: _dlq, analytics: _analytics, ...required } = services;
    const keys = await registeredRouteKeys(required);
    expect(keys.some((k) => k.includes('/v1/dlq') || k.includes('/v1/analytics'))).toBe(false);
  });
});

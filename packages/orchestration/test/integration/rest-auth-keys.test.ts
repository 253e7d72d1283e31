// REST /v1/auth/keys over a real runtime with auth on and the real authenticator: a key issued through the
// API authenticates at once, is listed without its secret, and is refused once revoked; a key manager cannot
// issue more than it holds; bad inputs are named.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_GRANTS } from '../../src/auth/api-keys.js';
import { createApiKey } from '../../src/services/api-keys.js';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { findApiKeyByDigest } from '../../src/repositories/api-keys.js';
import { buildRestApp } from '../../src/rest/app.js';
import { startTestRuntime, type TestRuntime } from './helpers/runtime.js';

const MISSING = '0190a4f0-5a1b-7c3d-8e4f-00000000beef';

let rt: TestRuntime;
let app: FastifyInstance;
let adminKey: string;

beforeAll(async () => {
  rt = await startTestRuntime({ auth: { enabled: true, api_keys: { enabled: true } } });
  adminKey = (
    await createApiKey(rt.sql, {
      description: 'rest admin',
      permissions: [...ADMIN_GRANTS],
      namespaces: null,
      expiresAt: null,
    })
  ).key;
  // No lookup cache: a revocation must be visible to the very next request.
  const authenticate = createAuthenticator(rt.config.auth, {
    apiKeys: { findByDigest: (d) => findApiKeyByDigest(rt.sql, d) },
    apiKeyCacheMs: 0,
  });
  app = await buildRestApp(rt.services, rt.config, { authenticate });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await rt?.stop();
});

interface Call {
  key?: string;
  body?: unknown;
}

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, { key = adminKey, body }: Call = {}) {
  const res = await app.inject({
    method,
    url,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    text: res.body,
    json: res.body === '' ? undefined : res.json(),
  };
}

/** Issues a key through the API as `as` and returns the plain key and its uuid. */
async function issue(body: Record<string, unknown>, as = adminKey): Promise<{ key: string; uuid: string }> {
  const res = await call('POST', '/v1/auth/keys', { key: as, body });
  expect(res.status, res.text).toBe(201);
  return { key: res.json.key, uuid: res.json.api_key.key_uuid };
}

const fieldsOf = (json: { error: { details?: { fields?: Array<{ path: string }> } } }) =>
  (json.error.details?.fields ?? []).map((f) => f.path).sort();

describe('issuing, using, listing and revoking a key', () => {
  it('goes end to end, and the plain key appears only in the creation response', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await call('POST', '/v1/auth/keys', {
      body: {
        description: 'billing reader',
        permissions: ['tasks:read', 'tasks:list'],
        namespaces: ['billing'],
        expires_at: expiresAt,
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(Object.keys(created.json).sort()).toEqual(['api_key', 'key']);
    const { key, api_key: apiKey } = created.json;
    expect(key).toMatch(/^tsk_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toEqual({
      key_uuid: expect.any(String),
      description: 'billing reader',
      permissions: ['tasks:read', 'tasks:list'],
      namespaces: ['billing'],
      created_at: expect.any(String),
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
    });

    // The new key authenticates at once, within its grants and namespaces.
    const listed = await call('GET', '/v1/tasks', { key });
    expect(listed.status, listed.text).toBe(200);
    const denied = await call('GET', '/v1/auth/keys', { key });
    expect([denied.status, denied.json.error.message]).toEqual([403, 'Missing required permission: auth:manage_keys']);

    const list = await call('GET', '/v1/auth/keys');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(key);
    expect(list.text).not.toContain(key.slice(4));
    const mine = list.json.api_keys.find((k: { key_uuid: string }) => k.key_uuid === apiKey.key_uuid);
    expect(Object.keys(mine).sort()).toEqual(Object.keys(apiKey).sort());
    expect(mine).toMatchObject({ description: 'billing reader', revoked_at: null });
    expect(list.json.api_keys.map((k: { description: string }) => k.description)).toContain('rest admin');

    const revoked = await call('DELETE', `/v1/auth/keys/${apiKey.key_uuid}`);
    expect(revoked.status, revoked.text).toBe(200);
    expect(Object.keys(revoked.json)).toEqual(['api_key']);
    expect(revoked.text).not.toContain(key);
    expect(revoked.json.api_key.revoked_at).toEqual(expect.any(String));

    const refused = await call('GET', '/v1/tasks', { key });
    expect([refused.status, refused.json.error.code, refused.json.error.details]).toEqual([
      401,
      'UNAUTHENTICATED',
      { reason: 'revoked' },
    ]);

    // Revoking again changes nothing.
    const again = await call('DELETE', `/v1/auth/keys/${apiKey.key_uuid}`);
    expect(again.json.api_key.revoked_at).toBe(revoked.json.api_key.revoked_at);
  });

  it('reads absent namespaces as every namespace and [] as none', async () => {
    const all = await call('POST', '/v1/auth/keys', { body: { description: 'all', permissions: ['tasks:read'] } });
    expect(all.json.api_key).toMatchObject({ namespaces: null, expires_at: null });
    const none = await call('POST', '/v1/auth/keys', {
      body: { description: 'none', permissions: ['tasks:read'], namespaces: [] },
    });
    expect(none.json.api_key.namespaces).toEqual([]);
  });
});

describe('a key manager cannot issue more than it holds', () => {
  it('refuses grants it does not hold, naming them', async () => {
    const manager = await issue({
      description: 'manager',
      permissions: ['auth:manage_keys', 'tasks:read', 'dlq:read'],
    });
    const res = await call('POST', '/v1/auth/keys', {
      key: manager.key,
      body: { description: 'x', permissions: ['tasks:read', 'tasks:*', 'worker:claim'] },
    });
    expect(res.status).toBe(403);
    expect(res.json.error).toEqual({
      code: 'PERMISSION_DENIED',
      message: 'Cannot grant permissions you do not hold: tasks:*, worker:claim',
      details: { permission: 'tasks:*', permissions: ['tasks:*', 'worker:claim'] },
    });
    // What it holds it may hand on.
    await issue({ description: 'delegated', permissions: ['tasks:read', 'dlq:read'] }, manager.key);
  });

  it('keeps a scoped manager within its namespaces, in what it issues, lists and revokes', async () => {
    const scoped = await issue({
      description: 'billing manager',
      permissions: ['auth:manage_keys', 'tasks:*'],
      namespaces: ['billing'],
    });
    const wider = await call('POST', '/v1/auth/keys', {
      key: scoped.key,
      body: { description: 'x', permissions: ['tasks:read'] },
    });
    expect([wider.status, wider.json.error.message, wider.json.error.details]).toEqual([
      403,
      'Cannot issue a key for every namespace',
      { namespaces: ['*'] },
    ]);
    const other = await call('POST', '/v1/auth/keys', {
      key: scoped.key,
      body: { description: 'x', permissions: ['tasks:read'], namespaces: ['billing', 'hr'] },
    });
    expect([other.status, other.json.error.details]).toEqual([403, { namespaces: ['hr'] }]);

    const inScope = await issue(
      { description: 'billing reader 2', permissions: ['tasks:read'], namespaces: ['billing'] },
      scoped.key,
    );
    const outOfScope = await issue({ description: 'hr reader', permissions: ['tasks:read'], namespaces: ['hr'] });
    const list = await call('GET', '/v1/auth/keys', { key: scoped.key });
    const uuids = list.json.api_keys.map((k: { key_uuid: string }) => k.key_uuid);
    expect(uuids).toContain(inScope.uuid);
    expect(uuids).toContain(scoped.uuid);
    expect(uuids).not.toContain(outOfScope.uuid);
    expect(
      list.json.api_keys.every((k: { namespaces: string[] | null }) => k.namespaces?.every((ns) => ns === 'billing')),
    ).toBe(true);

    const hidden = await call('DELETE', `/v1/auth/keys/${outOfScope.uuid}`, { key: scoped.key });
    expect([hidden.status, hidden.json.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await call('DELETE', `/v1/auth/keys/${inScope.uuid}`, { key: scoped.key })).status).toBe(200);
  });
});

describe('bad requests', () => {
  it('names unknown fields, unknown permissions, a past or malformed expiry and a missing description', async () => {
    const unknownField = await call('POST', '/v1/auth/keys', {
      body: { description: 'd', permissions: [], key: 'my-own-key' },
    });
    expect([unknownField.status, fieldsOf(unknownField.json)]).toEqual([400, ['body.key']]);
    const unknownGrant = await call('POST', '/v1/auth/keys', {
      body: { description: 'd', permissions: ['tasks:read', 'root:*'] },
    });
    expect([unknownGrant.status, unknownGrant.json.error.code, fieldsOf(unknownGrant.json)]).toEqual([
      400,
      'VALIDATION_FAILED',
      ['permissions[1]'],
    ]);
    const past = await call('POST', '/v1/auth/keys', {
      body: { description: 'd', permissions: [], expires_at: '2020-01-01T00:00:00Z' },
    });
    expect([past.status, fieldsOf(past.json)]).toEqual([400, ['expires_at']]);
    const malformed = await call('POST', '/v1/auth/keys', {
      body: { description: 'd', permissions: [], expires_at: 'tomorrow' },
    });
    expect([malformed.status, fieldsOf(malformed.json)]).toEqual([400, ['body.expires_at']]);
    const blank = await call('POST', '/v1/auth/keys', { body: { description: '   ', permissions: [] } });
    expect([blank.status, fieldsOf(blank.json)]).toEqual([400, ['description']]);
  });

  it('refuses a malformed key uuid, an unknown key, and callers without credentials or the permission', async () => {
    expect((await call('DELETE', '/v1/auth/keys/not-a-uuid')).status).toBe(400);
    const unknown = await call('DELETE', `/v1/auth/keys/${MISSING}`);
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'NOT_FOUND']);
    const anonymous = await app.inject({ method: 'GET', url: '/v1/auth/keys' });
    expect(anonymous.statusCode).toBe(401);
    const reader = await issue({ description: 'reader', permissions: ['tasks:read'] });
    const res = await call('POST', '/v1/auth/keys', { key: reader.key, body: { description: 'x', permissions: [] } });
    expect([res.status, res.json.error.details]).toEqual([403, { permission: 'auth:manage_keys' }]);
  });
});

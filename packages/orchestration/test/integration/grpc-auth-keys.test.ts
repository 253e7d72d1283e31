// tasker.v1.AuthService over a real runtime with auth on and the real authenticator: the same semantics as
// REST /v1/auth/keys (rest-auth-keys.test.ts), with the namespace scope as a wrapper message.
import { Status } from 'nice-grpc';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_GRANTS } from '../../src/auth/api-keys.js';
import { createApiKey } from '../../src/services/api-keys.js';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { findApiKeyByDigest } from '../../src/repositories/api-keys.js';
import { grpcErrorOf, useGrpcRuntime } from './helpers/grpc-client.js';
import { authClientOf } from './parity/scenarios/auth.js';

const MISSING = '0190a4f0-5a1b-7c3d-8e4f-00000000beef';

const h = useGrpcRuntime({
  config: { auth: { enabled: true, api_keys: { enabled: true } } },
  // No lookup cache: a revocation must be visible to the very next call.
  server: (runtime) => ({
    authenticate: createAuthenticator(runtime.config.auth, {
      apiKeys: { findByDigest: (d) => findApiKeyByDigest(runtime.sql, d) },
      apiKeyCacheMs: 0,
    }),
  }),
});

let adminKey: string;

beforeAll(async () => {
  adminKey = (
    await createApiKey(h.runtime.sql, {
      description: 'grpc admin',
      permissions: [...ADMIN_GRANTS],
      namespaces: null,
      expiresAt: null,
    })
  ).key;
});

const auth = (key = adminKey) => authClientOf(h.clients.channel, { 'x-api-key': key });

describe('issuing, using, listing and revoking a key', () => {
  it('goes end to end, and the plain key appears only in the creation response', async () => {
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    const created = await auth().createApiKey({
      description: 'billing reader',
      permissions: ['tasks:read', 'tasks:list'],
      namespaces: { namespaces: ['billing'] },
      expiresAt,
    });
    expect(created.key).toMatch(/^tsk_[A-Za-z0-9_-]{43}$/);
    expect(created.apiKey).toEqual({
      keyUuid: expect.any(String),
      description: 'billing reader',
      permissions: ['tasks:read', 'tasks:list'],
      namespaces: { namespaces: ['billing'] },
      createdAt: expect.any(Date),
      expiresAt,
      revokedAt: undefined,
      lastUsedAt: undefined,
    });
    const keyUuid = created.apiKey?.keyUuid ?? '';

    const withKey = h.connect({ metadata: { 'x-api-key': created.key } });
    expect((await withKey.tasks.listTasks({})).tasks).toEqual([]);
    const denied = await grpcErrorOf(auth(created.key).listApiKeys({}));
    expect([denied.status, denied.message]).toEqual([
      Status.PERMISSION_DENIED,
      'Missing required permission: auth:manage_keys',
    ]);

    const list = await auth().listApiKeys({});
    expect(JSON.stringify(list)).not.toContain(created.key.slice(4));
    expect(list.apiKeys.find((k) => k.keyUuid === keyUuid)).toMatchObject({
      description: 'billing reader',
      revokedAt: undefined,
    });
    expect(list.apiKeys.map((k) => k.description)).toContain('grpc admin');

    const revoked = await auth().revokeApiKey({ keyUuid });
    expect(revoked.apiKey?.revokedAt).toBeInstanceOf(Date);
    expect(JSON.stringify(revoked)).not.toContain(created.key.slice(4));

    const refused = await grpcErrorOf(withKey.tasks.listTasks({}));
    expect([refused.status, refused.code, refused.details]).toEqual([
      Status.UNAUTHENTICATED,
      'UNAUTHENTICATED',
      { reason: 'revoked' },
    ]);
    expect((await auth().revokeApiKey({ keyUuid })).apiKey?.revokedAt).toEqual(revoked.apiKey?.revokedAt);
  });

  it('tells "every namespace" (absent scope) from "none" (empty scope)', async () => {
    const all = await auth().createApiKey({
      description: 'all',
      permissions: ['tasks:read'],
      namespaces: undefined,
      expiresAt: undefined,
    });
    expect(all.apiKey).toMatchObject({ namespaces: undefined, expiresAt: undefined });
    const none = await auth().createApiKey({
      description: 'none',
      permissions: ['tasks:read'],
      namespaces: { namespaces: [] },
      expiresAt: undefined,
    });
    expect(none.apiKey?.namespaces).toEqual({ namespaces: [] });
  });
});

describe('a key manager cannot issue more than it holds', () => {
  const issue = async (as: string, req: { permissions: string[]; namespaces?: string[] }) => {
    const res = await auth(as).createApiKey({
      description: `issued ${req.permissions.join(' ')}`,
      permissions: req.permissions,
      namespaces: req.namespaces === undefined ? undefined : { namespaces: req.namespaces },
      expiresAt: undefined,
    });
    return { key: res.key, uuid: res.apiKey?.keyUuid ?? '' };
  };

  it('refuses grants it does not hold, naming them', async () => {
    const manager = await issue(adminKey, { permissions: ['auth:manage_keys', 'tasks:read', 'dlq:read'] });
    const err = await grpcErrorOf(issue(manager.key, { permissions: ['tasks:read', 'tasks:*', 'worker:claim'] }));
    expect([err.status, err.code, err.message, err.details]).toEqual([
      Status.PERMISSION_DENIED,
      'PERMISSION_DENIED',
      'Cannot grant permissions you do not hold: tasks:*, worker:claim',
      { permission: 'tasks:*', permissions: ['tasks:*', 'worker:claim'] },
    ]);
    await issue(manager.key, { permissions: ['tasks:read', 'dlq:read'] });
  });

  it('keeps a scoped manager within its namespaces, in what it issues, lists and revokes', async () => {
    const scoped = await issue(adminKey, { permissions: ['auth:manage_keys', 'tasks:*'], namespaces: ['billing'] });
    const wider = await grpcErrorOf(issue(scoped.key, { permissions: ['tasks:read'] }));
    expect([wider.code, wider.details]).toEqual(['PERMISSION_DENIED', { namespaces: ['*'] }]);
    const other = await grpcErrorOf(issue(scoped.key, { permissions: ['tasks:read'], namespaces: ['billing', 'hr'] }));
    expect([other.code, other.details]).toEqual(['PERMISSION_DENIED', { namespaces: ['hr'] }]);

    const inScope = await issue(scoped.key, { permissions: ['tasks:read'], namespaces: ['billing'] });
    const outOfScope = await issue(adminKey, { permissions: ['tasks:read'], namespaces: ['hr'] });
    const uuids = (await auth(scoped.key).listApiKeys({})).apiKeys.map((k) => k.keyUuid);
    expect(uuids).toEqual(expect.arrayContaining([inScope.uuid, scoped.uuid]));
    expect(uuids).not.toContain(outOfScope.uuid);
    expect((await grpcErrorOf(auth(scoped.key).revokeApiKey({ keyUuid: outOfScope.uuid }))).code).toBe('NOT_FOUND');
    expect((await auth(scoped.key).revokeApiKey({ keyUuid: inScope.uuid })).apiKey?.revokedAt).toBeInstanceOf(Date);
  });
});

describe('bad requests', () => {
  it('names unknown permissions, a past expiry, a missing description and a malformed key uuid', async () => {
    const unknownGrant = await grpcErrorOf(
      auth().createApiKey({
        description: 'd',
        permissions: ['tasks:read', 'root:*'],
        namespaces: undefined,
        expiresAt: undefined,
      }),
    );
    expect([unknownGrant.status, unknownGrant.code, unknownGrant.details]).toEqual([
      Status.INVALID_ARGUMENT,
      'VALIDATION_FAILED',
      { fields: [{ path: 'permissions[1]', message: 'unknown permission root:*' }] },
    ]);
    const past = await grpcErrorOf(
      auth().createApiKey({
        description: 'd',
        permissions: [],
        namespaces: undefined,
        expiresAt: new Date('2020-01-01T00:00:00Z'),
      }),
    );
    expect(past.details).toEqual({ fields: [{ path: 'expires_at', message: 'must lie in the future' }] });
    const blank = await grpcErrorOf(
      auth().createApiKey({ description: '', permissions: [], namespaces: { namespaces: [''] }, expiresAt: undefined }),
    );
    expect((blank.details?.['fields'] as Array<{ path: string }>).map((f) => f.path)).toEqual([
      'description',
      'namespaces[0]',
    ]);
    expect((await grpcErrorOf(auth().revokeApiKey({ keyUuid: 'not-a-uuid' }))).code).toBe('VALIDATION_FAILED');
  });

  it('refuses an unknown key, and callers without credentials or the permission', async () => {
    expect((await grpcErrorOf(auth().revokeApiKey({ keyUuid: MISSING }))).code).toBe('NOT_FOUND');
    expect((await grpcErrorOf(authClientOf(h.clients.channel).listApiKeys({}))).code).toBe('UNAUTHENTICATED');
    const reader = await auth().createApiKey({
      description: 'reader',
      permissions: ['tasks:read'],
      namespaces: undefined,
      expiresAt: undefined,
    });
    const err = await grpcErrorOf(
      auth(reader.key).createApiKey({ description: 'x', permissions: [], namespaces: undefined, expiresAt: undefined }),
    );
    expect([err.code, err.details]).toEqual(['PERMISSION_DENIED', { permission: 'auth:manage_keys' }]);
  });
});

// The auth middleware with the real authenticator (JWT HS256 and API keys from config): credentials from
// metadata, UNAUTHENTICATED vs PERMISSION_DENIED, the permission of the one table, public health.
import { createSecretKey } from 'node:crypto';
import { Status } from 'nice-grpc';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { mintToken } from '../../src/auth/test-tokens.js';
import { listServicesThroughReflection } from '../../src/grpc/testing/reflection-client.js';
import { grpcErrorOf, useGrpcRuntime } from './helpers/grpc-client.js';

const SECRET = 'grpc-auth-test-secret-0123456789abcdef';
const API_KEY = 'grpc-test-api-key-0123456789';
const MISSING = '0190a4f0-5a1b-7c3d-8e4f-00000000beef';

const h = useGrpcRuntime({
  config: {
    // Outside development reflection, when turned on, needs a credential like any other RPC.
    grpc: { reflection: { enabled: true, public: false } },
    auth: {
      enabled: true,
      jwt: { hs256_secret: SECRET, algorithms: ['HS256'] },
      api_keys: {
        enabled: true,
        keys: [{ key: API_KEY, permissions: ['tasks:read', 'steps:*'], description: 'reader key' }],
      },
    },
  },
  server: (runtime) => ({ authenticate: createAuthenticator(runtime.config.auth) }),
});

async function token(permissions: string[], secret = SECRET): Promise<string> {
  const { issuer, audience } = h.config.auth.jwt;
  return mintToken('HS256', createSecretKey(Buffer.from(secret, 'utf8')), {
    issuer,
    audience,
    subject: 'grpc-test',
    permissions,
  });
}

describe('authentication', () => {
  it('refuses missing, malformed and forged credentials with UNAUTHENTICATED', async () => {
    expect((await grpcErrorOf(h.clients.tasks.getTask({ taskUuid: MISSING }))).code).toBe('UNAUTHENTICATED');
    const basic = h.connect({ metadata: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect((await grpcErrorOf(basic.tasks.getTask({ taskUuid: MISSING }))).code).toBe('UNAUTHENTICATED');
    const forged = h.connect({
      metadata: { authorization: `Bearer ${await token(['tasks:read'], 'another-secret-0123456789abcdef0123')}` },
    });
    const err = await grpcErrorOf(forged.tasks.getTask({ taskUuid: MISSING }));
    expect([err.status, err.code]).toEqual([Status.UNAUTHENTICATED, 'UNAUTHENTICATED']);
    const unknownKey = h.connect({ metadata: { 'x-api-key': 'not-a-key-we-know-about' } });
    expect((await grpcErrorOf(unknownKey.tasks.getTask({ taskUuid: MISSING }))).code).toBe('UNAUTHENTICATED');
  });

  it('lets a valid token through to the service, and refuses a missing permission by name', async () => {
    const reader = h.connect({ metadata: { authorization: `Bearer ${await token(['tasks:read'])}` } });
    // NOT_FOUND comes from the service: authentication and the permission check passed.
    expect((await grpcErrorOf(reader.tasks.getTask({ taskUuid: MISSING }))).code).toBe('NOT_FOUND');
    const denied = await grpcErrorOf(reader.tasks.listTasks({}));
    expect([denied.status, denied.code, denied.message]).toEqual([
      Status.PERMISSION_DENIED,
      'PERMISSION_DENIED',
      'Missing required permission: tasks:list',
    ]);
    const worker = h.connect({ metadata: { authorization: `Bearer ${await token(['worker:*'])}` } });
    expect((await worker.workers.claimSteps({ workerId: 'w', maxSteps: 1, waitMs: 0 })).steps).toEqual([]);
    expect((await grpcErrorOf(worker.tasks.getTask({ taskUuid: MISSING }))).code).toBe('PERMISSION_DENIED');
  });

  it('accepts a configured API key with its wildcard grants', async () => {
    const keyed = h.connect({ metadata: { 'x-api-key': API_KEY } });
    expect((await grpcErrorOf(keyed.steps.listSteps({ taskUuid: MISSING }))).code).toBe('NOT_FOUND');
    expect((await grpcErrorOf(keyed.config.getConfig({}))).code).toBe('PERMISSION_DENIED');
  });

  it('asks reflection for a valid credential (any permission) unless grpc.reflection.public', async () => {
    await expect(listServicesThroughReflection(h.address)).rejects.toMatchObject({ code: Status.UNAUTHENTICATED });
    await expect(
      listServicesThroughReflection(h.address, { 'x-api-key': 'not-a-key-we-know-about' }),
    ).rejects.toMatchObject({
      code: Status.UNAUTHENTICATED,
    });
    expect(await listServicesThroughReflection(h.address, { 'x-api-key': API_KEY })).toContain('tasker.v1.TaskService');
    expect(await listServicesThroughReflection(h.address, { authorization: `Bearer ${await token([])}` })).toContain(
      'grpc.health.v1.Health',
    );
  });

  it('keeps health public', async () => {
    expect((await h.clients.health.checkReadiness({})).status).toBe('ready');
    expect((await h.clients.grpcHealth.check({ service: 'tasker.v1.TaskService' })).status).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { AppError } from '@tasker/shared/errors';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import type { Authenticate, Credentials } from './authenticate.js';
import { PUBLIC_PRINCIPAL, authorize, type AccessRequirement } from './authorize.js';

const reader: Principal = {
  subject: 'reader',
  kind: 'api_key',
  permissions: ['tasks:read', 'steps:*'],
  namespaces: null,
};
const withKey: Credentials = { authorization: undefined, apiKey: 'key' };
const anonymous: Credentials = { authorization: undefined, apiKey: undefined };

/** Knows one API key; records what it was asked. */
function authenticator(seen: Credentials[] = []): Authenticate {
  return async (credentials) => {
    seen.push(credentials);
    if (credentials.apiKey === 'key') return reader;
    throw new AppError('UNAUTHENTICATED', 'missing credentials', { details: { reason: 'missing' } });
  };
}

const decide = (
  requirement: AccessRequirement | undefined,
  credentials: Credentials,
  authenticate: Authenticate = authenticator(),
) => authorize({ enabled: true, authenticate }, { requirement, target: '/svc/Method', credentials });

describe('authorize', () => {
  it('allows a credential holding the permission, directly or through a wildcard', async () => {
    expect(await decide('tasks:read', withKey)).toEqual({ outcome: 'allowed', principal: reader });
    expect(await decide('steps:resolve', withKey)).toEqual({ outcome: 'allowed', principal: reader });
  });

  it('forbids a valid credential without the permission, with the message both transports send', async () => {
    const decision = await decide('tasks:list', withKey);
    expect(decision.outcome).toBe('forbidden');
    if (decision.outcome === 'allowed') throw new Error('unreachable');
    expect([decision.error.code, decision.error.message, decision.error.details]).toEqual([
      'PERMISSION_DENIED',
      'Missing required permission: tasks:list',
      { permission: 'tasks:list' },
    ]);
  });

  it("hands the authenticator's refusal back as the unauthenticated decision", async () => {
    const decision = await decide('tasks:read', anonymous);
    expect(decision).toMatchObject({
      outcome: 'unauthenticated',
      error: { code: 'UNAUTHENTICATED', message: 'missing credentials', details: { reason: 'missing' } },
    });
  });

  it('is unauthenticated without an authenticator, except for public targets', async () => {
    const policy = { enabled: true };
    expect(await authorize(policy, { requirement: 'tasks:read', target: 't', credentials: withKey })).toMatchObject({
      outcome: 'unauthenticated',
      error: {
        code: 'UNAUTHENTICATED',
        message: 'Authentication is enabled but this server has no authenticator configured',
      },
    });
    expect(await authorize(policy, { requirement: 'public', target: 't', credentials: anonymous })).toEqual({
      outcome: 'allowed',
      principal: PUBLIC_PRINCIPAL,
    });
  });

  it('asks for no credential on public targets, and for any valid one on `authenticated` targets', async () => {
    const seen: Credentials[] = [];
    expect(await decide('public', withKey, authenticator(seen))).toEqual({
      outcome: 'allowed',
      principal: PUBLIC_PRINCIPAL,
    });
    expect(seen).toEqual([]);
    expect(await decide('authenticated', withKey, authenticator(seen))).toEqual({
      outcome: 'allowed',
      principal: reader,
    });
    expect(await decide('authenticated', anonymous, authenticator(seen))).toMatchObject({ outcome: 'unauthenticated' });
    expect(seen).toEqual([withKey, anonymous]);
  });

  it('forbids a target missing from its table, even with auth disabled', async () => {
    for (const enabled of [true, false]) {
      const decision = await authorize(
        { enabled },
        { requirement: undefined, target: '/svc/Unknown', credentials: withKey },
      );
      expect(decision).toMatchObject({
        outcome: 'forbidden',
        error: { code: 'PERMISSION_DENIED', message: 'no permission is defined for /svc/Unknown' },
      });
    }
  });

  it('allows everything as the all-permissions principal when auth is disabled, without authenticating', async () => {
    const seen: Credentials[] = [];
    const decision = await authorize(
      { enabled: false, authenticate: authenticator(seen) },
      { requirement: 'auth:manage_keys', target: 't', credentials: anonymous },
    );
    expect(decision).toEqual({ outcome: 'allowed', principal: ALL_PERMISSIONS_PRINCIPAL });
    expect(seen).toEqual([]);
  });

  it('lets other authenticator failures (a database outage) through as they are', async () => {
    const outage = new AppError('UNAVAILABLE', 'database unavailable');
    await expect(decide('tasks:read', withKey, async () => Promise.reject(outage))).rejects.toBe(outage);
  });
});

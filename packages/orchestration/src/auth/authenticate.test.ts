import { generateKeyPairSync, createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredApiKey } from '@tasker/shared';
import { loadConfig, type Config } from '@tasker/shared/config';
import { isAppError } from '@tasker/shared/errors';
import { createAuthenticator, sha256, type ApiKeyLookup } from './authenticate.js';
import { mintToken } from './test-tokens.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const base = loadConfig({ env: { TASKER_ENV: 'test' } });

function authConfig(patch: {
  jwt?: Partial<Config['auth']['jwt']>;
  api_keys?: Partial<Config['auth']['api_keys']>;
  strict?: boolean;
}): Config['auth'] {
  return {
    ...base.auth,
    enabled: true,
    strict_validation: patch.strict ?? true,
    jwt: {
      ...base.auth.jwt,
      hs256_secret: null,
      public_key_pem: null,
      public_key_path: null,
      jwks_url: null,
      ...patch.jwt,
    },
    api_keys: { ...base.auth.api_keys, ...patch.api_keys },
  } as Config['auth'];
}

const claims = { issuer: base.auth.jwt.issuer, audience: base.auth.jwt.audience, subject: 'alice' };
const hsKey = createSecretKey(Buffer.from(SECRET));

async function failure(promise: Promise<unknown>): Promise<{ code: string; reason: unknown }> {
  try {
    await promise;
  } catch (err) {
    if (isAppError(err)) return { code: err.code, reason: err.details?.reason };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('JWT', () => {
  const authenticate = createAuthenticator(authConfig({ jwt: { hs256_secret: SECRET } }));

  it('accepts a valid HS256 token and returns its permissions and namespaces', async () => {
    const token = await mintToken('HS256', hsKey, {
      ...claims,
      permissions: ['tasks:read', 'steps:*'],
      namespaces: ['billing'],
    });
    const principal = await authenticate({ authorization: `Bearer ${token}` });
    expect(principal).toMatchObject({
      subject: 'alice',
      kind: 'jwt',
      permissions: ['tasks:read', 'steps:*'],
      namespaces: ['billing'],
    });
  });

  it('accepts the lowercase bearer scheme and defaults namespaces to all', async () => {
    const token = await mintToken('HS256', hsKey, { ...claims, permissions: [] });
    expect((await authenticate({ authorization: `bearer ${token}` })).namespaces).toBeNull();
  });

  it.each([
    ['expired', { expiresInSeconds: -120 }, 'expired'],
    ['not yet valid', { notBeforeSeconds: 600 }, 'invalid'],
    ['wrong issuer', { issuer: 'someone-else' }, 'invalid'],
    ['wrong audience', { audience: 'other-api' }, 'invalid'],
    ['unknown permission (strict)', { permissions: ['tasks:read', 'root:everything'] }, 'invalid'],
  ])('rejects a token: %s', async (_name, override, reason) => {
    const token = await mintToken('HS256', hsKey, { ...claims, ...override });
    expect(await failure(authenticate({ authorization: `Bearer ${token}` }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason,
    });
  });

  it('rejects a bad signature', async () => {
    const token = await mintToken('HS256', createSecretKey(Buffer.from('x'.repeat(48))), claims);
    expect(await failure(authenticate({ authorization: `Bearer ${token}` }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'invalid',
    });
  });

  it('rejects alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({
        iss: claims.issuer,
        aud: claims.audience,
        sub: 'mallory',
        exp: Math.floor(Date.now() / 1000) + 600,
        permissions: ['tasks:create'],
      }),
    ).toString('base64url');
    const result = await failure(authenticate({ authorization: `Bearer ${header}.${payload}.` }));
    expect(result.code).toBe('UNAUTHENTICATED');
  });

  it('rejects malformed credentials and missing ones', async () => {
    expect(await failure(authenticate({ authorization: 'Bearer not-a-jwt' }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'malformed',
    });
    expect(await failure(authenticate({ authorization: 'Basic abc' }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'malformed',
    });
    expect(await failure(authenticate({}))).toEqual({ code: 'UNAUTHENTICATED', reason: 'missing' });
  });

  it('caches a verified token until it expires', async () => {
    let now = Date.now();
    const clocked = createAuthenticator(authConfig({ jwt: { hs256_secret: SECRET, clock_tolerance_s: 0 } }), {
      now: () => now,
    });
    const token = await mintToken('HS256', hsKey, { ...claims, expiresInSeconds: 60, now });
    const first = await clocked({ authorization: `Bearer ${token}` });
    expect(await clocked({ authorization: `Bearer ${token}` })).toBe(first);
    now += 61_000;
    expect(await failure(clocked({ authorization: `Bearer ${token}` }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'expired',
    });
  });

  it.each([
    ['RS256', 'rsa', { modulusLength: 2048 }],
    ['ES256', 'ec', { namedCurve: 'P-256' }],
  ] as const)('verifies %s with a configured public key', async (alg, type, opts) => {
    const { publicKey, privateKey } = generateKeyPairSync(type as 'rsa', opts as { modulusLength: number });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const auth = createAuthenticator(authConfig({ jwt: { public_key_pem: pem } }));
    const token = await mintToken(alg, privateKey, { ...claims, permissions: ['tasks:list'] });
    expect((await auth({ authorization: `Bearer ${token}` })).permissions).toEqual(['tasks:list']);
    // An HS256 token "signed" with the public key text must not pass (algorithm confusion).
    const confused = await mintToken('HS256', createSecretKey(Buffer.from(pem)), claims);
    expect((await failure(auth({ authorization: `Bearer ${confused}` }))).code).toBe('UNAUTHENTICATED');
  });

  it('refuses algorithms outside the allow-list', async () => {
    const auth = createAuthenticator(authConfig({ jwt: { hs256_secret: SECRET, algorithms: ['RS256'] } }));
    const token = await mintToken('HS256', hsKey, claims);
    expect(await failure(auth({ authorization: `Bearer ${token}` }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'invalid',
    });
  });
});

describe('API keys', () => {
  const configured = 'configured-key-0123456789abcdef';
  const stored = 'stored-key-0123456789abcdef';
  const revoked = 'revoked-key-0123456789abcdef';
  const rows = new Map<string, StoredApiKey>([
    [
      sha256(stored).toString('hex'),
      {
        digest: sha256(stored),
        description: 'ops',
        permissions: ['dlq:*'],
        namespaces: ['billing'],
        revokedAt: null,
        expiresAt: null,
      },
    ],
    [
      sha256(revoked).toString('hex'),
      {
        digest: sha256(revoked),
        description: 'old',
        permissions: ['dlq:*'],
        namespaces: null,
        revokedAt: new Date(),
        expiresAt: null,
      },
    ],
  ]);
  const lookup: ApiKeyLookup = { findByDigest: async (d) => rows.get(d.toString('hex')) };
  const authenticate = createAuthenticator(
    authConfig({
      api_keys: {
        keys: [
          { key: configured, permissions: ['tasks:*'], description: 'ci' },
          {
            key_sha256: sha256('hashed-key-0123456789abcdef').toString('hex'),
            permissions: ['tasks:read'],
            description: 'hashed',
          },
        ],
      },
    }),
    { apiKeys: lookup },
  );

  it('accepts configured keys by plain value or digest', async () => {
    expect(await authenticate({ apiKey: configured })).toMatchObject({
      subject: 'ci',
      kind: 'api_key',
      permissions: ['tasks:*'],
    });
    expect(await authenticate({ apiKey: 'hashed-key-0123456789abcdef' })).toMatchObject({ subject: 'hashed' });
  });

  it('accepts stored keys with their namespace scope, refuses revoked and unknown ones', async () => {
    expect(await authenticate({ apiKey: stored })).toMatchObject({ subject: 'ops', namespaces: ['billing'] });
    expect(await failure(authenticate({ apiKey: revoked }))).toEqual({ code: 'UNAUTHENTICATED', reason: 'revoked' });
    expect(await failure(authenticate({ apiKey: 'nope-0123456789abcdef' }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'invalid',
    });
  });

  it('prefers the bearer token when both are presented', async () => {
    expect(await failure(authenticate({ authorization: 'Bearer x.y.z', apiKey: configured }))).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('refuses keys when API keys are disabled', async () => {
    const off = createAuthenticator(
      authConfig({ api_keys: { enabled: false, keys: [{ key: configured, permissions: [], description: 'x' }] } }),
    );
    expect((await failure(off({ apiKey: configured }))).code).toBe('UNAUTHENTICATED');
  });
});

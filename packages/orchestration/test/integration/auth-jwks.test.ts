// JWKS rotation against a real local JWKS server: keys rotate mid-test, the authenticator follows on an unknown
// kid, drops the retired key, and keeps working on its last good set when the server goes away.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '@tasker/shared/config';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { mintToken } from '../../src/auth/test-tokens.js';

const base = loadConfig({ env: { TASKER_ENV: 'test' } });
let served: JWK[] = [];
let requests = 0;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});

afterAll(async () => {
  if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

describe('JWKS', () => {
  it('follows a key rotation and falls back to the last good set when the endpoint is down', async () => {
    const a = await keyPair('key-a');
    const b = await keyPair('key-b');
    served = [a.jwk];
    const auth: Config['auth'] = {
      ...base.auth,
      enabled: true,
      jwt: { ...base.auth.jwt, jwks_url: url, hs256_secret: null, algorithms: ['RS256'] },
    };
    let now = Date.now();
    const authenticate = createAuthenticator(auth, { now: () => now });
    const claims = {
      issuer: auth.jwt.issuer,
      audience: auth.jwt.audience,
      subject: 'svc',
      permissions: ['tasks:read'],
    };

    const tokenA = await mintToken('RS256', a.privateKey, { ...claims, kid: 'key-a', now });
    expect((await authenticate({ authorization: `Bearer ${tokenA}` })).subject).toBe('svc');
    expect(requests).toBe(1);

    // Rotation: the provider now publishes only key B. A token with the new kid triggers one refresh.
    served = [b.jwk];
    now += 11_000; // past the unknown-kid cooldown
    const tokenB = await mintToken('RS256', b.privateKey, { ...claims, subject: 'svc-b', kid: 'key-b', now });
    expect((await authenticate({ authorization: `Bearer ${tokenB}` })).subject).toBe('svc-b');
    expect(requests).toBe(2);

    // A fresh token signed with the retired key no longer verifies.
    const lateA = await mintToken('RS256', a.privateKey, { ...claims, subject: 'late', kid: 'key-a', now });
    await expect(authenticate({ authorization: `Bearer ${lateA}` })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    // Endpoint gone and the cache past its max age: the last good set (key B) still verifies.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    now += auth.jwt.jwks_cache_max_age_s * 1000 + 1;
    const tokenB2 = await mintToken('RS256', b.privateKey, { ...claims, subject: 'svc-b2', kid: 'key-b', now });
    expect((await authenticate({ authorization: `Bearer ${tokenB2}` })).subject).toBe('svc-b2');
  });
});

// A JWKS cache with the behaviour operators expect from an identity provider rotating keys: keys are reused for
// `maxAgeMs`; a token whose `kid` is unknown forces a refresh (at most once per `cooldownMs`, so a flood of forged
// kids cannot hammer the provider); when the provider is unreachable the last good key set keeps working
// (stale fallback) rather than locking every caller out.
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, type JWSHeaderParameters } from 'jose';
import { AppError } from '@tasker/shared/errors';

export type FetchJwks = (url: string) => Promise<JSONWebKeySet>;

export interface JwksCacheOptions {
  url: string;
  maxAgeMs: number;
  cooldownMs?: number;
  fetchJwks?: FetchJwks;
  now?: () => number;
}

async function defaultFetchJwks(url: string): Promise<JSONWebKeySet> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`JWKS fetch failed: HTTP ${response.status}`);
  const body = (await response.json()) as unknown;
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys)) {
    throw new Error('JWKS response has no keys array');
  }
  return body as JSONWebKeySet;
}

export interface JwksCache {
  getKey: JWTVerifyGetKey;
  /** Number of successful fetches so far (for tests and metrics). */
  fetchCount(): number;
}

export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const now = options.now ?? Date.now;
  const cooldownMs = options.cooldownMs ?? 10_000;
  const fetchJwks = options.fetchJwks ?? defaultFetchJwks;
  let keySet: JSONWebKeySet | undefined;
  let local: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let fetches = 0;

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      lastAttemptAt = now();
      try {
        keySet = await fetchJwks(options.url);
        local = createLocalJWKSet(keySet);
        fetchedAt = now();
        fetches += 1;
      } catch (err) {
        // Stale fallback: keep the previous set. Only with no set at all is this fatal for the caller.
        if (!local) throw new AppError('UNAVAILABLE', 'JWKS endpoint unreachable and no cached keys', { cause: err });
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  function knowsKid(kid: string): boolean {
    return keySet?.keys.some((k) => k.kid === kid) ?? false;
  }

  return {
    async getKey(header: JWSHeaderParameters, token) {
      if (!header.kid) throw new AppError('UNAUTHENTICATED', 'token has no kid', { details: { reason: 'invalid' } });
      const expired = now() - fetchedAt >= options.maxAgeMs;
      const unknownKid = !knowsKid(header.kid);
      if (!local || expired || (unknownKid && now() - lastAttemptAt >= cooldownMs)) {
        await refresh();
      }
      if (!local) throw new AppError('UNAVAILABLE', 'no JWKS keys available');
      return local(header, token);
    },
    fetchCount: () => fetches,
  };
}

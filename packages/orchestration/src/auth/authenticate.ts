// One authenticate(credentials) → Principal for both transports (docs/security.md). The Fastify hook and the gRPC
// middleware only extract the two credential strings and call this. Verified tokens are cached until their `exp`
// (verification is ~70 µs; a cache hit is a Map lookup). API keys are compared as SHA-256 digests in constant time.
import { createHash, createPublicKey, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { StoredApiKey } from '@tasker/shared';
import type { Config } from '@tasker/shared/config';
import { AppError, isAppError } from '@tasker/shared/errors';
import { isValidGrant, type Principal } from '@tasker/shared/permissions';
import { createJwksCache, type FetchJwks } from './jwks.js';

/** What a transport extracted from the request: the raw `authorization` value and the API-key header value. */
export interface Credentials {
  authorization?: string | undefined;
  apiKey?: string | undefined;
}

export type Authenticate = (credentials: Credentials) => Promise<Principal>;

export interface ApiKeyLookup {
  findByDigest(digest: Buffer): Promise<StoredApiKey | undefined>;
  /** Best effort; failures are ignored. */
  touch?(digest: Buffer): Promise<void>;
}

export interface AuthenticatorOptions {
  apiKeys?: ApiKeyLookup;
  fetchJwks?: FetchJwks;
  now?: () => number;
  /** Upper bound of cached verified tokens. */
  tokenCacheSize?: number;
  /** How long a database API-key lookup is reused (revocation takes effect within this). */
  apiKeyCacheMs?: number;
}

export type AuthFailureReason = 'missing' | 'malformed' | 'expired' | 'invalid' | 'revoked';

export function authFailure(reason: AuthFailureReason, message: string): AppError {
  return new AppError('UNAUTHENTICATED', message, { details: { reason } });
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

type AuthConfig = Config['auth'];

function jwtKeySource(jwt: AuthConfig['jwt'], options: AuthenticatorOptions): KeyObject | JWTVerifyGetKey | null {
  if (jwt.hs256_secret !== null) return createSecretKey(Buffer.from(jwt.hs256_secret, 'utf8'));
  if (jwt.public_key_path !== null) return createPublicKey(readFileSync(jwt.public_key_path, 'utf8'));
  if (jwt.public_key_pem !== null) return createPublicKey(jwt.public_key_pem);
  if (jwt.jwks_url !== null) {
    return createJwksCache({
      url: jwt.jwks_url,
      maxAgeMs: jwt.jwks_cache_max_age_s * 1000,
      ...(options.fetchJwks ? { fetchJwks: options.fetchJwks } : {}),
      ...(options.now ? { now: options.now } : {}),
    }).getKey;
  }
  return null;
}

function stringList(value: unknown, claim: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw authFailure('invalid', `claim ${claim} must be an array of strings`);
  }
  return value as string[];
}

function checkGrants(permissions: readonly string[], strict: boolean): void {
  if (!strict) return;
  const unknown = permissions.filter((p) => !isValidGrant(p));
  if (unknown.length > 0) throw authFailure('invalid', `unknown permission(s): ${unknown.join(', ')}`);
}

function translateJoseError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (err instanceof joseErrors.JWTExpired) return authFailure('expired', 'token expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return authFailure('invalid', `token claim ${err.claim} rejected: ${err.reason}`);
  }
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) {
    return authFailure('malformed', 'malformed token');
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return authFailure('invalid', 'token algorithm not allowed');
  if (err instanceof joseErrors.JWKSNoMatchingKey) return authFailure('invalid', 'no key matches the token kid');
  return authFailure('invalid', 'token signature or key invalid');
}

export function createAuthenticator(auth: AuthConfig, options: AuthenticatorOptions = {}): Authenticate {
  const now = options.now ?? Date.now;
  const tokenCacheSize = options.tokenCacheSize ?? 10_000;
  const apiKeyCacheMs = options.apiKeyCacheMs ?? 5_000;
  const key = jwtKeySource(auth.jwt, options);
  const algorithms = auth.jwt.algorithms.filter((a) => (a as string) !== 'none');
  const tokenCache = new Map<string, { principal: Principal; expiresAtMs: number }>();
  const dbKeyCache = new Map<string, { key: StoredApiKey | undefined; cachedAtMs: number }>();
  const configKeys = auth.api_keys.keys.map((k) => ({
    digest: k.key_sha256 !== undefined ? Buffer.from(k.key_sha256, 'hex') : sha256(k.key ?? ''),
    principal: Object.freeze<Principal>({
      subject: k.description,
      kind: 'api_key',
      permissions: Object.freeze([...k.permissions]),
      namespaces: k.namespaces ? Object.freeze([...k.namespaces]) : null,
    }),
  }));

  async function verifyJwt(token: string): Promise<Principal> {
    const cached = tokenCache.get(token);
    if (cached && cached.expiresAtMs > now()) return cached.principal;
    if (cached) tokenCache.delete(token);
    if (token.split('.').length !== 3) throw authFailure('malformed', 'malformed token');
    if (!key) throw authFailure('invalid', 'JWT authentication is not configured');
    let payload: JWTPayload;
    try {
      const verifyOptions = {
        issuer: auth.jwt.issuer,
        audience: auth.jwt.audience,
        algorithms,
        clockTolerance: auth.jwt.clock_tolerance_s,
        requiredClaims: ['exp'],
        currentDate: new Date(now()),
      };
      ({ payload } =
        typeof key === 'function'
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, key, verifyOptions));
    } catch (err) {
      throw translateJoseError(err);
    }
    const permissions = stringList(payload[auth.jwt.permissions_claim], auth.jwt.permissions_claim);
    checkGrants(permissions, auth.strict_validation);
    const namespacesClaim = payload[auth.jwt.namespaces_claim];
    const principal = Object.freeze<Principal>({
      subject: payload.sub ?? 'unknown',
      kind: 'jwt',
      permissions: Object.freeze(permissions),
      namespaces:
        namespacesClaim === undefined ? null : Object.freeze(stringList(namespacesClaim, auth.jwt.namespaces_claim)),
    });
    if (tokenCache.size >= tokenCacheSize) {
      const oldest = tokenCache.keys().next().value;
      if (oldest !== undefined) tokenCache.delete(oldest);
    }
    tokenCache.set(token, { principal, expiresAtMs: (payload.exp ?? 0) * 1000 });
    return principal;
  }

  async function lookupStoredKey(digest: Buffer): Promise<StoredApiKey | undefined> {
    if (!options.apiKeys) return undefined;
    const cacheKey = digest.toString('hex');
    const cached = dbKeyCache.get(cacheKey);
    if (cached && now() - cached.cachedAtMs < apiKeyCacheMs) return cached.key;
    const stored = await options.apiKeys.findByDigest(digest);
    if (dbKeyCache.size >= tokenCacheSize) dbKeyCache.clear();
    dbKeyCache.set(cacheKey, { key: stored, cachedAtMs: now() });
    if (stored) void options.apiKeys.touch?.(digest).catch(() => undefined);
    return stored;
  }

  async function verifyApiKey(presented: string): Promise<Principal> {
    if (!auth.api_keys.enabled) throw authFailure('invalid', 'API keys are not accepted');
    const digest = sha256(presented);
    // Visit every configured key without an early exit so timing does not reveal which (if any) matched.
    let match: Principal | undefined;
    for (const candidate of configKeys) {
      if (timingSafeEqual(candidate.digest, digest) && !match) match = candidate.principal;
    }
    if (match) {
      checkGrants(match.permissions, auth.strict_validation);
      return match;
    }
    const stored = await lookupStoredKey(digest);
    if (!stored || !timingSafeEqual(stored.digest, digest)) throw authFailure('invalid', 'unknown API key');
    if (stored.revokedAt !== null) throw authFailure('revoked', 'API key revoked');
    if (stored.expiresAt !== null && stored.expiresAt.getTime() <= now())
      throw authFailure('expired', 'API key expired');
    checkGrants(stored.permissions, auth.strict_validation);
    return Object.freeze<Principal>({
      subject: stored.description,
      kind: 'api_key',
      permissions: Object.freeze([...stored.permissions]),
      namespaces: stored.namespaces ? Object.freeze([...stored.namespaces]) : null,
    });
  }

  return async (credentials) => {
    const authorization = credentials.authorization?.trim();
    if (authorization) {
      const match = /^bearer\s+(\S+)$/i.exec(authorization);
      if (!match?.[1]) throw authFailure('malformed', 'authorization must be "Bearer <token>"');
      return verifyJwt(match[1]);
    }
    const apiKey = credentials.apiKey?.trim();
    if (apiKey) return verifyApiKey(apiKey);
    throw authFailure('missing', 'credentials required: Authorization: Bearer <jwt> or an API key');
  };
}

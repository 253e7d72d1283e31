import { describe, expect, it } from 'vitest';
import type { CreateApiKeyInput } from '../../domain/auth.js';
import {
  ApiKeyListResponseSchema,
  ApiKeySchema,
  CreateApiKeyRequestSchema,
  CreatedApiKeyResponseSchema,
  RevokedApiKeyResponseSchema,
} from '../../schemas/rest/auth.js';
import { makeApiKey, makeCreateApiKeyInput, makeMinimalApiKey } from '../../testing/builders.js';
import {
  apiKeyFromRest,
  apiKeyListFromRest,
  apiKeyListToRest,
  apiKeyToRest,
  createApiKeyInputFromRest,
  createApiKeyInputToRest,
  createdApiKeyFromRest,
  createdApiKeyToRest,
  revokedApiKeyFromRest,
  revokedApiKeyToRest,
} from './auth.js';

const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

const fullKey = makeApiKey;
const minimalKey = makeMinimalApiKey;
const fullInput = makeCreateApiKeyInput();

describe('API keys ↔ REST', () => {
  it.each([
    ['full', fullInput],
    ['minimal', { description: 'x', permissions: [], namespaces: null, expiresAt: null }],
    ['scoped to no namespace', { ...fullInput, namespaces: [] }],
  ] satisfies Array<[string, CreateApiKeyInput]>)('round-trips a %s creation request', (_, input) => {
    expect(createApiKeyInputFromRest(CreateApiKeyRequestSchema.parse(wire(createApiKeyInputToRest(input))))).toEqual(
      input,
    );
  });

  it('reads absent namespaces and expiry as every namespace and never', () => {
    const body = CreateApiKeyRequestSchema.parse({ description: 'd', permissions: ['tasks:read'] });
    expect(createApiKeyInputFromRest(body)).toEqual({
      description: 'd',
      permissions: ['tasks:read'],
      namespaces: null,
      expiresAt: null,
    });
  });

  it('rejects unknown fields, empty descriptions and non-RFC 3339 expiries, naming each field', () => {
    const result = CreateApiKeyRequestSchema.safeParse({
      description: '',
      permissions: ['tasks:read'],
      expires_at: 'tomorrow',
      key: 'chosen-by-caller',
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => (i.path.length > 0 ? i.path.join('.') : i.message)) ?? [];
    expect(paths.some((p) => p.includes('key'))).toBe(true);
    expect(paths).toEqual(expect.arrayContaining(['description', 'expires_at']));
    expect(CreateApiKeyRequestSchema.safeParse({ description: 'd' }).success).toBe(false);
  });

  it.each([
    ['full', fullKey()],
    ['minimal', minimalKey()],
    ['scoped to no namespace', { ...fullKey(), namespaces: [] }],
  ])('round-trips a %s key, alone, in a list, created and revoked', (_, key) => {
    expect(apiKeyFromRest(ApiKeySchema.parse(wire(apiKeyToRest(key))))).toEqual(key);
    expect(apiKeyListFromRest(ApiKeyListResponseSchema.parse(wire(apiKeyListToRest([key, key]))))).toEqual([key, key]);
    expect(revokedApiKeyFromRest(RevokedApiKeyResponseSchema.parse(wire(revokedApiKeyToRest(key))))).toEqual(key);
    const created = { key: 'tsk_secret', apiKey: key };
    expect(createdApiKeyFromRest(CreatedApiKeyResponseSchema.parse(wire(createdApiKeyToRest(created))))).toEqual(
      created,
    );
  });

  it('writes snake_case with null for every unset field, and never a key outside creation', () => {
    const rest = apiKeyToRest(minimalKey());
    expect(Object.keys(rest).sort()).toEqual([
      'created_at',
      'description',
      'expires_at',
      'key_uuid',
      'last_used_at',
      'namespaces',
      'permissions',
      'revoked_at',
    ]);
    expect(rest).toMatchObject({ namespaces: null, expires_at: null, revoked_at: null, last_used_at: null });
    expect(Object.keys(apiKeyListToRest([minimalKey()]))).toEqual(['api_keys']);
    expect(Object.keys(revokedApiKeyToRest(minimalKey()))).toEqual(['api_key']);
  });
});

import { describe, expect, it } from 'vitest';
import type { CreateApiKeyInput } from '../../domain/auth.js';
import {
  ApiKey as PbApiKey,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  ListApiKeysResponse,
  RevokeApiKeyRequest,
  RevokeApiKeyResponse,
} from '../../gen/tasker/v1/auth.js';
import { makeApiKey, makeCreateApiKeyInput, makeMinimalApiKey, makeUuid } from '../../testing/builders.js';
import { validationFieldsOf, wire } from '../../testing/proto-builders.js';
import {
  apiKeyFromProto,
  apiKeyListFromProto,
  apiKeyListToProto,
  apiKeyToProto,
  createApiKeyInputFromProto,
  createApiKeyInputToProto,
  createdApiKeyFromProto,
  createdApiKeyToProto,
  revokeApiKeyRequestFromProto,
  revokeApiKeyRequestToProto,
  revokedApiKeyFromProto,
  revokedApiKeyToProto,
} from './auth.js';

const fullKey = makeApiKey;
const minimalKey = makeMinimalApiKey;
const fullInput = makeCreateApiKeyInput();

describe('API key creation ↔ proto', () => {
  it.each([
    ['full', fullInput],
    ['minimal', { description: 'x', permissions: [], namespaces: null, expiresAt: null }],
    ['scoped to no namespace', { ...fullInput, namespaces: [] }],
  ] satisfies Array<[string, CreateApiKeyInput]>)('round-trips a %s request', (_, input) => {
    expect(createApiKeyInputFromProto(wire(CreateApiKeyRequest, createApiKeyInputToProto(input)))).toEqual(input);
  });

  it('keeps "every namespace" and "no namespace" apart on the wire', () => {
    const all = wire(CreateApiKeyRequest, createApiKeyInputToProto({ ...fullInput, namespaces: null }));
    const none = wire(CreateApiKeyRequest, createApiKeyInputToProto({ ...fullInput, namespaces: [] }));
    expect(all.namespaces).toBeUndefined();
    expect(none.namespaces).toEqual({ namespaces: [] });
  });

  it('validates bounds, naming every field', () => {
    const bad = CreateApiKeyRequest.fromPartial({
      description: '',
      permissions: ['tasks:read', '', 'p'.repeat(101)],
      namespaces: { namespaces: ['billing', ''] },
    });
    expect(validationFieldsOf(() => createApiKeyInputFromProto(bad))).toEqual([
      'description',
      'namespaces[1]',
      'permissions[1]',
      'permissions[2]',
    ]);
    const tooMany = CreateApiKeyRequest.fromPartial({
      description: 'd',
      permissions: Array.from({ length: 101 }, () => 'tasks:read'),
    });
    expect(validationFieldsOf(() => createApiKeyInputFromProto(tooMany))).toEqual(['permissions']);
  });
});

describe('API keys ↔ proto', () => {
  it.each([
    ['full', fullKey()],
    ['minimal', minimalKey()],
    ['scoped to no namespace', { ...fullKey(), namespaces: [] }],
  ])('round-trips a %s key, alone, in a list, created and revoked', (_, key) => {
    expect(apiKeyFromProto(wire(PbApiKey, apiKeyToProto(key)))).toEqual(key);
    expect(apiKeyListFromProto(wire(ListApiKeysResponse, apiKeyListToProto([key, key])))).toEqual([key, key]);
    expect(revokedApiKeyFromProto(wire(RevokeApiKeyResponse, revokedApiKeyToProto(key)))).toEqual(key);
    const created = { key: 'tsk_secret', apiKey: key };
    expect(createdApiKeyFromProto(wire(CreateApiKeyResponse, createdApiKeyToProto(created)))).toEqual(created);
  });

  it('refuses a response without its key or creation time', () => {
    expect(validationFieldsOf(() => revokedApiKeyFromProto({ apiKey: undefined }))).toEqual(['api_key']);
    const noCreatedAt = { ...apiKeyToProto(fullKey()), createdAt: undefined };
    expect(validationFieldsOf(() => apiKeyListFromProto({ apiKeys: [noCreatedAt] }))).toEqual([
      'api_keys[0].created_at',
    ]);
  });

  it('round-trips and validates a revocation request', () => {
    const keyUuid = makeUuid();
    expect(revokeApiKeyRequestFromProto(wire(RevokeApiKeyRequest, revokeApiKeyRequestToProto(keyUuid)))).toBe(keyUuid);
    expect(validationFieldsOf(() => revokeApiKeyRequestFromProto({ keyUuid: 'nope' }))).toEqual(['key_uuid']);
    expect(validationFieldsOf(() => revokeApiKeyRequestFromProto({ keyUuid: '' }))).toEqual(['key_uuid']);
  });
});

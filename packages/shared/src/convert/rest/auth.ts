import type { ApiKey, CreateApiKeyInput, CreatedApiKey } from '../../domain/auth.js';
import type {
  ApiKeyListResponse,
  ApiKeyResponse,
  CreateApiKeyRequest,
  CreatedApiKeyResponse,
  RevokedApiKeyResponse,
} from '../../schemas/rest/auth.js';
import { nullableTimestampFromRest, nullableTimestampToRest, timestampFromRest, timestampToRest } from './common.js';

export function createApiKeyInputFromRest(b: CreateApiKeyRequest): CreateApiKeyInput {
  return {
    description: b.description,
    permissions: b.permissions,
    namespaces: b.namespaces ?? null,
    expiresAt: nullableTimestampFromRest(b.expires_at ?? null),
  };
}

export function createApiKeyInputToRest(i: CreateApiKeyInput): CreateApiKeyRequest {
  return {
    description: i.description,
    permissions: i.permissions,
    namespaces: i.namespaces,
    expires_at: nullableTimestampToRest(i.expiresAt),
  };
}

export function apiKeyToRest(k: ApiKey): ApiKeyResponse {
  return {
    key_uuid: k.keyUuid,
    description: k.description,
    permissions: k.permissions,
    namespaces: k.namespaces,
    created_at: timestampToRest(k.createdAt),
    expires_at: nullableTimestampToRest(k.expiresAt),
    revoked_at: nullableTimestampToRest(k.revokedAt),
    last_used_at: nullableTimestampToRest(k.lastUsedAt),
  };
}

export function apiKeyFromRest(r: ApiKeyResponse): ApiKey {
  return {
    keyUuid: r.key_uuid,
    description: r.description,
    permissions: r.permissions,
    namespaces: r.namespaces,
    createdAt: timestampFromRest(r.created_at),
    expiresAt: nullableTimestampFromRest(r.expires_at),
    revokedAt: nullableTimestampFromRest(r.revoked_at),
    lastUsedAt: nullableTimestampFromRest(r.last_used_at),
  };
}

export function createdApiKeyToRest(c: CreatedApiKey): CreatedApiKeyResponse {
  return { key: c.key, api_key: apiKeyToRest(c.apiKey) };
}

export function createdApiKeyFromRest(r: CreatedApiKeyResponse): CreatedApiKey {
  return { key: r.key, apiKey: apiKeyFromRest(r.api_key) };
}

export function apiKeyListToRest(keys: ApiKey[]): ApiKeyListResponse {
  return { api_keys: keys.map(apiKeyToRest) };
}

export function apiKeyListFromRest(r: ApiKeyListResponse): ApiKey[] {
  return r.api_keys.map(apiKeyFromRest);
}

export function revokedApiKeyToRest(k: ApiKey): RevokedApiKeyResponse {
  return { api_key: apiKeyToRest(k) };
}

export function revokedApiKeyFromRest(r: RevokedApiKeyResponse): ApiKey {
  return apiKeyFromRest(r.api_key);
}

// Stored API key administration (AuthService): domain ↔ proto. The namespace scope travels in a wrapper
// message so "every namespace" (absent) and "none" (present, empty) stay distinct.
import type { ApiKey, CreateApiKeyInput, CreatedApiKey } from '../../domain/auth.js';
import { COUNT_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import { validationError } from '../../errors.js';
import type {
  ApiKey as PbApiKey,
  CreateApiKeyRequest as PbCreateApiKeyRequest,
  CreateApiKeyResponse as PbCreateApiKeyResponse,
  ListApiKeysResponse as PbListApiKeysResponse,
  NamespaceScope as PbNamespaceScope,
  RevokeApiKeyRequest as PbRevokeApiKeyRequest,
  RevokeApiKeyResponse as PbRevokeApiKeyResponse,
} from '../../gen/tasker/v1/auth.js';
import { RequestValidator, optionalDateFromProto, optionalDateToProto, requiredDateFromProto } from './common.js';

export function namespaceScopeToProto(namespaces: string[] | null): PbNamespaceScope | undefined {
  return namespaces === null ? undefined : { namespaces };
}

export function namespaceScopeFromProto(scope: PbNamespaceScope | undefined): string[] | null {
  return scope === undefined ? null : scope.namespaces;
}

/** Same bounds as the REST schema; grant vocabulary and expiry are the service's to check, for both transports. */
export function createApiKeyInputFromProto(req: PbCreateApiKeyRequest): CreateApiKeyInput {
  const v = new RequestValidator();
  const namespaces = namespaceScopeFromProto(req.namespaces);
  const input: CreateApiKeyInput = {
    description: v.string('description', req.description, TEXT_LIMITS.apiKeyDescription),
    permissions: v.list('permissions', req.permissions, COUNT_LIMITS.apiKeyPermissions),
    namespaces: namespaces === null ? null : v.list('namespaces', namespaces, COUNT_LIMITS.apiKeyNamespaces),
    expiresAt: optionalDateFromProto(req.expiresAt),
  };
  input.permissions.forEach((p, i) => v.string(`permissions[${i}]`, p, TEXT_LIMITS.apiKeyPermission));
  input.namespaces?.forEach((ns, i) => v.string(`namespaces[${i}]`, ns, TEXT_LIMITS.namespace));
  v.done();
  return input;
}

export function createApiKeyInputToProto(i: CreateApiKeyInput): PbCreateApiKeyRequest {
  return {
    description: i.description,
    permissions: i.permissions,
    namespaces: namespaceScopeToProto(i.namespaces),
    expiresAt: optionalDateToProto(i.expiresAt),
  };
}

export function apiKeyToProto(k: ApiKey): PbApiKey {
  return {
    keyUuid: k.keyUuid,
    description: k.description,
    permissions: k.permissions,
    namespaces: namespaceScopeToProto(k.namespaces),
    createdAt: k.createdAt,
    expiresAt: optionalDateToProto(k.expiresAt),
    revokedAt: optionalDateToProto(k.revokedAt),
    lastUsedAt: optionalDateToProto(k.lastUsedAt),
  };
}

export function apiKeyFromProto(p: PbApiKey | undefined, path = 'api_key'): ApiKey {
  if (p === undefined) throw validationError([{ path, message: 'is required' }]);
  return {
    keyUuid: p.keyUuid,
    description: p.description,
    permissions: p.permissions,
    namespaces: namespaceScopeFromProto(p.namespaces),
    createdAt: requiredDateFromProto(p.createdAt, `${path}.created_at`),
    expiresAt: optionalDateFromProto(p.expiresAt),
    revokedAt: optionalDateFromProto(p.revokedAt),
    lastUsedAt: optionalDateFromProto(p.lastUsedAt),
  };
}

export function createdApiKeyToProto(c: CreatedApiKey): PbCreateApiKeyResponse {
  return { key: c.key, apiKey: apiKeyToProto(c.apiKey) };
}

export function createdApiKeyFromProto(r: PbCreateApiKeyResponse): CreatedApiKey {
  return { key: r.key, apiKey: apiKeyFromProto(r.apiKey) };
}

export function apiKeyListToProto(keys: ApiKey[]): PbListApiKeysResponse {
  return { apiKeys: keys.map(apiKeyToProto) };
}

export function apiKeyListFromProto(r: PbListApiKeysResponse): ApiKey[] {
  return r.apiKeys.map((k, i) => apiKeyFromProto(k, `api_keys[${i}]`));
}

export function revokeApiKeyRequestFromProto(req: PbRevokeApiKeyRequest): string {
  const v = new RequestValidator();
  const keyUuid = v.uuid('key_uuid', req.keyUuid);
  v.done();
  return keyUuid;
}

export function revokeApiKeyRequestToProto(keyUuid: string): PbRevokeApiKeyRequest {
  return { keyUuid };
}

export function revokedApiKeyToProto(k: ApiKey): PbRevokeApiKeyResponse {
  return { apiKey: apiKeyToProto(k) };
}

export function revokedApiKeyFromProto(r: PbRevokeApiKeyResponse): ApiKey {
  return apiKeyFromProto(r.apiKey);
}

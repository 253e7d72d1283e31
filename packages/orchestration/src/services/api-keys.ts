// Stored API key administration behind REST /v1/auth/keys and gRPC AuthService. The transports check
// auth:manage_keys; this service keeps a key manager from issuing more than it holds (grants and namespace
// scope), and hides keys outside a scoped caller's namespaces (NOT_FOUND, like every other resource).
// The plain key leaves this module once, in the result of create; nothing here logs it.
import {
  namespacesBeyondScope,
  undelegableGrants,
  type ApiKey,
  type CreateApiKeyInput,
  type CreatedApiKey,
} from '@tasker/shared';
import { AppError, validationError, type FieldProblem } from '@tasker/shared/errors';
import { isValidGrant, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import { createApiKey, listApiKeys, revokeStoredApiKey } from '../auth/api-keys.js';
import { assertUuid } from './access.js';
import type { ApiKeyService } from './types.js';

export interface ApiKeyServiceDeps {
  sql: Sql;
  /** Default Date.now. */
  now?: () => number;
}

function validateInput(input: CreateApiKeyInput, now: number): void {
  const problems: FieldProblem[] = [];
  if (input.description.trim() === '') problems.push({ path: 'description', message: 'is required' });
  input.permissions.forEach((p, i) => {
    if (!isValidGrant(p)) problems.push({ path: `permissions[${i}]`, message: `unknown permission ${p}` });
  });
  if (input.expiresAt !== null && input.expiresAt.getTime() <= now) {
    problems.push({ path: 'expires_at', message: 'must lie in the future' });
  }
  if (problems.length > 0) throw validationError(problems);
}

function assertDelegable(principal: Principal, input: CreateApiKeyInput): void {
  const grants = undelegableGrants(principal, input.permissions);
  if (grants.length > 0) {
    throw new AppError('PERMISSION_DENIED', `Cannot grant permissions you do not hold: ${grants.join(', ')}`, {
      details: { permission: grants[0], permissions: grants },
    });
  }
  const beyond = namespacesBeyondScope(principal, input.namespaces);
  if (beyond.length > 0) {
    const what = beyond.includes('*') ? 'every namespace' : `namespaces outside your scope: ${beyond.join(', ')}`;
    throw new AppError('PERMISSION_DENIED', `Cannot issue a key for ${what}`, { details: { namespaces: beyond } });
  }
}

/** A scoped caller manages only keys confined to its own namespaces. */
function isVisibleTo(principal: Principal, key: ApiKey): boolean {
  return namespacesBeyondScope(principal, key.namespaces).length === 0;
}

export function createApiKeyService(deps: ApiKeyServiceDeps): ApiKeyService {
  const { sql } = deps;
  const now = deps.now ?? Date.now;

  return {
    async create(principal, input) {
      validateInput(input, now());
      assertDelegable(principal, input);
      const { key, row } = await createApiKey(sql, {
        description: input.description,
        permissions: [...input.permissions],
        namespaces: input.namespaces === null ? null : [...input.namespaces],
        expiresAt: input.expiresAt,
      });
      const created: CreatedApiKey = { key, apiKey: row };
      return created;
    },

    async list(principal) {
      return (await listApiKeys(sql)).filter((k) => isVisibleTo(principal, k));
    },

    async revoke(principal, keyUuid) {
      assertUuid(keyUuid, 'key_uuid');
      // Revoking only ever takes access away, so it needs no grant check; scope decides what exists.
      if (principal.namespaces !== null) {
        const key = (await listApiKeys(sql)).find((k) => k.keyUuid === keyUuid);
        if (key === undefined || !isVisibleTo(principal, key)) throw apiKeyNotFound(keyUuid);
      }
      try {
        return await revokeStoredApiKey(sql, keyUuid);
      } catch (err) {
        if (err instanceof AppError && err.code === 'NOT_FOUND') throw apiKeyNotFound(keyUuid);
        throw err;
      }
    },
  };
}

function apiKeyNotFound(keyUuid: string): AppError {
  return new AppError('NOT_FOUND', `API key ${keyUuid} not found`, { details: { key_uuid: keyUuid } });
}

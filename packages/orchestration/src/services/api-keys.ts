// Stored API key administration behind REST /v1/auth/keys and gRPC AuthService. The transports check
// auth:manage_keys; this service keeps a key manager from issuing more than it holds (grants and namespace
// scope), and hides keys outside a scoped caller's namespaces (NOT_FOUND, like every other resource).
// The plain key leaves this module once, in the result of create; nothing here logs it. The dev-mode admin key
// is set up here too: the first start writes an admin key under the data dir and prints it once, and the CLI and
// example worker read it from there (secure by default, yet `npm start` works at once).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  namespacesBeyondScope,
  undelegableGrants,
  type ApiKey,
  type CreateApiKeyInput,
  type CreatedApiKey,
} from '@tasker/shared';
import { generateApiKey, readDevKeyFile } from '@tasker/shared/dev-key';
import { AppError, validationError, type FieldProblem } from '@tasker/shared/errors';
import { isValidGrant, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import { ADMIN_GRANTS } from '../auth/api-keys.js';
import { sha256 } from '../auth/authenticate.js';
import { insertApiKey, listApiKeys, revokeApiKey, setApiKeyPermissions } from '../repositories/api-keys.js';
import { assertUuid } from './access.js';
import type { ApiKeyService } from './types.js';

/** Issues a stored key: only its digest is kept; the plain key is returned this once. */
export async function createApiKey(sql: Sql, input: CreateApiKeyInput): Promise<{ key: string; row: ApiKey }> {
  const problems = input.permissions
    .map((p, i) => (isValidGrant(p) ? null : { path: `permissions[${i}]`, message: `unknown permission ${p}` }))
    .filter((p): p is { path: string; message: string } => p !== null);
  if (input.description.trim() === '') problems.push({ path: 'description', message: 'required' });
  if (problems.length > 0) throw validationError(problems);
  const key = generateApiKey();
  const row = await insertApiKey(sql, { ...input, digest: sha256(key) });
  return { key, row };
}

export async function revokeStoredApiKey(sql: Sql, keyUuid: string): Promise<ApiKey> {
  const row = await revokeApiKey(sql, keyUuid);
  if (!row) throw new AppError('NOT_FOUND', `API key ${keyUuid} not found`);
  return row;
}

export { listApiKeys };

/**
 * Makes sure the dev admin key in `file` exists and is accepted by the database (which may be newer than the
 * file). Returns the key and whether it was created now (the caller prints it then).
 * @throws DevKeyFileError when the file is readable by others or holds something else than a generated key.
 */
export async function ensureDevApiKey(sql: Sql, file: string): Promise<{ key: string; created: boolean }> {
  let key = readDevKeyFile(file);
  const created = key === undefined;
  key ??= generateApiKey();
  const stored = await insertApiKey(sql, {
    digest: sha256(key),
    description: 'dev admin key',
    permissions: [...ADMIN_GRANTS],
    namespaces: null,
    expiresAt: null,
  });
  // A key written by an older version lacks the resources added since: the dev admin key holds every one.
  const missing = ADMIN_GRANTS.filter((g) => !stored.permissions.includes(g));
  if (stored.revokedAt === null && missing.length > 0) {
    await setApiKeyPermissions(sql, stored.keyUuid, [...stored.permissions, ...missing]);
  }
  if (created) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return { key, created };
}

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

// Issuing and revoking stored API keys, and the dev-mode admin key (docs/security.md: secure by default, yet
// `npm start` works at once: the first start writes an admin key under the data dir, prints it once, and the
// CLI and example worker read it from there).
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Sql } from 'postgres';
import { generateApiKey, readDevKeyFile } from '@tasker/shared/dev-key';
import { AppError, validationError } from '@tasker/shared/errors';
import { isValidGrant, PERMISSION_RESOURCES } from '@tasker/shared/permissions';
import { insertApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../repositories/api-keys.js';
import { sha256 } from './authenticate.js';

/** Every resource wildcard: what the dev admin key carries. */
export const ADMIN_GRANTS: readonly string[] = PERMISSION_RESOURCES.map((r) => `${r}:*`);

export interface CreateApiKeyInput {
  description: string;
  permissions: string[];
  namespaces: string[] | null;
  expiresAt: Date | null;
}

export async function createApiKey(sql: Sql, input: CreateApiKeyInput): Promise<{ key: string; row: ApiKeyRow }> {
  const problems = input.permissions
    .map((p, i) => (isValidGrant(p) ? null : { path: `permissions[${i}]`, message: `unknown permission ${p}` }))
    .filter((p): p is { path: string; message: string } => p !== null);
  if (input.description.trim() === '') problems.push({ path: 'description', message: 'required' });
  if (problems.length > 0) throw validationError(problems);
  const key = generateApiKey();
  const row = await insertApiKey(sql, { ...input, digest: sha256(key) });
  return { key, row };
}

export async function revokeStoredApiKey(sql: Sql, keyUuid: string): Promise<ApiKeyRow> {
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
  await insertApiKey(sql, {
    digest: sha256(key),
    description: 'dev admin key',
    permissions: [...ADMIN_GRANTS],
    namespaces: null,
    expiresAt: null,
  });
  if (created) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return { key, created };
}

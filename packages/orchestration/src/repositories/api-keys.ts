// API keys: digests only. The plain key exists once, in the response to its creation.
import type { ApiKey, StoredApiKey } from '@tasker/shared';
import type { Sql } from 'postgres';

interface ApiKeyRow {
  key_uuid: string;
  key_sha256: Buffer;
  description: string | null;
  permissions: string[];
  namespaces: string[] | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function apiKeyFromRow(r: ApiKeyRow): ApiKey {
  return {
    keyUuid: r.key_uuid,
    description: r.description ?? '',
    permissions: r.permissions,
    namespaces: r.namespaces,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

export async function findApiKeyByDigest(sql: Sql, digest: Buffer): Promise<StoredApiKey | undefined> {
  const [r] = await sql<ApiKeyRow[]>`
    select * from tasker.api_keys where key_sha256 = ${digest}`;
  if (!r) return undefined;
  return {
    digest: r.key_sha256,
    description: r.description ?? '',
    permissions: r.permissions,
    namespaces: r.namespaces,
    revokedAt: r.revoked_at,
    expiresAt: r.expires_at,
  };
}

export async function touchApiKey(sql: Sql, digest: Buffer): Promise<void> {
  // Coarse on purpose: one write per key per minute at most, not one per request.
  await sql`
    update tasker.api_keys set last_used_at = now()
    where key_sha256 = ${digest} and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
}

export async function insertApiKey(
  sql: Sql,
  input: {
    digest: Buffer;
    description: string;
    permissions: string[];
    namespaces: string[] | null;
    expiresAt: Date | null;
  },
): Promise<ApiKey> {
  const [r] = await sql<ApiKeyRow[]>`
    insert into tasker.api_keys (key_sha256, description, permissions, namespaces, expires_at)
    values (${input.digest}, ${input.description}, ${input.permissions}, ${input.namespaces}, ${input.expiresAt})
    -- Re-inserting a known digest (dev key on restart) returns the row as it is: a revoked key stays revoked.
    on conflict (key_sha256) do update set key_sha256 = excluded.key_sha256
    returning *`;
  return apiKeyFromRow(r as ApiKeyRow);
}

/** Replaces the grants of an active key (the dev admin key gains the resources a newer version added). */
export async function setApiKeyPermissions(sql: Sql, keyUuid: string, permissions: string[]): Promise<void> {
  await sql`
    update tasker.api_keys set permissions = ${permissions}
    where key_uuid = ${keyUuid} and revoked_at is null`;
}

export async function revokeApiKey(sql: Sql, keyUuid: string): Promise<ApiKey | undefined> {
  const [r] = await sql<ApiKeyRow[]>`
    update tasker.api_keys set revoked_at = coalesce(revoked_at, now()) where key_uuid = ${keyUuid} returning *`;
  return r ? apiKeyFromRow(r) : undefined;
}

export async function listApiKeys(sql: Sql): Promise<ApiKey[]> {
  const rows = await sql<ApiKeyRow[]>`select * from tasker.api_keys order by created_at desc`;
  return rows.map(apiKeyFromRow);
}

/** Stored keys that can authenticate now: not revoked, not expired. */
export async function countUsableApiKeys(sql: Sql): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    select count(*)::int as n from tasker.api_keys where revoked_at is null and (expires_at is null or expires_at > now())`;
  return r?.n ?? 0;
}

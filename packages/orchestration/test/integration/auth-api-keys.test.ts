// Stored API keys end to end on a real database: create (digest only is stored), authenticate, scope, revoke;
// and the dev admin key written once under the data dir and re-accepted after a restart.
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@tasker/shared/config';
import { createApiKey, ensureDevApiKey, listApiKeys, revokeStoredApiKey } from '../../src/services/api-keys.js';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { findApiKeyByDigest } from '../../src/repositories/api-keys.js';
import { useTestDatabase } from './helpers/test-db.js';

const db = useTestDatabase();
const config = loadConfig({ env: { TASKER_ENV: 'test' } });

function authenticator() {
  return createAuthenticator(
    { ...config.auth, enabled: true },
    {
      apiKeys: { findByDigest: (d) => findApiKeyByDigest(db.sql, d) },
      apiKeyCacheMs: 0,
    },
  );
}

describe('stored API keys', () => {
  it('stores only the digest, authenticates, and stops working once revoked', async () => {
    const { key, row } = await createApiKey(db.sql, {
      description: 'billing ops',
      permissions: ['dlq:*', 'tasks:read'],
      namespaces: ['billing'],
      expiresAt: null,
    });
    const [stored] = await db.sql`select key_sha256 from tasker.api_keys where key_uuid = ${row.keyUuid}`;
    expect(Buffer.isBuffer(stored?.['key_sha256'])).toBe(true);
    const everything = JSON.stringify(await db.sql`select * from tasker.api_keys`);
    expect(everything).not.toContain(key);

    const authenticate = authenticator();
    expect(await authenticate({ apiKey: key })).toMatchObject({
      subject: 'billing ops',
      kind: 'api_key',
      permissions: ['dlq:*', 'tasks:read'],
      namespaces: ['billing'],
    });

    await revokeStoredApiKey(db.sql, row.keyUuid);
    await expect(authenticate({ apiKey: key })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'revoked' },
    });
    expect((await listApiKeys(db.sql)).find((k) => k.keyUuid === row.keyUuid)?.revokedAt).toBeInstanceOf(Date);
  });

  it('refuses unknown permissions and empty descriptions, naming the fields', async () => {
    await expect(
      createApiKey(db.sql, {
        description: '',
        permissions: ['tasks:read', 'root:all'],
        namespaces: null,
        expiresAt: null,
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/permissions\[1\].*description|description.*permissions\[1\]/s),
    });
  });

  it('expires keys with an expiry in the past', async () => {
    const { key } = await createApiKey(db.sql, {
      description: 'short',
      permissions: [],
      namespaces: null,
      expiresAt: new Date(Date.now() - 1000),
    });
    await expect(authenticator()({ apiKey: key })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'expired' },
    });
  });

  it('revoking an unknown key is NOT_FOUND', async () => {
    await expect(revokeStoredApiKey(db.sql, '01890000-0000-7000-8000-000000000000')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('dev admin key', () => {
  it('is created once with mode 0600, accepted, and re-registered from the file after the database was reset', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tasker-devkey-'));
    const file = path.join(dir, 'dev-api-key');
    const first = await ensureDevApiKey(db.sql, file);
    expect(first.created).toBe(true);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.key);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const principal = await authenticator()({ apiKey: first.key });
    expect(principal.permissions).toContain('tasks:*');

    await db.sql`delete from tasker.api_keys`;
    const second = await ensureDevApiKey(db.sql, file);
    expect(second).toEqual({ key: first.key, created: false });
    expect((await authenticator()({ apiKey: first.key })).subject).toBe('dev admin key');
  });

  it('gains the resources a newer version added when an older one wrote it, unless it was revoked', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tasker-devkey-'));
    const file = path.join(dir, 'dev-api-key');
    const { key } = await ensureDevApiKey(db.sql, file);
    // As an older version left it: no schedules:* grant.
    await db.sql`update tasker.api_keys set permissions = array_remove(permissions, 'schedules:*')
                 where description = 'dev admin key'`;
    expect((await authenticator()({ apiKey: key })).permissions).not.toContain('schedules:*');
    await ensureDevApiKey(db.sql, file);
    expect((await authenticator()({ apiKey: key })).permissions).toEqual(
      expect.arrayContaining(['schedules:*', 'tasks:*']),
    );

    await db.sql`update tasker.api_keys set permissions = array_remove(permissions, 'schedules:*'), revoked_at = now()
                 where description = 'dev admin key'`;
    await ensureDevApiKey(db.sql, file);
    const [row] = await db.sql<{ permissions: string[] }[]>`
      select permissions from tasker.api_keys where description = 'dev admin key'`;
    expect(row?.permissions).not.toContain('schedules:*');
  });
});

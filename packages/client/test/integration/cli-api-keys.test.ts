// `tasker auth create-key|list-keys|revoke-key` as a subprocess over each transport, and the SDK's `apiKeys` API
// under it: a created key authenticates with exactly its permissions, its plain value is never listed, and a
// revoked key is refused at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli, cliRunner } from './helpers/cli.js';
import { MISSING_UUID } from './helpers/scenario.js';
import { TEST_API_KEY, startTestServers, type TestServers } from './helpers/servers.js';

let servers: TestServers;
let script: string;
const cwd = mkdtempSync(join(tmpdir(), 'tasker-cli-keys-'));

beforeAll(async () => {
  [servers, script] = await Promise.all([startTestServers({ auth: true }), bundleCli('api-keys')]);
});
afterAll(async () => {
  await servers?.stop();
  if (script !== undefined) rmSync(script, { force: true });
});

interface CreatedDoc {
  key: string;
  api_key: {
    key_uuid: string;
    description: string;
    permissions: string[];
    namespaces: string[] | null;
    revoked_at: string | null;
  };
}

describe.each(['rest', 'grpc'] as const)('tasker auth keys over %s', { timeout: 120_000 }, (transport) => {
  const global = () => ['--transport', transport, '--address', servers.address[transport]];
  const as = (key: string) =>
    cliRunner(script, { cwd, env: { TASKER_API_KEY: key, TASKER_TOKEN: undefined, TASKER_DATA_DIR: undefined } });
  const admin = () => as(TEST_API_KEY);

  it('creates a key that works with exactly its permissions, lists it without the key, and revokes it', async () => {
    const created = (await admin().json([
      ...global(),
      'auth',
      'create-key',
      '--description',
      `reader-${transport}`,
      '--permissions',
      'tasks:read,tasks:list',
      '--namespaces',
      'billing',
    ])) as CreatedDoc;
    expect(created.key).toMatch(/^tsk_/);
    expect(created.api_key).toMatchObject({
      description: `reader-${transport}`,
      permissions: ['tasks:read', 'tasks:list'],
      namespaces: ['billing'],
      revoked_at: null,
    });

    expect((await as(created.key).run([...global(), 'task', 'list'])).code).toBe(0);
    const denied = await as(created.key).run([...global(), 'dlq', 'list']);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain('PERMISSION_DENIED');

    const listed = await admin().run([...global(), 'auth', 'list-keys', '--output', 'json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(created.key);
    expect(
      (JSON.parse(listed.stdout) as { api_keys: { key_uuid: string }[] }).api_keys.map((k) => k.key_uuid),
    ).toContain(created.api_key.key_uuid);

    const revoked = (await admin().json([...global(), 'auth', 'revoke-key', created.api_key.key_uuid])) as {
      api_key: { revoked_at: string | null };
    };
    expect(revoked.api_key.revoked_at).not.toBeNull();
    const refused = await as(created.key).run([...global(), 'task', 'list']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('UNAUTHENTICATED');
  });

  it('refuses bad input, unknown keys, and granting what the caller does not hold', async () => {
    const unknownPermission = await admin().run([
      ...global(),
      'auth',
      'create-key',
      '--description',
      'x',
      '--permissions',
      'tasks:read,root:all',
    ]);
    expect(unknownPermission.code).toBe(2);
    expect(unknownPermission.stderr).toContain('permissions[1]');
    expect((await admin().run([...global(), 'auth', 'revoke-key', MISSING_UUID])).code).toBe(3);

    const limited = (await admin().json([
      ...global(),
      'auth',
      'create-key',
      '--description',
      `keyadmin-${transport}`,
      '--permissions',
      'auth:manage_keys',
    ])) as CreatedDoc;
    const escalation = await as(limited.key).run([
      ...global(),
      'auth',
      'create-key',
      '--description',
      'sneaky',
      '--permissions',
      'tasks:*',
    ]);
    expect(escalation.code).toBe(4);
    expect(escalation.stderr).toContain('PERMISSION_DENIED');
  });
});

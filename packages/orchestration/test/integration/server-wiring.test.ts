// The process wiring of runtime.ts (startServer), as `npm start` runs it: one process serving REST and gRPC over one runtime,
// secure by default with the dev admin key, metrics for both transports and the engine at /metrics, and a
// graceful close.
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createChannel, createClient, Metadata, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@tasker/shared/config';
import { HealthDefinition } from '@tasker/shared/gen/grpc/health/v1/health';
import { TaskServiceDefinition } from '@tasker/shared/gen/tasker/v1/tasks';
import { DevKeyFileError, generateApiKey } from '@tasker/shared/dev-key';
import { startServer, type RunningServer } from '../../src/runtime.js';
import { useTestDatabase } from './helpers/test-db.js';

const db = useTestDatabase();
let server: RunningServer;
let keyFile: string;

beforeAll(async () => {
  keyFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'tasker-wiring-')), 'dev-api-key');
  const config = loadConfig({
    env: { TASKER_ENV: 'test' },
    overrides: { database: { url: db.url }, auth: { enabled: true, dev_key_file: keyFile } },
  });
  server = await startServer(config, { explicitDevelopment: true });
});

afterAll(async () => server?.close());

describe('startServer', () => {
  it('writes the dev admin key once and accepts it on REST; refuses requests without it', async () => {
    expect(server.devKey).toMatchObject({ file: keyFile, created: true });
    const key = (await readFile(keyFile, 'utf8')).trim();
    expect(key).toBe(server.devKey?.key);
    const ok = await fetch(`${server.restUrl}/v1/tasks`, { headers: { 'x-api-key': key } });
    expect(ok.status).toBe(200);
    const refused = await fetch(`${server.restUrl}/v1/tasks`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });

  it('serves gRPC on the same runtime: health without credentials, tasks with the key only', async () => {
    const channel = createChannel(server.grpcAddress);
    try {
      const health = createClient(HealthDefinition, channel);
      expect((await health.check({ service: '' })).status).toBe('SERVING');
      const tasks = createClient(TaskServiceDefinition, channel);
      await expect(tasks.listTasks({})).rejects.toMatchObject({ code: Status.UNAUTHENTICATED });
      const listed = await tasks.listTasks({}, { metadata: new Metadata({ 'x-api-key': server.devKey!.key }) });
      expect(listed.tasks).toEqual([]);
    } finally {
      channel.close();
    }
  });

  it('exposes request latency for both transports and engine counters at /metrics, without credentials', async () => {
    await fetch(`${server.restUrl}/v1/workers/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': server.devKey!.key },
      body: JSON.stringify({ worker_id: 'metrics-probe', wait_ms: 0 }),
    });
    const response = await fetch(`${server.restUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/tasker_http_request_duration_seconds_count\{[^}]*route="\/v1\/tasks"[^}]*\} [1-9]/);
    expect(text).toMatch(
      /tasker_grpc_request_duration_seconds_count\{[^}]*method="\/tasker\.v1\.TaskService\/ListTasks"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(/tasker_claims_total\{outcome="empty"\} [1-9]/);
    expect(text).toContain('tasker_queue_depth');
  });
});

describe('the dev admin key on a database this process does not own', () => {
  const configWith = async (file: string) =>
    loadConfig({
      env: { TASKER_ENV: 'test' },
      overrides: { database: { url: db.url }, auth: { enabled: true, dev_key_file: file } },
    });
  const keyRows = async () => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM tasker.api_keys`)[0]!.n;

  it('is not created when development mode was not asked for explicitly (DATABASE_URL set, TASKER_ENV unset)', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'tasker-nodev-')), 'dev-api-key');
    const before = await keyRows();
    const other = await startServer(await configWith(file));
    try {
      expect(other.devKey).toBeUndefined();
      expect(other.devKeySkipped).toMatch(/does not own/);
      await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await keyRows()).toBe(before);
    } finally {
      await other.close();
    }
  });

  it('refuses a key file others can read, and one that does not hold a generated key, writing nothing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tasker-badkey-'));
    const before = await keyRows();
    const readable = path.join(dir, 'readable');
    await writeFile(readable, `${generateApiKey()}\n`);
    await chmod(readable, 0o644);
    const error = await startServer(await configWith(readable), { explicitDevelopment: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DevKeyFileError);
    expect((error as Error).message).toContain(`chmod 600 ${readable}`);

    for (const content of [
      'x',
      'tsk_short',
      `${generateApiKey()}x`,
      'not a key at all but long enough to pass a length check',
    ]) {
      const file = path.join(dir, `bad-${content.length}`);
      await writeFile(file, content, { mode: 0o600 });
      const refused = await startServer(await configWith(file), { explicitDevelopment: true }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DevKeyFileError);
      expect((refused as Error).message).toMatch(/does not hold a key generated by Tasker/);
    }
    expect(await keyRows()).toBe(before);
  });
});

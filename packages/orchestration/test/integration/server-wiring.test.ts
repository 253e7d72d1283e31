// The process wiring of server.ts, as `npm start` runs it: one process serving REST and gRPC over one runtime,
// secure by default with the dev admin key, metrics for both transports and the engine at /metrics, and a
// graceful close.
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createChannel, createClient, Metadata, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@tasker/shared/config';
import { HealthDefinition } from '@tasker/shared/gen/grpc/health/v1/health';
import { TaskServiceDefinition } from '@tasker/shared/gen/tasker/v1/tasks';
import { startServer, type RunningServer } from '../../src/server.js';
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
  server = await startServer(config);
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
    expect(text).toMatch(/tasker_grpc_request_duration_seconds_count\{[^}]*method="\/tasker\.v1\.TaskService\/ListTasks"[^}]*\} [1-9]/);
    expect(text).toMatch(/tasker_claims_total\{outcome="empty"\} [1-9]/);
    expect(text).toContain('tasker_queue_depth');
  });
});

// Readiness follows the database: with the server's own embedded PostgreSQL stopped under it, /health/ready
// turns 503 and grpc.health.v1 NOT_SERVING within 2 seconds; after the database is started again on the same
// data directory and port, both report ready again.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createChannel, createClient, type Channel } from 'nice-grpc';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '@tasker/shared/config';
import { HealthCheckResponse_ServingStatus, HealthDefinition } from '@tasker/shared/gen/grpc/health/v1/health';
import {
  allowPostgresUserToEnter,
  findFreePort,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../src/db/embedded.js';
import { startServer, type RunningServer } from '../../src/runtime.js';

const FAST = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
let tmp: string;
let dataDir: string;
let port: number;
let db: EmbeddedPostgres | undefined;
let server: RunningServer | undefined;
let channel: Channel | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tasker-outage-'));
  await allowPostgresUserToEnter(tmp);
  dataDir = path.join(tmp, 'pg');
  port = await findFreePort();
  db = await startEmbeddedPostgres({ dataDir, port, settings: FAST });
  const config = loadConfig({
    env: { TASKER_ENV: 'test' },
    overrides: { database: { url: db.url, connect_timeout_s: 1 }, auth: { enabled: false } },
  });
  server = await startServer(config);
  channel = createChannel(server.grpcAddress);
}, 120_000);

afterAll(async () => {
  channel?.close();
  await server?.close().catch(() => undefined);
  await db?.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function readiness(): Promise<{ http: number; grpc: HealthCheckResponse_ServingStatus }> {
  const http = (await fetch(`${server!.restUrl}/health/ready`)).status;
  const grpc = (await createClient(HealthDefinition, channel!).check({ service: '' })).status;
  return { http, grpc };
}

/** Polls until `want` holds; returns how long it took. */
async function timeUntil(
  want: (r: Awaited<ReturnType<typeof readiness>>) => boolean,
  limitMs: number,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (want(await readiness())) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`readiness did not change within ${limitMs} ms: ${JSON.stringify(await readiness())}`);
}

it('turns not ready within 2 s of the database going away, and ready again after it returns', async () => {
  expect(await readiness()).toEqual({ http: 200, grpc: HealthCheckResponse_ServingStatus.SERVING });

  await db!.stop();
  const down = await timeUntil(
    (r) => r.http === 503 && r.grpc === HealthCheckResponse_ServingStatus.NOT_SERVING,
    5_000,
  );
  expect(down).toBeLessThanOrEqual(2_000);
  const body = (await (await fetch(`${server!.restUrl}/health/ready`)).json()) as {
    status: string;
    checks: { database: { status: string } };
  };
  expect(body).toMatchObject({ status: 'not_ready', checks: { database: { status: 'unhealthy' } } });

  db = await startEmbeddedPostgres({ dataDir, port, settings: FAST });
  await timeUntil((r) => r.http === 200 && r.grpc === HealthCheckResponse_ServingStatus.SERVING, 15_000);
});

// The database circuit breaker through the real server: with its embedded PostgreSQL stopped, repeated
// connection failures open the circuit and requests then fail at once with UNAVAILABLE (REST 503 + Retry-After,
// gRPC UNAVAILABLE + retry-after trailer), the health report shows the open circuit; after the database is back
// and the open time has passed, half-open probes (the pulse, requests) close it and requests succeed again.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { healthReportFromProto } from '@tasker/shared/convert/proto/index';
import { healthReportFromRest } from '@tasker/shared/convert/rest/index';
import { HealthResponseSchema } from '@tasker/shared/schemas/rest/index';
import { loadConfig } from '@tasker/shared/config';
import { Status } from 'nice-grpc';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  allowPostgresUserToEnter,
  findFreePort,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../src/db/embedded.js';
import { createTaskerClients, grpcErrorOf, type TaskerClients } from '../../src/grpc/testing/clients.js';
import { startServer, type RunningServer } from '../../src/runtime.js';

const FAST = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
const OPEN_SECONDS = 3;
let tmp: string;
let dataDir: string;
let port: number;
let db: EmbeddedPostgres | undefined;
let server: RunningServer | undefined;
let grpc: TaskerClients | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tasker-circuit-'));
  await allowPostgresUserToEnter(tmp);
  dataDir = path.join(tmp, 'pg');
  port = await findFreePort();
  db = await startEmbeddedPostgres({ dataDir, port, settings: FAST });
  const config = loadConfig({
    env: { TASKER_ENV: 'test' },
    overrides: {
      database: {
        url: db.url,
        connect_timeout_s: 1,
        circuit_breaker: { failure_threshold: 3, open_seconds: OPEN_SECONDS, half_open_probes: 2 },
      },
      auth: { enabled: false },
    },
  });
  server = await startServer(config);
  grpc = createTaskerClients(server.grpcAddress);
}, 120_000);

afterAll(async () => {
  grpc?.close();
  await server?.close().catch(() => undefined);
  await db?.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function detailed() {
  const viaRest = healthReportFromRest(
    HealthResponseSchema.parse(await (await fetch(`${server!.restUrl}/health/detailed`)).json()),
  );
  const viaGrpc = healthReportFromProto(await grpc!.health.checkDetailedHealth({}));
  return { viaRest, viaGrpc };
}

async function listTasks(): Promise<{
  status: number;
  retryAfter: string | null;
  body: { error?: { code: string; message: string; details?: { reason?: string } } };
}> {
  const res = await fetch(`${server!.restUrl}/v1/tasks`);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as never };
}

it('opens on an outage, fails fast on both surfaces, and closes again through probes', async () => {
  for (const report of Object.values(await detailed())) {
    expect(report.info).toMatchObject({ circuitBreakerState: 'closed' });
    expect(report.checks['circuit_breaker']).toMatchObject({ status: 'healthy', message: 'closed' });
    expect(report.info?.pools['database']).toMatchObject({ maxConnections: 10, acquireErrors: 0 });
  }
  expect((await listTasks()).status).toBe(200);

  await db!.stop();
  // Connection failures (requests, the pulse) open the circuit; until then requests are 503 "unreachable".
  const deadline = Date.now() + 10_000;
  let answer = await listTasks();
  while (answer.body.error?.details?.reason !== 'database_circuit_open') {
    expect([answer.status, answer.body.error?.code]).toEqual([503, 'UNAVAILABLE']);
    expect(answer.body.error?.details?.reason).toBe('database_unreachable');
    if (Date.now() > deadline) throw new Error('the circuit never opened');
    answer = await listTasks();
  }
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(OPEN_SECONDS);

  const started = performance.now();
  const err = await grpcErrorOf(grpc!.tasks.listTasks({}));
  expect(performance.now() - started).toBeLessThan(500);
  expect([err.status, err.code]).toEqual([Status.UNAVAILABLE, 'UNAVAILABLE']);
  expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(err.details).toEqual({ reason: 'database_circuit_open' });

  const { viaRest, viaGrpc } = await detailed();
  for (const report of [viaRest, viaGrpc]) {
    expect(report.info?.circuitBreakerState).toBe('open');
    expect(report.checks['circuit_breaker']?.status).toBe('unhealthy');
    expect(report.checks['database']?.status).toBe('unhealthy');
    expect(report.info?.pools['database']?.acquireErrors).toBeGreaterThanOrEqual(3);
  }
  expect((await fetch(`${server!.restUrl}/health/ready`)).status).toBe(503);

  db = await startEmbeddedPostgres({ dataDir, port, settings: FAST });
  const back = Date.now() + 20_000;
  while ((await listTasks()).status !== 200) {
    if (Date.now() > back) throw new Error('requests never succeeded again');
    await new Promise((r) => setTimeout(r, 100));
  }
  // That success was a probe; half_open_probes (2) of them close the circuit.
  const closed = Date.now() + 5_000;
  while ((await detailed()).viaRest.info?.circuitBreakerState !== 'closed') {
    if (Date.now() > closed) throw new Error('the circuit never closed');
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await detailed()).viaGrpc.info?.circuitBreakerState).toBe('closed');
  const ready = Date.now() + 5_000;
  while ((await fetch(`${server!.restUrl}/health/ready`)).status !== 200) {
    if (Date.now() > ready) throw new Error('never ready again');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

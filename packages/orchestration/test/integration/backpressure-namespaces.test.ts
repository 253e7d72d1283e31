// Backpressure per namespace, over the real REST app (port 0) and the real gRPC server on one runtime: a
// namespace at its limit is refused on both surfaces (503 + Retry-After / UNAVAILABLE + retry-after, code
// BACKPRESSURE, the namespace's figures in the details) while another namespace is admitted and told its own
// depth and limit; claiming the backlog re-opens the full namespace at the next pulse.
import {
  createTaskInputToProto,
  createdTaskFromProto,
  healthReportFromProto,
} from '@tasker/shared/convert/proto/index';
import { createTaskInputToRest, createdTaskFromRest, healthReportFromRest } from '@tasker/shared/convert/rest/index';
import { CreateTaskResponseSchema, HealthResponseSchema } from '@tasker/shared/schemas/rest/index';
import type { CreateTaskInput, QueueDepthReport } from '@tasker/shared';
import type { FastifyInstance } from 'fastify';
import { Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../src/rest/app.js';
import { closeApp } from '../../src/rest/plumbing.js';
import { grpcErrorOf, useGrpcRuntime } from './helpers/grpc-client.js';
import { TEST_PRINCIPAL } from './helpers/runtime.js';

const FULL = 'bp_full';
const FREE = 'bp_free';
// Default limit 4, FULL's own limit 2. With 2 steps waiting in each, the total (4) reaches the default: a global
// count would refuse both namespaces; per namespace only FULL is refused.
const h = useGrpcRuntime({
  config: { backpressure: { max_pending_steps: 4, namespaces: { [FULL]: 2 }, retry_after_seconds: 7 } },
});
let app: FastifyInstance;
let restUrl: string;

const template = (namespace: string) => `
name: one_step
namespace_name: ${namespace}
version: 1.0.0
identity_strategy: always_unique
steps:
  - {name: only, handler: {callable: Bp.Only}}
`;

const input = (namespace: string): CreateTaskInput => ({
  namespace,
  name: 'one_step',
  version: '1.0.0',
  context: {},
  initiator: 'bp-test',
  sourceSystem: 'vitest',
  reason: 'backpressure',
});

async function postTask(namespace: string): Promise<Response> {
  return fetch(`${restUrl}/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(createTaskInputToRest(input(namespace))),
  });
}

/** Waits for a pulse whose count satisfies `want`. */
async function queueReport(want: (r: QueueDepthReport) => boolean): Promise<QueueDepthReport> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const report = (await h.services.health.ready()).info?.queueDepth ?? null;
    if (report !== null && want(report)) return report;
    if (Date.now() > deadline) throw new Error(`queue depth never matched: ${JSON.stringify(report)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  await h.services.templates.register(TEST_PRINCIPAL, [template(FULL), template(FREE)], { force: false });
  app = await buildRestApp(h.services, h.config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  restUrl = `http://127.0.0.1:${address.port}`;
  for (const ns of [FULL, FULL, FREE, FREE]) await h.services.tasks.create(TEST_PRINCIPAL, input(ns));
  await queueReport((r) => r.namespaces[FULL]?.depth === 2 && r.namespaces[FREE]?.depth === 2);
});

afterAll(async () => {
  if (app !== undefined) await closeApp(app, 1000);
});

describe('a namespace at its limit', () => {
  it('is refused over REST with 503, Retry-After and its own figures', async () => {
    const res = await postTask(FULL);
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '7']);
    const body = (await res.json()) as { error: { code: string; details: Record<string, unknown> } };
    expect(body.error.code).toBe('BACKPRESSURE');
    expect(body.error.details).toEqual({ namespace: FULL, reason: 'queue_depth', queue_depth: 2, max_queue_depth: 2 });
  });

  it('is refused over gRPC with UNAVAILABLE, error-code BACKPRESSURE and a retry-after trailer', async () => {
    const err = await grpcErrorOf(h.clients.tasks.createTask(createTaskInputToProto(input(FULL))));
    expect([err.status, err.code, err.retryAfterSeconds]).toEqual([Status.UNAVAILABLE, 'BACKPRESSURE', 7]);
    expect(err.details).toEqual({ namespace: FULL, reason: 'queue_depth', queue_depth: 2, max_queue_depth: 2 });
  });

  it('is shown as throttled in the detailed health on both surfaces', async () => {
    const viaRest = healthReportFromRest(
      HealthResponseSchema.parse(await (await fetch(`${restUrl}/health/detailed`)).json()),
    );
    const viaGrpc = healthReportFromProto(await h.clients.health.checkDetailedHealth({}));
    for (const report of [viaRest, viaGrpc]) {
      expect(report.info?.queueDepth?.namespaces[FULL]).toEqual({ depth: 2, limit: 2, throttled: true });
      expect(report.info?.queueDepth?.namespaces[FREE]).toEqual({ depth: 2, limit: 4, throttled: false });
      expect(report.checks['queue_depth']).toMatchObject({
        status: 'degraded',
        message: expect.stringContaining(`${FULL} 2/2 (throttled)`),
      });
    }
  });
});

describe('another namespace', () => {
  it('is admitted over REST, and the 201 body reports its own depth and limit', async () => {
    const res = await postTask(FREE);
    expect(res.status).toBe(201);
    const created = createdTaskFromRest(CreateTaskResponseSchema.parse(await res.json()));
    expect(created.task.namespace).toBe(FREE);
    expect(created.backpressure).toEqual({
      active: false,
      reason: null,
      retryAfterSeconds: null,
      queueDepth: 2,
      maxQueueDepth: 4,
    });
  });

  it('is admitted over gRPC, told the depth the last pulse counted', async () => {
    await queueReport((r) => r.namespaces[FREE]?.depth === 3);
    const created = createdTaskFromProto(await h.clients.tasks.createTask(createTaskInputToProto(input(FREE))));
    expect(created.task.namespace).toBe(FREE);
    expect(created.backpressure).toEqual({
      active: false,
      reason: null,
      retryAfterSeconds: null,
      queueDepth: 3,
      maxQueueDepth: 4,
    });
  });
});

it('re-admits the full namespace once its backlog is claimed', async () => {
  const claimed = await h.services.workers.claim(TEST_PRINCIPAL, {
    workerId: 'bp-worker',
    namespaces: [FULL],
    handlerNames: [],
    maxSteps: 10,
    waitMs: 0,
  });
  expect(claimed).toHaveLength(2);
  await queueReport((r) => r.namespaces[FULL]?.depth === 0);
  const res = await postTask(FULL);
  expect(res.status).toBe(201);
  expect(createdTaskFromRest(CreateTaskResponseSchema.parse(await res.json())).backpressure).toMatchObject({
    active: false,
    queueDepth: 0,
    maxQueueDepth: 2,
  });
});

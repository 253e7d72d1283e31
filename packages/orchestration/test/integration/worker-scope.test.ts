// The worker protocol under namespace-scoped credentials, over REST and gRPC with the real authenticator: a
// heartbeat carrying another namespace's lease token extends nothing and reads `lost` (as complete, fail and
// release already refuse it), and the worker list shows a scoped caller only the workers serving one of its
// namespaces, each with only those namespaces. A batch of results is scoped the same way, and refuses what no
// transport checks (batch size, a step reported twice, a claim alongside without worker:claim).
import { createSecretKey, randomUUID } from 'node:crypto';
import { createChannel, createClient, Metadata, type Channel } from 'nice-grpc';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerServiceDefinition } from '@tasker/shared/gen/tasker/v1/workers';
import type { Principal } from '@tasker/shared/permissions';
import { makeCompletedResult, makeCreateTaskInput } from '@tasker/shared/testing/builders';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { mintToken } from '../../src/auth/test-tokens.js';
import { createGrpcServer, type GrpcServer } from '../../src/grpc/server.js';
import { buildRestApp } from '../../src/rest/app.js';
import { readFixtureTemplate, startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';

const SECRET = 'worker-scope-secret-0123456789-abcdef-0123';
let rt: TestRuntime;
let app: FastifyInstance;
let grpc: GrpcServer;
let channel: Channel;
let admin: string;
let scopedA: string;

async function token(namespaces: string[] | null): Promise<string> {
  const { issuer, audience } = rt.config.auth.jwt;
  return mintToken('HS256', createSecretKey(Buffer.from(SECRET)), {
    issuer,
    audience,
    subject: namespaces === null ? 'admin-worker' : `worker-${namespaces.join('-')}`,
    permissions: ['worker:*', 'workers:read'],
    ...(namespaces === null ? {} : { namespaces }),
  });
}

async function rest<T>(
  method: 'GET' | 'POST',
  url: string,
  bearer: string,
  payload?: object,
): Promise<{ status: number; body: T }> {
  const res = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${bearer}` },
    ...(payload ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.json() as T };
}

const grpcWorkers = () => createClient(WorkerServiceDefinition, channel);
const meta = (bearer: string) => ({ metadata: new Metadata({ authorization: `Bearer ${bearer}` }) });

/** A task in `namespace` with its first step claimed by the all-namespace worker: the lease to steal. */
async function leaseIn(namespace: string): Promise<{ stepUuid: string; leaseToken: string }> {
  const yaml = readFixtureTemplate('linear').replace('namespace_name: billing', `namespace_name: ${namespace}`);
  await rt.services.templates.register(TEST_PRINCIPAL, [yaml], { force: true });
  await rt.services.tasks.create(
    TEST_PRINCIPAL,
    makeCreateTaskInput({ namespace, context: { invoice_id: 1 }, idempotencyKey: randomUUID() }),
  );
  const claimed = await rest<{ steps: Array<{ step_uuid: string; lease_token: string }> }>(
    'POST',
    '/v1/workers/claim',
    admin,
    {
      worker_id: 'admin-worker',
      namespaces: [namespace],
      max_steps: 1,
      wait_ms: 0,
    },
  );
  const step = claimed.body.steps[0];
  if (step === undefined) throw new Error(`nothing claimed in ${namespace}: ${JSON.stringify(claimed.body)}`);
  return { stepUuid: step.step_uuid, leaseToken: step.lease_token };
}

async function leaseExpiry(stepUuid: string): Promise<Date> {
  const [row] = await rt.sql<
    { lease_expires_at: Date }[]
  >`SELECT lease_expires_at FROM tasker.steps WHERE step_uuid = ${stepUuid}`;
  return row!.lease_expires_at;
}

beforeAll(async () => {
  rt = await startTestRuntime({ auth: { enabled: true, jwt: { hs256_secret: SECRET, algorithms: ['HS256'] } } });
  const authenticate = createAuthenticator(rt.config.auth);
  app = await buildRestApp(rt.services, rt.config, { authenticate });
  grpc = createGrpcServer(rt.services, rt.config, { authenticate });
  const { port } = await grpc.listen('127.0.0.1:0');
  channel = createChannel(`127.0.0.1:${port}`);
  admin = await token(null);
  scopedA = await token(['scope_a']);
});

afterAll(async () => {
  channel?.close();
  await grpc?.shutdown();
  await app?.close();
  await rt?.stop();
});

describe('heartbeats are scoped like results', () => {
  it('REST: a scoped key cannot extend (or learn about) a lease of another namespace', async () => {
    const lease = await leaseIn('scope_b');
    const before = await leaseExpiry(lease.stepUuid);
    await new Promise((r) => setTimeout(r, 20));
    const stolen = await rest<{
      leases: Array<{ step_uuid: string; status: string; lease_expires_at: string | null }>;
    }>('POST', '/v1/workers/heartbeat', scopedA, {
      worker_id: 'intruder',
      leases: [{ step_uuid: lease.stepUuid, lease_token: lease.leaseToken }],
    });
    expect(stolen.status).toBe(200);
    expect(stolen.body.leases).toEqual([{ step_uuid: lease.stepUuid, status: 'lost', lease_expires_at: null }]);
    expect(await leaseExpiry(lease.stepUuid)).toEqual(before);

    const own = await rest<{ leases: Array<{ status: string }> }>('POST', '/v1/workers/heartbeat', admin, {
      worker_id: 'admin-worker',
      leases: [{ step_uuid: lease.stepUuid, lease_token: lease.leaseToken }],
    });
    expect(own.body.leases[0]?.status).toBe('valid');
    expect((await leaseExpiry(lease.stepUuid)).getTime()).toBeGreaterThan(before.getTime());
  });

  it('gRPC: the same', async () => {
    const lease = await leaseIn('scope_b');
    const before = await leaseExpiry(lease.stepUuid);
    const stolen = await grpcWorkers().heartbeat(
      { workerId: 'intruder', leases: [{ stepUuid: lease.stepUuid, leaseToken: lease.leaseToken }] },
      meta(scopedA),
    );
    expect(stolen.leases.map((l) => [l.stepUuid, l.status, l.leaseExpiresAt])).toEqual([
      [lease.stepUuid, 'LEASE_STATUS_LOST', undefined],
    ]);
    expect(await leaseExpiry(lease.stepUuid)).toEqual(before);
    const own = await grpcWorkers().heartbeat(
      { workerId: 'admin-worker', leases: [{ stepUuid: lease.stepUuid, leaseToken: lease.leaseToken }] },
      meta(admin),
    );
    expect(own.leases[0]?.status).toBe('LEASE_STATUS_VALID');
  });
});

describe('the worker list is filtered to the caller’s namespaces', () => {
  beforeAll(async () => {
    for (const [workerId, namespaces] of [
      ['only-a', ['scope_a']],
      ['only-b', ['scope_b']],
      ['both', ['scope_a', 'scope_b']],
    ] as const) {
      const res = await rest('POST', '/v1/workers/register', admin, {
        worker_id: workerId,
        hostname: `host-${workerId}`,
        version: '1',
        namespaces,
        handlers: [],
        metadata: { pid: 1 },
      });
      expect(res.status).toBe(200);
    }
  });

  const view = (workers: Array<{ id: string; namespaces: string[] }>) =>
    workers.filter((w) => ['only-a', 'only-b', 'both'].includes(w.id)).sort((x, y) => x.id.localeCompare(y.id));
  const expected = [
    { id: 'both', namespaces: ['scope_a'] },
    { id: 'only-a', namespaces: ['scope_a'] },
  ];

  it('REST', async () => {
    const scoped = await rest<Array<{ worker_id: string; namespaces: string[] }>>('GET', '/v1/workers', scopedA);
    expect(view(scoped.body.map((w) => ({ id: w.worker_id, namespaces: w.namespaces })))).toEqual(expected);
    const all = await rest<Array<{ worker_id: string; namespaces: string[] }>>('GET', '/v1/workers', admin);
    expect(view(all.body.map((w) => ({ id: w.worker_id, namespaces: w.namespaces })))).toHaveLength(3);
  });

  it('gRPC', async () => {
    const scoped = await grpcWorkers().listWorkers({}, meta(scopedA));
    expect(view(scoped.workers.map((w) => ({ id: w.workerId, namespaces: w.namespaces })))).toEqual(expected);
  });
});

describe('batched results are scoped like single results', () => {
  it("REST: another namespace's step is not_found, reveals nothing and is left alone", async () => {
    const lease = await leaseIn('scope_b');
    const stolen = await rest<{ outcomes: unknown[]; steps: unknown[] }>('POST', '/v1/workers/results', scopedA, {
      worker_id: 'intruder',
      results: [{ step_uuid: lease.stepUuid, lease_token: lease.leaseToken, status: 'completed', result: 1 }],
    });
    expect(stolen.status).toBe(200);
    expect(stolen.body).toEqual({
      outcomes: [
        { step_uuid: lease.stepUuid, outcome: 'not_found', step_state: null, task_state: null, next_retry_at: null },
      ],
      steps: [],
    });
    const own = await rest<{ leases: Array<{ status: string }> }>('POST', '/v1/workers/heartbeat', admin, {
      worker_id: 'admin-worker',
      leases: [{ step_uuid: lease.stepUuid, lease_token: lease.leaseToken }],
    });
    expect(own.body.leases[0]?.status).toBe('valid');
  });

  it('the service refuses a batch over 1000, a step reported twice, and a claim alongside without worker:claim', async () => {
    const reporter: Principal = { subject: 'reporter', kind: 'jwt', permissions: ['worker:report'], namespaces: null };
    const report = (results: ReturnType<typeof makeCompletedResult>[], claim: { maxSteps: number } | null = null) =>
      rt.services.workers.reportResults(reporter, {
        workerId: 'w',
        results,
        claim: claim === null ? null : { ...claim, namespaces: [], handlerNames: [] },
      });
    await expect(report(Array.from({ length: 1001 }, () => makeCompletedResult()))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [{ path: 'results', message: expect.any(String) }] },
    });
    const once = makeCompletedResult();
    await expect(
      report([once, makeCompletedResult(), { ...once, stepUuid: once.stepUuid.toUpperCase() }]),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [{ path: 'results[2].step_uuid', message: 'is reported twice in this batch' }] },
    });
    await expect(report([], { maxSteps: 1 })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      details: { permission: 'worker:claim' },
    });
    await expect(report([], { maxSteps: 0 })).resolves.toEqual({ outcomes: [], claimed: [] });
  });
});

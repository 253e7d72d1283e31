// The worker protocol over HTTP: register, list, claim (long-poll, disconnect), heartbeat, complete,
// fail, batched results with a claim alongside, release, and the fencing of stale lease tokens.
import { createSecretKey, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '@tasker/shared/config';
import {
  ClaimResponseSchema,
  LeaseStatesResponseSchema,
  ReportResultsResponseSchema,
  StepResultAckSchema,
  WorkerSchema,
} from '@tasker/shared/schemas/rest/index';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { mintToken } from '../../src/auth/test-tokens.js';
import { buildRestApp } from '../../src/rest/app.js';
import type { Services } from '../../src/services/types.js';
import { TEST_PRINCIPAL } from './helpers/runtime.js';
import {
  LINEAR_YAML,
  MISSING_UUID,
  claimSteps,
  createLinearTask,
  registerLinearTemplate,
  useRestHarness,
} from './rest-helpers.js';

/** The signals the transport handed to claims, to see them abort when a client hangs up. */
const claimSignals: Array<AbortSignal | undefined> = [];
const h = useRestHarness({
  wrapServices: (services: Services): Services => ({
    ...services,
    workers: {
      ...services.workers,
      register: (...args) => services.workers.register(...args),
      list: (...args) => services.workers.list(...args),
      heartbeat: (...args) => services.workers.heartbeat(...args),
      complete: (...args) => services.workers.complete(...args),
      fail: (...args) => services.workers.fail(...args),
      release: (...args) => services.workers.release(...args),
      claim: (principal, input, signal) => {
        claimSignals.push(signal);
        return services.workers.claim(principal, input, signal);
      },
    },
  }),
});

beforeAll(async () => {
  await registerLinearTemplate(h);
});

function fieldPaths(body: { error: { details?: { fields?: Array<{ path: string }> } } }): string[] {
  return (body.error.details?.fields ?? []).map((f) => f.path);
}

/** Drains whatever is claimable so a test starts from an empty queue. */
async function drain(workerId: string): Promise<void> {
  while ((await claimSteps(h, workerId, 0, 100)).length > 0) {
    // claimed steps are abandoned; their leases are irrelevant to the next test
  }
}

describe('worker registry', () => {
  it('registers a worker and lists it as live', async () => {
    const res = await h.api('POST', '/v1/workers/register', {
      json: {
        worker_id: 'w-reg',
        hostname: 'host-1',
        version: '1.2.3',
        namespaces: ['billing'],
        handlers: ['Billing.LoadInvoice'],
        metadata: { pid: 1 },
      },
    });
    expect(res.status).toBe(200);
    expect(WorkerSchema.parse(res.body)).toMatchObject({ worker_id: 'w-reg', namespaces: ['billing'], live: true });
    const list = await h.api('GET', '/v1/workers');
    expect(list.status).toBe(200);
    expect(list.body.map((w: { worker_id: string }) => w.worker_id)).toContain('w-reg');
  });

  it('answers 400 naming missing and unknown fields', async () => {
    const res = await h.api('POST', '/v1/workers/register', { json: { hostname: 'h', version: '1', colour: 'red' } });
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toEqual(expect.arrayContaining(['body.worker_id', 'body.colour']));
  });
});

describe('claim, heartbeat, complete, fail, release', () => {
  it('claims nothing at once when nothing is ready', async () => {
    await drain('w-empty');
    const started = Date.now();
    const res = await h.api('POST', '/v1/workers/claim', { json: { worker_id: 'w-empty' } });
    expect(res.status).toBe(200);
    expect(ClaimResponseSchema.parse(res.body).steps).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('long-polls: a claim waiting with nothing ready returns the step created meanwhile', async () => {
    await drain('w-poll');
    const started = Date.now();
    const waiting = claimSteps(h, 'w-poll', 1500, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const taskUuid = await createLinearTask(h);
    const steps = await waiting;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ task_uuid: taskUuid, step_name: 'load_invoice', attempt: 1 });
  });

  it('ends the long-poll when the client hangs up', async () => {
    await drain('w-gone');
    const before = claimSignals.length;
    const client = new AbortController();
    const pending = fetch(`${h.base}/v1/workers/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ worker_id: 'w-gone', wait_ms: 1900 }),
      signal: client.signal,
    }).catch((err: unknown) => err);
    await expect.poll(() => claimSignals.length).toBe(before + 1);
    const signal = claimSignals[before];
    expect(signal?.aborted).toBe(false);
    client.abort();
    await expect.poll(() => signal?.aborted, { timeout: 1000 }).toBe(true);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('heartbeats, completes with the lease token, and refuses a stale token', async () => {
    await drain('w-1');
    const taskUuid = await createLinearTask(h);
    const [step] = await claimSteps(h, 'w-1', 1000, 1);
    expect(step?.task_uuid).toBe(taskUuid);
    const heartbeat = await h.api('POST', '/v1/workers/heartbeat', {
      json: {
        worker_id: 'w-1',
        leases: [
          { step_uuid: step!.step_uuid, lease_token: step!.lease_token },
          { step_uuid: MISSING_UUID, lease_token: randomUUID() },
        ],
      },
    });
    expect(heartbeat.status).toBe(200);
    const leases = LeaseStatesResponseSchema.parse(heartbeat.body).leases;
    expect(leases.find((l) => l.step_uuid === step!.step_uuid)?.status).toBe('valid');
    expect(leases.find((l) => l.step_uuid === MISSING_UUID)?.status).not.toBe('valid');

    const stale = await h.api('POST', '/v1/workers/complete', {
      json: { worker_id: 'w-1', step_uuid: step!.step_uuid, lease_token: randomUUID(), result: {} },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('INVALID_STATE');

    const done = await h.api('POST', '/v1/workers/complete', {
      json: {
        worker_id: 'w-1',
        step_uuid: step!.step_uuid,
        lease_token: step!.lease_token,
        result: { ok: true },
        execution_time_ms: 3,
      },
    });
    expect(done.status).toBe(200);
    expect(StepResultAckSchema.parse(done.body)).toMatchObject({ step_uuid: step!.step_uuid, step_state: 'complete' });

    const twice = await h.api('POST', '/v1/workers/complete', {
      json: { worker_id: 'w-1', step_uuid: step!.step_uuid, lease_token: step!.lease_token, result: { ok: true } },
    });
    expect(twice.status).toBe(409);
  });

  it('fails a retryable step into waiting_for_retry with a next retry time', async () => {
    await drain('w-2');
    await createLinearTask(h);
    const [step] = await claimSteps(h, 'w-2', 1000, 1);
    const res = await h.api('POST', '/v1/workers/fail', {
      json: {
        worker_id: 'w-2',
        step_uuid: step!.step_uuid,
        lease_token: step!.lease_token,
        error: { message: 'upstream 503', error_type: 'http_error', retryable: true, status_code: 503 },
      },
    });
    expect(res.status).toBe(200);
    const ack = StepResultAckSchema.parse(res.body);
    expect(ack.step_state).toBe('waiting_for_retry');
    expect(ack.next_retry_at).not.toBeNull();
  });

  it('releases a lease: the step can be claimed again', async () => {
    await drain('w-3');
    await createLinearTask(h);
    const [step] = await claimSteps(h, 'w-3', 1000, 1);
    const res = await h.api('POST', '/v1/workers/release', {
      json: { worker_id: 'w-3', leases: [{ step_uuid: step!.step_uuid, lease_token: step!.lease_token }] },
    });
    expect(res.status).toBe(200);
    expect(LeaseStatesResponseSchema.parse(res.body).leases).toHaveLength(1);
    const [again] = await claimSteps(h, 'w-3', 1000, 1);
    expect(again?.step_uuid).toBe(step!.step_uuid);
    expect(again?.lease_token).not.toBe(step!.lease_token);
  });

  it.each([
    ['/v1/workers/claim', { worker_id: 'w', wait_ms: -1 }, 'body.wait_ms'],
    ['/v1/workers/claim', { worker_id: 'w', max_steps: 0 }, 'body.max_steps'],
    ['/v1/workers/claim', { worker_id: 'w', namespace: 'x' }, 'body.namespace'],
    [
      '/v1/workers/heartbeat',
      { worker_id: 'w', leases: [{ step_uuid: 'nope', lease_token: MISSING_UUID }] },
      'body.leases[0].step_uuid',
    ],
    [
      '/v1/workers/heartbeat',
      { worker_id: 'w', leases: [{ step_uuid: MISSING_UUID, lease_token: 'not-a-token' }] },
      'body.leases[0].lease_token',
    ],
    ['/v1/workers/complete', { worker_id: 'w', step_uuid: MISSING_UUID, lease_token: MISSING_UUID }, 'body.result'],
    [
      '/v1/workers/complete',
      { worker_id: 'w', step_uuid: MISSING_UUID, lease_token: 'stale', result: 1 },
      'body.lease_token',
    ],
    [
      '/v1/workers/fail',
      { worker_id: 'w', step_uuid: MISSING_UUID, lease_token: MISSING_UUID, error: { retryable: true } },
      'body.error.message',
    ],
    ['/v1/workers/release', { worker_id: 'w' }, 'body.leases'],
  ])('%s answers 400 naming %s', async (path, json, field) => {
    const res = await h.api('POST', path, { json });
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toContain(field);
  });
});

describe('batched results (POST /v1/workers/results)', () => {
  // A namespace of its own, so claims here never pick another test's step (nor leave one for it).
  const NAMESPACE = 'rest_batch';
  const tasks: string[] = [];

  beforeAll(async () => {
    await h.services.templates.register(
      TEST_PRINCIPAL,
      [LINEAR_YAML.replace('namespace_name: billing', `namespace_name: ${NAMESPACE}`)],
      { force: true },
    );
  });

  // Every test leaves nothing claimable behind (a retried step would be the next test's first step).
  afterEach(async () => {
    for (const taskUuid of tasks.splice(0))
      await h.services.tasks
        .cancel(TEST_PRINCIPAL, taskUuid, { reason: null, performedBy: null })
        .catch(() => undefined);
  });

  /** `n` new tasks of the namespace with their first steps claimed by `workerId`, in task order. */
  async function claimFirstSteps(workerId: string, n: number) {
    const created: string[] = [];
    for (let i = 0; i < n; i += 1) created.push(await createLinearTask(h, { namespace: NAMESPACE }));
    tasks.push(...created);
    const res = await h.api('POST', '/v1/workers/claim', {
      json: {
        worker_id: workerId,
        namespaces: [NAMESPACE],
        handler_names: ['Billing.LoadInvoice'],
        max_steps: n,
        wait_ms: 2000,
      },
    });
    const steps = ClaimResponseSchema.parse(res.body).steps;
    expect(steps.map((s) => s.task_uuid).sort()).toEqual([...created].sort());
    return created.map((taskUuid) => steps.find((s) => s.task_uuid === taskUuid)!);
  }

  it('applies a completion and a retryable failure, refuses a stale token and an unknown step, and claims the next step', async () => {
    const [a, b, c] = await claimFirstSteps('w-batch', 3);
    const res = await h.api('POST', '/v1/workers/results', {
      json: {
        worker_id: 'w-batch',
        results: [
          {
            step_uuid: a!.step_uuid,
            lease_token: a!.lease_token,
            status: 'completed',
            result: { amount: 10 },
            execution_time_ms: 4,
            metadata: { host: 'h' },
          },
          {
            step_uuid: b!.step_uuid,
            lease_token: b!.lease_token,
            status: 'failed',
            error: { message: 'upstream 503', error_type: 'http_error', retryable: true, status_code: 503 },
          },
          { step_uuid: c!.step_uuid, lease_token: randomUUID(), status: 'completed', result: 1 },
          { step_uuid: MISSING_UUID, lease_token: randomUUID(), status: 'completed', result: 1 },
        ],
        claim: { max_steps: 2, namespaces: [NAMESPACE], handler_names: ['Billing.ComputeTax'] },
      },
    });
    expect(res.status).toBe(200);
    const body = ReportResultsResponseSchema.parse(res.body);
    expect(body.outcomes.map((o) => [o.step_uuid, o.outcome, o.step_state])).toEqual([
      [a!.step_uuid, 'ok', 'complete'],
      [b!.step_uuid, 'ok', 'waiting_for_retry'],
      [c!.step_uuid, 'lease_lost', 'in_progress'],
      [MISSING_UUID, 'not_found', null],
    ]);
    expect(body.outcomes[1]!.next_retry_at).not.toBeNull();
    expect(body.outcomes[3]).toMatchObject({ task_state: null, next_retry_at: null });
    // A's next step became ready with A's result and was claimed in the same call.
    expect(body.steps.map((s) => [s.task_uuid, s.step_name, s.parent_results])).toEqual([
      [a!.task_uuid, 'compute_tax', { load_invoice: { amount: 10 } }],
    ]);

    // Nothing changed for the refused result: the real token still completes C.
    const again = await h.api('POST', '/v1/workers/results', {
      json: {
        worker_id: 'w-batch',
        results: [{ step_uuid: c!.step_uuid, lease_token: c!.lease_token, status: 'completed', result: 2 }],
      },
    });
    expect(ReportResultsResponseSchema.parse(again.body)).toMatchObject({
      outcomes: [{ outcome: 'ok', step_state: 'complete' }],
      steps: [],
    });
  });

  it('takes an empty batch with a claim only, and a batch without a claim', async () => {
    const [a] = await claimFirstSteps('w-batch-2', 1);
    const done = await h.api('POST', '/v1/workers/results', {
      json: {
        worker_id: 'w-batch-2',
        results: [{ step_uuid: a!.step_uuid, lease_token: a!.lease_token, status: 'completed', result: null }],
        claim: null,
      },
    });
    expect(ReportResultsResponseSchema.parse(done.body)).toMatchObject({ outcomes: [{ outcome: 'ok' }], steps: [] });
    const claimOnly = await h.api('POST', '/v1/workers/results', {
      json: {
        worker_id: 'w-batch-2',
        results: [],
        claim: { max_steps: 1, namespaces: [NAMESPACE], handler_names: ['Billing.ComputeTax'] },
      },
    });
    const body = ReportResultsResponseSchema.parse(claimOnly.body);
    expect([body.outcomes, body.steps.map((s) => [s.task_uuid, s.step_name])]).toEqual([
      [],
      [[a!.task_uuid, 'compute_tax']],
    ]);
  });

  const result = { step_uuid: MISSING_UUID, lease_token: MISSING_UUID, status: 'completed', result: 1 };
  it.each([
    [
      'a result with neither outcome',
      { worker_id: 'w', results: [{ step_uuid: MISSING_UUID, lease_token: MISSING_UUID, result: 1 }] },
      'body.results[0].status',
    ],
    [
      'a failure without its error',
      { worker_id: 'w', results: [{ ...result, status: 'failed', result: undefined }] },
      'body.results[0].error',
    ],
    [
      'a malformed step uuid',
      { worker_id: 'w', results: [result, { ...result, step_uuid: 'nope' }] },
      'body.results[1].step_uuid',
    ],
    [
      'a malformed lease token',
      { worker_id: 'w', results: [{ ...result, lease_token: 'stale' }] },
      'body.results[0].lease_token',
    ],
    [
      'a completion without its result',
      { worker_id: 'w', results: [{ ...result, result: undefined }] },
      'body.results[0].result',
    ],
    ['too many results', { worker_id: 'w', results: Array.from({ length: 1001 }, () => result) }, 'body.results'],
    ['a claim of too many steps', { worker_id: 'w', results: [], claim: { max_steps: 1001 } }, 'body.claim.max_steps'],
    [
      'a claim that waits',
      { worker_id: 'w', results: [], claim: { max_steps: 1, wait_ms: 100 } },
      'body.claim.wait_ms',
    ],
    ['no worker id', { results: [] }, 'body.worker_id'],
    [
      'a step reported twice',
      {
        worker_id: 'w',
        results: [result, { ...result, status: 'failed', result: undefined, error: { message: 'm' } }],
      },
      'results[1].step_uuid',
    ],
  ])('answers 400 for %s, naming %s', async (_, json, field) => {
    const res = await h.api('POST', '/v1/workers/results', { json });
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(fieldPaths(res.body)).toContain(field);
  });

  describe('with authentication: the claim alongside needs worker:claim', () => {
    const SECRET = 'rest-batch-secret-0123456789-0123456789';
    let authed: FastifyInstance;

    beforeAll(async () => {
      const auth = {
        ...h.config.auth,
        enabled: true,
        jwt: { ...h.config.auth.jwt, hs256_secret: SECRET, algorithms: ['HS256'] },
      } as Config['auth'];
      authed = await buildRestApp(h.services, { ...h.config, auth } as Config, {
        authenticate: createAuthenticator(auth),
      });
      await authed.ready();
    });

    afterAll(async () => {
      await authed?.close();
    });

    async function post(permissions: string[], json: object) {
      const { issuer, audience } = h.config.auth.jwt;
      const token = await mintToken('HS256', createSecretKey(Buffer.from(SECRET)), {
        issuer,
        audience,
        subject: 'batch',
        permissions,
      });
      const res = await authed.inject({
        method: 'POST',
        url: '/v1/workers/results',
        headers: { authorization: `Bearer ${token}` },
        payload: json,
      });
      return { status: res.statusCode, body: res.json() };
    }

    it('refuses a claim without worker:claim and applies nothing; a result-only batch or a claim of 0 needs only worker:report', async () => {
      const [a] = await claimFirstSteps('w-batch-auth', 1);
      const report = { step_uuid: a!.step_uuid, lease_token: a!.lease_token, status: 'completed', result: 1 };
      const claim = { max_steps: 1, namespaces: [NAMESPACE], handler_names: ['Billing.ComputeTax'] };

      const denied = await post(['worker:report'], { worker_id: 'w-batch-auth', results: [report], claim });
      expect([denied.status, denied.body.error.code, denied.body.error.details]).toEqual([
        403,
        'PERMISSION_DENIED',
        { permission: 'worker:claim' },
      ]);
      expect(denied.body.error.message).toContain('worker:claim');
      expect((await h.services.steps.get(TEST_PRINCIPAL, a!.task_uuid, a!.step_uuid)).state).toBe('in_progress');

      expect((await post(['worker:claim'], { worker_id: 'w-batch-auth', results: [report] })).status).toBe(403);

      const zero = await post(['worker:report'], {
        worker_id: 'w-batch-auth',
        results: [report],
        claim: { ...claim, max_steps: 0 },
      });
      expect([zero.status, zero.body.outcomes[0].outcome, zero.body.steps]).toEqual([200, 'ok', []]);

      const both = await post(['worker:report', 'worker:claim'], { worker_id: 'w-batch-auth', results: [], claim });
      expect([both.status, both.body.steps.map((s: { task_uuid: string }) => s.task_uuid)]).toEqual([
        200,
        [a!.task_uuid],
      ]);
    });
  });
});

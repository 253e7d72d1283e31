// The worker protocol over HTTP: register, list, claim (long-poll, disconnect), heartbeat, complete,
// fail, release, and the fencing of stale lease tokens.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClaimResponseSchema, LeaseStatesResponseSchema, StepResultAckSchema, WorkerSchema } from '@tasker/shared/schemas/rest/index';
import type { Services } from '../../src/services/types.js';
import { MISSING_UUID, claimSteps, createLinearTask, registerLinearTemplate, useRestHarness } from './rest-helpers.js';

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
      json: { worker_id: 'w-reg', hostname: 'host-1', version: '1.2.3', namespaces: ['billing'], handlers: ['Billing.LoadInvoice'], metadata: { pid: 1 } },
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
      json: { worker_id: 'w-1', leases: [{ step_uuid: step!.step_uuid, lease_token: step!.lease_token }, { step_uuid: MISSING_UUID, lease_token: randomUUID() }] },
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
      json: { worker_id: 'w-1', step_uuid: step!.step_uuid, lease_token: step!.lease_token, result: { ok: true }, execution_time_ms: 3 },
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
    ['/v1/workers/heartbeat', { worker_id: 'w', leases: [{ step_uuid: 'nope', lease_token: MISSING_UUID }] }, 'body.leases[0].step_uuid'],
    ['/v1/workers/heartbeat', { worker_id: 'w', leases: [{ step_uuid: MISSING_UUID, lease_token: 'not-a-token' }] }, 'body.leases[0].lease_token'],
    ['/v1/workers/complete', { worker_id: 'w', step_uuid: MISSING_UUID, lease_token: MISSING_UUID }, 'body.result'],
    ['/v1/workers/complete', { worker_id: 'w', step_uuid: MISSING_UUID, lease_token: 'stale', result: 1 }, 'body.lease_token'],
    ['/v1/workers/fail', { worker_id: 'w', step_uuid: MISSING_UUID, lease_token: MISSING_UUID, error: { retryable: true } }, 'body.error.message'],
    ['/v1/workers/release', { worker_id: 'w' }, 'body.leases'],
  ])('%s answers 400 naming %s', async (path, json, field) => {
    const res = await h.api('POST', path, { json });
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toContain(field);
  });
});

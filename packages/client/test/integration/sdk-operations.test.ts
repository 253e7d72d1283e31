// Every SDK operation against a real orchestration, once per transport: the same scenario, the same
// assertions, the same error codes.
import type { TaskStatusEvent } from '@tasker/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transitionHistory } from '../../../orchestration/test/integration/helpers/runtime.js';
import { TaskerError, createClient, type TaskerClient, type Transport } from '../../src/index.js';
import {
  LINEAR,
  LINEAR_STEPS,
  LINEAR_YAML,
  MISSING_UUID,
  claimStep,
  completeStep,
  linearInput,
} from './helpers/scenario.js';
import { TEST_API_KEY, startTestServers, type TestServers } from './helpers/servers.js';

let servers: TestServers;
beforeAll(async () => {
  servers = await startTestServers({ auth: true });
});
afterAll(async () => {
  await servers?.stop();
});

describe.each(['rest', 'grpc'] as const)('SDK over %s', (transport: Transport) => {
  let client: TaskerClient;
  const workerId = `sdk-worker-${transport}`;
  beforeAll(() => {
    client = createClient({
      transport,
      address: servers.address[transport],
      apiKey: TEST_API_KEY,
      retry: { baseMs: 10 },
    });
  });
  afterAll(async () => {
    await client?.close();
  });

  it('health and config', async () => {
    expect((await client.health.live()).status).toBe('alive');
    // The readiness probe of a just-started runtime may not have run yet.
    let ready = await client.health.ready();
    for (let i = 0; ready.status !== 'ready' && i < 50; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await client.health.ready();
    }
    expect(ready.status).toBe('ready');
    expect(Object.values(ready.checks).every((c) => c.status === 'healthy')).toBe(true);
    expect((await client.health.detailed()).info?.operationalState).toBe('normal');
    const config = await client.config.get();
    expect(config).toHaveProperty('metadata.environment', 'test');
    expect(JSON.stringify(config)).not.toContain(TEST_API_KEY);
  });

  it('templates: register, list, get, validate', async () => {
    const [registration] = await client.templates.register([LINEAR_YAML]);
    expect(registration).toMatchObject({ ...LINEAR });
    expect(['created', 'unchanged']).toContain(registration?.outcome);
    const list = await client.templates.list({ namespace: 'billing' });
    expect(list.templates).toContainEqual(expect.objectContaining({ ...LINEAR, stepCount: 4 }));
    const template = await client.templates.get(LINEAR.namespace, LINEAR.name, LINEAR.version);
    expect(template.definition.steps.map((s) => [s.name, s.dependencies])).toEqual([
      ['load_invoice', []],
      ['compute_tax', ['load_invoice']],
      ['charge_card', ['compute_tax']],
      ['send_receipt', ['charge_card']],
    ]);
    expect(await client.templates.validate(LINEAR_YAML)).toEqual({ valid: true, errors: [] });
    const invalid = await client.templates.validate({
      name: 'x',
      namespace_name: 'billing',
      version: '1.0.0',
      steps: [{ name: 'a', handler: { callable: 'A' }, dependencies: ['missing'] }],
    });
    expect(invalid.valid).toBe(false);
    expect(invalid.errors.some((e) => e.path.startsWith('steps[0].dependencies'))).toBe(true);
  });

  it('tasks, steps and the worker protocol through an error, a DLQ investigation, a reset and a resume', async () => {
    const key = `idem-${transport}-${Date.now()}`;
    const task = await client.tasks.create(linearInput({ idempotencyKey: key, tags: ['sdk', transport], priority: 5 }));
    expect(task).toMatchObject({ ...LINEAR, initiator: 'client-tests', priority: 5, tags: ['sdk', transport] });
    await expect(client.tasks.create(linearInput({ idempotencyKey: key }))).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });

    expect((await client.tasks.get(task.taskUuid)).taskUuid).toBe(task.taskUuid);
    const withSteps = await client.tasks.getWithSteps(task.taskUuid);
    expect(withSteps.steps.map((s) => s.name)).toEqual([...LINEAR_STEPS]);
    const page = await client.tasks.list({ namespace: 'billing', tags: [transport], limit: 10 });
    expect(page.items.map((t) => t.taskUuid)).toContain(task.taskUuid);
    expect(page.limit).toBe(10);
    expect((await client.tasks.getContext(task.taskUuid)).inputs).toEqual({ invoice_id: 42 });

    const worker = await client.workers.register({
      workerId,
      hostname: 'test-host',
      version: '1.0.0',
      namespaces: ['billing'],
      handlers: [],
      metadata: { transport },
    });
    expect(worker).toMatchObject({ workerId, live: true });
    expect((await client.workers.list()).map((w) => w.workerId)).toContain(workerId);

    const first = await claimStep(client, workerId, task.taskUuid, 'load_invoice');
    expect(first).toMatchObject({ stepName: 'load_invoice', attempt: 1, context: { invoice_id: 42 } });
    const [lease] = await client.workers.heartbeat({
      workerId,
      leases: [{ stepUuid: first.stepUuid, leaseToken: first.leaseToken }],
    });
    expect(lease).toMatchObject({ stepUuid: first.stepUuid, status: 'valid' });
    const ack = await client.workers.complete({
      workerId,
      stepUuid: first.stepUuid,
      leaseToken: first.leaseToken,
      result: { amount: 100 },
      executionTimeMs: 7,
      metadata: null,
    });
    expect(ack).toMatchObject({ stepUuid: first.stepUuid, nextRetryAt: null });
    // A result with the old lease is refused: the step already moved on.
    await expect(
      client.workers.complete({
        workerId,
        stepUuid: first.stepUuid,
        leaseToken: first.leaseToken,
        result: null,
        executionTimeMs: 1,
        metadata: null,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const tax = await claimStep(client, workerId, task.taskUuid, 'compute_tax');
    expect(tax.parentResults).toEqual({ load_invoice: { amount: 100 } });
    const [released] = await client.workers.release({
      workerId,
      leases: [{ stepUuid: tax.stepUuid, leaseToken: tax.leaseToken }],
    });
    expect(released).toMatchObject({ stepUuid: tax.stepUuid });
    await completeStep(client, workerId, task.taskUuid, 'compute_tax', { tax: 20 });

    const charge = await claimStep(client, workerId, task.taskUuid, 'charge_card');
    const failed = await client.workers.fail({
      workerId,
      stepUuid: charge.stepUuid,
      leaseToken: charge.leaseToken,
      error: {
        message: 'card declined',
        errorType: 'Declined',
        retryable: false,
        retryAfterSeconds: null,
        statusCode: 402,
        backtrace: null,
        context: null,
      },
      executionTimeMs: 4,
    });
    expect(failed.stepState).toBe('error');
    const errored = await waitFor(client, task.taskUuid, 'error');
    expect(errored.execution.failedSteps).toBe(1);

    const summary = await client.tasks.summary(task.taskUuid);
    expect(summary.dlq).toMatchObject({ inDlq: true, dlqReason: 'max_retries_exceeded' });
    expect(summary.template.steps.map((s) => s.name)).toEqual([...LINEAR_STEPS]);
    const entry = await client.dlq.getByTask(task.taskUuid);
    expect(entry).toMatchObject({
      taskUuid: task.taskUuid,
      reason: 'max_retries_exceeded',
      resolutionStatus: 'pending',
    });
    expect(
      (await client.dlq.list({ reason: 'max_retries_exceeded', limit: 100 })).map((e) => e.dlqEntryUuid),
    ).toContain(entry.dlqEntryUuid);
    expect(
      (await client.dlq.stats()).find((s) => s.reason === 'max_retries_exceeded')?.totalEntries,
    ).toBeGreaterThanOrEqual(1);
    expect((await client.dlq.investigationQueue(100)).map((i) => i.dlqEntryUuid)).toContain(entry.dlqEntryUuid);
    expect(Array.isArray(await client.dlq.staleness(10))).toBe(true);
    const updated = await client.dlq.update(entry.dlqEntryUuid, {
      resolutionNotes: 'card expired; customer updated it',
      metadata: { ticket: 'OPS-1' },
    });
    expect(updated).toMatchObject({
      resolutionNotes: 'card expired; customer updated it',
      metadata: { ticket: 'OPS-1' },
    });

    const audit = await client.steps.audit(task.taskUuid, charge.stepUuid);
    expect(audit[0]).toMatchObject({ action: 'worker_result', success: false, stepName: 'charge_card' });
    const reset = await client.steps.applyManualAction(task.taskUuid, charge.stepUuid, {
      type: 'reset_for_retry',
      reason: 'card updated',
      performedBy: 'ops',
    });
    expect(reset).toMatchObject({ state: 'pending', attempts: 0 });
    await expect(
      client.steps.applyManualAction(task.taskUuid, charge.stepUuid, {
        type: 'reset_for_retry',
        reason: 'again',
        performedBy: 'ops',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const resumed = await client.tasks.resume(task.taskUuid, { performedBy: 'ops', reason: 'card updated' });
    expect(resumed.state).not.toBe('error');
    await completeStep(client, workerId, task.taskUuid, 'charge_card');

    const receipt = (await client.steps.list(task.taskUuid)).find((s) => s.name === 'send_receipt');
    await waitForStep(client, task.taskUuid, receipt!.stepUuid, 'enqueued');
    const manual = await client.steps.applyManualAction(task.taskUuid, receipt!.stepUuid, {
      type: 'complete_manually',
      reason: 'sent by hand',
      performedBy: 'ops',
      result: { sent: true },
      metadata: { channel: 'email' },
    });
    expect(manual.state).toBe('complete');
    expect((await client.steps.get(task.taskUuid, receipt!.stepUuid)).state).toBe('complete');
    await waitFor(client, task.taskUuid, 'complete');

    // One watch replays the whole history of the resumed task: through the superseded `error` and the resume to
    // the final state. A watch started from the error's cursor continues from there too.
    const events: TaskStatusEvent[] = [];
    for await (const event of client.tasks.watch(task.taskUuid, { includeSteps: true })) events.push(event);
    expect(events.some((e) => e.type === 'task_error')).toBe(true);
    const errorEvent = events.find((e) => e.type === 'task_error')!;
    const fromError: TaskStatusEvent[] = [];
    for await (const event of client.tasks.watch(task.taskUuid, {
      includeSteps: true,
      afterEventId: errorEvent.eventId,
    }))
      fromError.push(event);
    expect(fromError.map((e) => e.eventId)).toEqual(
      events.filter((e) => e.eventId > errorEvent.eventId).map((e) => e.eventId),
    );
    const history = await transitionHistory(servers.runtime.sql, task.taskUuid);
    const expected = [...history.task, ...[...history.steps.values()].flat()]
      .map((r) => r.eventId)
      .sort((a, b) => a - b);
    expect(events.map((e) => e.eventId)).toEqual(expected);
    expect(events.at(-1)?.taskState).toBe('complete');
  });

  it('workers.reportResults: outcomes in order, a claim alongside, and VALIDATION_FAILED naming the field', async () => {
    const task = await client.tasks.create(linearInput());
    const first = await claimStep(client, workerId, task.taskUuid, 'load_invoice');
    const out = await client.workers.reportResults({
      workerId,
      results: [
        {
          kind: 'completed',
          stepUuid: first.stepUuid,
          leaseToken: first.leaseToken,
          result: { amount: 100 },
          executionTimeMs: 7,
          metadata: { transport },
        },
        {
          kind: 'completed',
          stepUuid: MISSING_UUID,
          leaseToken: first.leaseToken,
          result: null,
          executionTimeMs: null,
          metadata: null,
        },
      ],
      claim: { maxSteps: 50, namespaces: ['billing'], handlerNames: ['Billing.ComputeTax'] },
    });
    expect(out.outcomes).toEqual([
      {
        stepUuid: first.stepUuid,
        outcome: 'ok',
        stepState: 'complete',
        taskState: expect.any(String),
        nextRetryAt: null,
      },
      { stepUuid: MISSING_UUID, outcome: 'not_found', stepState: null, taskState: null, nextRetryAt: null },
    ]);
    const tax = out.claimed.find((s) => s.taskUuid === task.taskUuid);
    expect(tax).toMatchObject({ stepName: 'compute_tax', parentResults: { load_invoice: { amount: 100 } } });
    const others = out.claimed
      .filter((s) => s !== tax)
      .map((s) => ({ stepUuid: s.stepUuid, leaseToken: s.leaseToken }));
    if (others.length > 0) await client.workers.release({ workerId, leases: others });

    const failure = {
      message: 'rate limited',
      errorType: 'http_error',
      retryable: true,
      retryAfterSeconds: 1,
      statusCode: 429,
      backtrace: null,
      context: null,
    };
    const again = await client.workers.reportResults({
      workerId,
      results: [
        { kind: 'failed', stepUuid: tax!.stepUuid, leaseToken: tax!.leaseToken, error: failure, executionTimeMs: 2 },
        {
          kind: 'completed',
          stepUuid: first.stepUuid,
          leaseToken: first.leaseToken,
          result: 1,
          executionTimeMs: null,
          metadata: null,
        },
      ],
      claim: null,
    });
    expect(again.outcomes.map((o) => [o.outcome, o.stepState, o.nextRetryAt instanceof Date])).toEqual([
      ['ok', 'waiting_for_retry', true],
      ['lease_lost', 'complete', false],
    ]);
    expect(again.claimed).toEqual([]);

    const report = {
      kind: 'completed' as const,
      stepUuid: first.stepUuid,
      leaseToken: first.leaseToken,
      result: 1,
      executionTimeMs: null,
      metadata: null,
    };
    const twice = (await client.workers
      .reportResults({ workerId, results: [report, report], claim: null })
      .catch((e: unknown) => e)) as TaskerError;
    expect([twice.code, twice.fields.map((f) => f.path)]).toEqual(['VALIDATION_FAILED', ['results[1].step_uuid']]);
    const malformed = (await client.workers
      .reportResults({ workerId, results: [{ ...report, stepUuid: 'nope' }], claim: null })
      .catch((e: unknown) => e)) as TaskerError;
    expect([malformed.code, malformed.fields.map((f) => f.path)]).toEqual([
      'VALIDATION_FAILED',
      [transport === 'rest' ? 'body.results[0].step_uuid' : 'results[0].step_uuid'],
    ]);
    await client.tasks.cancel(task.taskUuid);
  });

  it('cancel, and INVALID_STATE for a finished task', async () => {
    const task = await client.tasks.create(linearInput());
    const cancelled = await client.tasks.cancel(task.taskUuid, { reason: 'not needed', performedBy: 'ops' });
    expect(cancelled.state).toBe('cancelled');
    const error = await client.tasks.cancel(task.taskUuid).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskerError);
    expect(error).toMatchObject({ code: 'INVALID_STATE', transport, status: transport === 'rest' ? 409 : 9 });
  });

  it('options, a manual DLQ entry, and closing an errored task as resolved_manually', async () => {
    const task = await client.tasks.create(linearInput({ options: { channel: transport, note: 'é' } }));
    expect(task.options).toEqual({ channel: transport, note: 'é' });
    expect((await client.tasks.get(task.taskUuid)).options).toEqual({ channel: transport, note: 'é' });
    const tooLong = (await client.tasks
      .create(linearInput({ options: { mode: 'x'.repeat(5000) } }))
      .catch((e: unknown) => e)) as TaskerError;
    expect([tooLong.code, tooLong.fields.map((f) => f.path)]).toEqual(['VALIDATION_FAILED', ['options.mode']]);

    const entry = await client.dlq.create(task.taskUuid, { performedBy: 'ops', reason: 'customer says stuck' });
    expect(entry).toMatchObject({
      taskUuid: task.taskUuid,
      reason: 'manual_dlq',
      originalState: 'steps_in_process',
      resolutionStatus: 'pending',
    });
    await expect(client.dlq.create(task.taskUuid, { performedBy: 'ops', reason: 'again' })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await expect(
      client.tasks.resolve(task.taskUuid, { performedBy: 'ops', reason: 'too early' }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE' });

    await completeStep(client, workerId, task.taskUuid, 'load_invoice');
    await completeStep(client, workerId, task.taskUuid, 'compute_tax');
    const charge = await claimStep(client, workerId, task.taskUuid, 'charge_card');
    await client.workers.fail({
      workerId,
      stepUuid: charge.stepUuid,
      leaseToken: charge.leaseToken,
      executionTimeMs: 1,
      error: {
        message: 'declined',
        errorType: 'Declined',
        retryable: false,
        retryAfterSeconds: null,
        statusCode: 402,
        backtrace: null,
        context: null,
      },
    });
    await waitFor(client, task.taskUuid, 'error');
    const closed = await client.tasks.resolve(task.taskUuid, { performedBy: 'ops', reason: 'refunded by hand' });
    expect(closed).toMatchObject({ state: 'resolved_manually', options: { channel: transport, note: 'é' } });
    expect(closed.execution).toMatchObject({ completedSteps: 2, failedSteps: 1, cancelledSteps: 1 });
    // The open entry (the manual one: the give-up found it and opened none) is closed by the resolve.
    expect(await client.dlq.getByTask(task.taskUuid)).toMatchObject({
      dlqEntryUuid: entry.dlqEntryUuid,
      resolutionStatus: 'manually_resolved',
      resolvedBy: 'ops',
      resolutionNotes: 'refunded by hand',
    });
    await expect(client.tasks.resolve(task.taskUuid, { performedBy: 'ops', reason: 'twice' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
  });

  it('decodes NOT_FOUND and VALIDATION_FAILED with the offending field', async () => {
    await expect(client.tasks.get(MISSING_UUID)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: transport === 'rest' ? 404 : 5,
    });
    await expect(client.templates.get('billing', 'nope', '9.9.9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const invalid = (await client.tasks.create(linearInput({ name: '' })).catch((e: unknown) => e)) as TaskerError;
    expect(invalid).toMatchObject({ code: 'VALIDATION_FAILED', status: transport === 'rest' ? 400 : 3 });
    // REST names the request part the field is in (`body.`), gRPC has only the message.
    expect(invalid.fields.map((f) => f.path)).toContain(transport === 'rest' ? 'body.name' : 'name');
    const badContext = (await client.tasks
      .create(linearInput({ context: { invoice_id: 'x' } }))
      .catch((e: unknown) => e)) as TaskerError;
    expect(badContext.code).toBe('VALIDATION_FAILED');
    expect(badContext.fields.some((f) => f.path.startsWith('context'))).toBe(true);
  });

  it('analytics', async () => {
    const performance = await client.analytics.performance(0);
    expect(performance.windowHours).toBe(0);
    expect(performance.totalTasks).toBeGreaterThanOrEqual(2);
    const bottlenecks = await client.analytics.bottlenecks({ limit: 5, minExecutions: 1, hours: 0 });
    expect(bottlenecks.windowHours).toBe(0);
    expect(bottlenecks.resourceUtilization.taskCounts.total).toBeGreaterThanOrEqual(2);
  });

  it('apiKeys: create, list without the plain key, revoke', async () => {
    const created = await client.apiKeys.create({
      description: `sdk-${transport}`,
      permissions: ['tasks:read'],
      namespaces: null,
      expiresAt: null,
    });
    expect(created.key.length).toBeGreaterThanOrEqual(16);
    expect(created.apiKey).toMatchObject({
      description: `sdk-${transport}`,
      permissions: ['tasks:read'],
      revokedAt: null,
    });
    const listed = await client.apiKeys.list();
    expect(listed.find((k) => k.keyUuid === created.apiKey.keyUuid)).toMatchObject({ description: `sdk-${transport}` });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    const revoked = await client.apiKeys.revoke(created.apiKey.keyUuid);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    await expect(client.apiKeys.revoke(MISSING_UUID)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a missing credential with UNAUTHENTICATED', async () => {
    const anonymous = createClient({ transport, address: servers.address[transport] });
    try {
      await expect(anonymous.tasks.list()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect((await anonymous.health.live()).status).toBe('alive');
    } finally {
      await anonymous.close();
    }
  });
});

async function waitFor(client: TaskerClient, taskUuid: string, state: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const task = await client.tasks.get(taskUuid);
    if (task.state === state) return task;
    if (Date.now() > deadline) throw new Error(`task is ${task.state}, not ${state}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function waitForStep(client: TaskerClient, taskUuid: string, stepUuid: string, state: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await client.steps.get(taskUuid, stepUuid)).state !== state) {
    if (Date.now() > deadline) throw new Error(`step never reached ${state}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

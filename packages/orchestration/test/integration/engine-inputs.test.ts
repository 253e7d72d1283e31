// Bad inputs get the right AppError code and write nothing; templates register idempotently; identity
// strategies; namespace scoping; read models.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachTestRuntime,
  readFixtureTemplate,
  registerFixtureTemplate,
  startTestRuntime,
  TEST_PRINCIPAL,
  type TestRuntime,
} from './helpers/runtime.js';

let rt: TestRuntime;
const LINEAR = {
  namespace: 'billing',
  name: 'invoice_settlement',
  version: '1.0.0',
  initiator: 'i',
  sourceSystem: 's',
  reason: 'r',
};
const STRICT = {
  name: 'strict_flow',
  namespace_name: 'idem',
  version: '1.0.0',
  steps: [{ name: 'only', handler: { callable: 'Idem.Only' } }],
};
const CALLER = { ...STRICT, name: 'caller_flow', identity_strategy: 'caller_provided' };

beforeAll(async () => {
  rt = await startTestRuntime();
  await registerFixtureTemplate(rt.services, 'linear');
  await registerFixtureTemplate(rt.services, 'diamond');
  await rt.services.templates.register(TEST_PRINCIPAL, [STRICT, CALLER], { force: false });
});

afterAll(async () => {
  await rt?.stop();
});

async function rowCounts(): Promise<Record<string, number>> {
  const [row] = await rt.sql<Record<string, number>[]>`
    SELECT (SELECT count(*)::int FROM tasker.tasks) AS tasks, (SELECT count(*)::int FROM tasker.steps) AS steps,
           (SELECT count(*)::int FROM tasker.step_edges) AS edges,
           (SELECT count(*)::int FROM tasker.task_transitions) AS task_transitions,
           (SELECT count(*)::int FROM tasker.step_transitions) AS step_transitions,
           (SELECT count(*)::int FROM tasker.step_audit) AS audit,
           (SELECT count(*)::int FROM tasker.templates) AS templates,
           (SELECT count(*)::int FROM tasker.dlq_entries) AS dlq`;
  if (row === undefined) throw new Error('no counts');
  return row;
}

/** Runs `action`, expects it to reject with `code`, and checks that no row was written. */
async function expectRejectedWithoutWrites(action: () => Promise<unknown>, code: string): Promise<unknown> {
  const before = await rowCounts();
  const err = await action().then(
    () => {
      throw new Error(`expected ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code });
  expect(await rowCounts()).toEqual(before);
  return err;
}

describe('bad inputs write nothing', () => {
  it('unknown template → NOT_FOUND', async () => {
    await expectRejectedWithoutWrites(
      () => rt.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, version: '9.9.9', context: { invoice_id: 1 } }),
      'NOT_FOUND',
    );
  });

  it('context failing the input_schema → VALIDATION_FAILED naming context fields', async () => {
    const err = await expectRejectedWithoutWrites(
      () => rt.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: 'seven', extra: true } }),
      'VALIDATION_FAILED',
    );
    expect(err).toMatchObject({ details: { fields: [{ path: 'context.invoice_id', message: 'must be integer' }] } });
    await expectRejectedWithoutWrites(
      () => rt.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: {} }),
      'VALIDATION_FAILED',
    );
  });

  it('cyclic template → VALIDATION_FAILED with the cycle path', async () => {
    const err = await expectRejectedWithoutWrites(
      () => rt.services.templates.register(TEST_PRINCIPAL, [readFixtureTemplate('cyclic')], { force: false }),
      'VALIDATION_FAILED',
    );
    expect(JSON.stringify(err)).toMatch(/b -> d -> c -> b/);
    expect(await rt.services.templates.validate(TEST_PRINCIPAL, readFixtureTemplate('cyclic'))).toMatchObject({
      valid: false,
    });
  });

  it('unknown step, or a step of another task → NOT_FOUND; unknown task → NOT_FOUND', async () => {
    const a = await rt.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: 1 } });
    const b = await rt.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: 2 } });
    const [stepOfB] = await rt.services.steps.list(TEST_PRINCIPAL, b.taskUuid);
    if (stepOfB === undefined) throw new Error('no steps');
    const action = { type: 'resolve_manually' as const, reason: 'x', performedBy: 'op' };
    await expectRejectedWithoutWrites(
      () => rt.services.steps.get(TEST_PRINCIPAL, a.taskUuid, stepOfB.stepUuid),
      'NOT_FOUND',
    );
    await expectRejectedWithoutWrites(
      () => rt.services.steps.applyManualAction(TEST_PRINCIPAL, a.taskUuid, stepOfB.stepUuid, action),
      'NOT_FOUND',
    );
    await expectRejectedWithoutWrites(
      () =>
        rt.services.steps.applyManualAction(TEST_PRINCIPAL, a.taskUuid, '0190a4f0-5a1b-7c3d-8e4f-0000000000ff', action),
      'NOT_FOUND',
    );
    await expectRejectedWithoutWrites(
      () => rt.services.tasks.get(TEST_PRINCIPAL, '0190a4f0-5a1b-7c3d-8e4f-0000000000ff'),
      'NOT_FOUND',
    );
    await expectRejectedWithoutWrites(() => rt.services.tasks.get(TEST_PRINCIPAL, 'not-a-uuid'), 'VALIDATION_FAILED');
  });

  it('a manual action the step machine forbids → INVALID_STATE; resume of a running task → INVALID_STATE', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: 3 } });
    const [first] = await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid);
    if (first === undefined) throw new Error('no steps');
    await expectRejectedWithoutWrites(
      () =>
        rt.services.steps.applyManualAction(TEST_PRINCIPAL, task.taskUuid, first.stepUuid, {
          type: 'reset_for_retry',
          reason: 'x',
          performedBy: 'op',
        }),
      'INVALID_STATE',
    );
    await expectRejectedWithoutWrites(
      () => rt.services.tasks.resume(TEST_PRINCIPAL, task.taskUuid, { performedBy: 'op', reason: 'x' }),
      'INVALID_STATE',
    );
  });
});

describe('identity', () => {
  it('strict identity dedups equal contexts (any key order); a duplicate is ALREADY_EXISTS with the existing uuid', async () => {
    const base = {
      namespace: 'idem',
      name: 'strict_flow',
      version: '1.0.0',
      initiator: 'i',
      sourceSystem: 's',
      reason: 'r',
    };
    const first = await rt.services.tasks.create(TEST_PRINCIPAL, { ...base, context: { a: 1, b: { c: 2, d: 3 } } });
    const err = await expectRejectedWithoutWrites(
      () => rt.services.tasks.create(TEST_PRINCIPAL, { ...base, context: { b: { d: 3, c: 2 }, a: 1 } }),
      'ALREADY_EXISTS',
    );
    expect(err).toMatchObject({ details: { task_uuid: first.taskUuid } });
    // An idempotency key always wins over the strategy.
    const keyed = await rt.services.tasks.create(TEST_PRINCIPAL, {
      ...base,
      context: { a: 1, b: { c: 2, d: 3 } },
      idempotencyKey: 'k-1',
    });
    expect(keyed.idempotencyKey).toBe('k-1');
    await expectRejectedWithoutWrites(
      () => rt.services.tasks.create(TEST_PRINCIPAL, { ...base, context: { other: true }, idempotencyKey: 'k-1' }),
      'ALREADY_EXISTS',
    );
  });

  it('caller_provided requires an idempotency key', async () => {
    const base = {
      namespace: 'idem',
      name: 'caller_flow',
      version: '1.0.0',
      initiator: 'i',
      sourceSystem: 's',
      reason: 'r',
      context: {},
    };
    const err = await expectRejectedWithoutWrites(
      () => rt.services.tasks.create(TEST_PRINCIPAL, base),
      'VALIDATION_FAILED',
    );
    expect(err).toMatchObject({ details: { fields: [{ path: 'idempotency_key' }] } });
    await rt.services.tasks.create(TEST_PRINCIPAL, { ...base, idempotencyKey: 'order-1' });
  });
});

describe('templates', () => {
  it('identical re-registration is unchanged; changed content is INVALID_STATE unless forced', async () => {
    expect(await registerFixtureTemplate(rt.services, 'linear')).toMatchObject({ outcome: 'unchanged' });
    const changed = readFixtureTemplate('diamond').replace('retry: {max_attempts: 5}', 'retry: {max_attempts: 6}');
    await expectRejectedWithoutWrites(
      () => rt.services.templates.register(TEST_PRINCIPAL, [changed], { force: false }),
      'INVALID_STATE',
    );
    expect(await rt.services.templates.register(TEST_PRINCIPAL, [changed], { force: true })).toEqual([
      { namespace: 'media', name: 'media_ingest', version: '2.1.0', outcome: 'updated', warnings: [] },
    ]);
    const template = await rt.services.templates.get(TEST_PRINCIPAL, 'media', 'media_ingest', '2.1.0');
    expect(template.definition.steps.find((s) => s.name === 'transcribe')?.retry.maxAttempts).toBe(6);
    // The new content is what the next task gets.
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      namespace: 'media',
      name: 'media_ingest',
      version: '2.1.0',
      context: {},
      initiator: 'i',
      sourceSystem: 's',
      reason: 'r',
    });
    const steps = await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid);
    expect(steps.find((s) => s.name === 'transcribe')?.maxAttempts).toBe(6);
  });

  it('lists templates by namespace within the principal scope', async () => {
    const all = await rt.services.templates.list(TEST_PRINCIPAL, {});
    expect(all.templates.map((t) => `${t.namespace}/${t.name}`)).toEqual(
      expect.arrayContaining(['billing/invoice_settlement', 'media/media_ingest', 'idem/strict_flow']),
    );
    const scoped = await rt.services.templates.list({ ...TEST_PRINCIPAL, namespaces: ['billing'] }, {});
    expect(scoped).toMatchObject({
      totalCount: 1,
      namespaces: [{ name: 'billing', templateCount: 1 }],
      templates: [{ stepCount: 4 }],
    });
    await expect(
      rt.services.templates.get({ ...TEST_PRINCIPAL, namespaces: ['billing'] }, 'media', 'media_ingest', '2.1.0'),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('read models and scope', () => {
  it('stores and returns every creation field; lists filter by every field and count the total', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      ...LINEAR,
      context: { invoice_id: 42 },
      tags: ['vip', 'eu'],
      priority: 7,
      initiator: 'alice',
      sourceSystem: 'shop',
      reason: 'order 42',
      correlationId: '0190a4f0-5a1b-7c3d-8e4f-000000000042',
      parentCorrelationId: '0190a4f0-5a1b-7c3d-8e4f-000000000041',
    });
    expect(task).toMatchObject({
      tags: ['vip', 'eu'],
      priority: 7,
      initiator: 'alice',
      sourceSystem: 'shop',
      reason: 'order 42',
      correlationId: '0190a4f0-5a1b-7c3d-8e4f-000000000042',
      parentCorrelationId: '0190a4f0-5a1b-7c3d-8e4f-000000000041',
      execution: {
        totalSteps: 4,
        pendingSteps: 3,
        readySteps: 1,
        executionStatus: 'has_ready_steps',
        recommendedAction: 'execute_ready_steps',
        healthStatus: 'healthy',
      },
    });
    const page = await rt.services.tasks.list(TEST_PRINCIPAL, {
      namespace: 'billing',
      states: ['steps_in_process'],
      tags: ['vip'],
      initiator: 'alice',
      sourceSystem: 'shop',
      limit: 10,
      offset: 0,
    });
    expect(page.items.map((t) => t.taskUuid)).toEqual([task.taskUuid]);
    expect(page.total).toBe(1);
    const all = await rt.services.tasks.list(TEST_PRINCIPAL, { limit: 2, offset: 0 });
    expect(all.items).toHaveLength(2);
    expect(all.total).toBeGreaterThan(2);
    expect((await rt.services.tasks.list(TEST_PRINCIPAL, { limit: 2, offset: 10_000 })).total).toBe(all.total);

    const withSteps = await rt.services.tasks.getWithSteps(TEST_PRINCIPAL, task.taskUuid);
    expect(
      withSteps.steps.map((s) => [s.name, s.state, s.readyForExecution, s.dependenciesSatisfied, s.totalParents]),
    ).toEqual([
      ['load_invoice', 'enqueued', true, true, 0],
      ['compute_tax', 'pending', false, false, 1],
      ['charge_card', 'pending', false, false, 1],
      ['send_receipt', 'pending', false, false, 1],
    ]);
    const context = await rt.services.tasks.getContext(TEST_PRINCIPAL, task.taskUuid);
    expect(context).toEqual({
      taskUuid: task.taskUuid,
      inputs: { invoice_id: 42 },
      outputs: {},
      merged: { invoice_id: 42 },
    });
    const summary = await rt.services.tasks.summary(TEST_PRINCIPAL, task.taskUuid);
    expect(summary.template.steps.map((s) => [s.name, s.maxAttempts, s.retryable])).toEqual([
      ['load_invoice', 3, true],
      ['compute_tax', 3, true],
      ['charge_card', 1, false],
      ['send_receipt', 3, true],
    ]);
    expect(summary.dlq).toEqual({ inDlq: false, dlqReason: null, resolutionStatus: null });

    const outsider = { ...TEST_PRINCIPAL, namespaces: ['media'] };
    await expect(rt.services.tasks.get(outsider, task.taskUuid)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      rt.services.tasks.cancel(outsider, task.taskUuid, { reason: null, performedBy: null }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await rt.services.tasks.list(outsider, { namespace: 'billing', limit: 10, offset: 0 })).total).toBe(0);
    await expect(rt.services.tasks.create(outsider, { ...LINEAR, context: { invoice_id: 1 } })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('start-up and backpressure', () => {
  it('registers templates.dir at start; a bad file is reported in health and does not stop the others', async () => {
    const dir = fileURLToPath(new URL('../fixtures/templates/', import.meta.url));
    const other = await attachTestRuntime(rt, { templates: { dir } });
    try {
      const names = (await other.services.templates.list(TEST_PRINCIPAL, {})).templates.map((t) => t.name);
      expect(names).toEqual(
        expect.arrayContaining(['report_rollup', 'customer_onboarding', 'flaky_chain', 'invoice_settlement']),
      );
      expect(names).not.toContain('cyclic');
      const health = await other.services.health.detailed();
      expect(health.checks['templates_dir']).toMatchObject({
        status: 'degraded',
        message: expect.stringMatching(/cyclic\.yaml: VALIDATION_FAILED/),
      });
      expect((await other.services.health.ready()).status).toBe('ready');
    } finally {
      await other.stop();
    }
  });

  it('refuses task creation with BACKPRESSURE once too many steps wait for workers', async () => {
    const other = await attachTestRuntime(rt, { backpressure: { max_pending_steps: 1, retry_after_seconds: 7 } });
    try {
      // Unclaimed ready steps on the shared database (created by the uncapped runtime).
      await rt.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: 77 } });
      const deadline = Date.now() + 3000;
      let err: unknown;
      while (err === undefined && Date.now() < deadline) {
        err = await other.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: 78 } }).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (err === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(err).toMatchObject({ code: 'BACKPRESSURE', retryAfterSeconds: 7, details: { max_queue_depth: 1 } });
    } finally {
      await other.stop();
    }
  });
});

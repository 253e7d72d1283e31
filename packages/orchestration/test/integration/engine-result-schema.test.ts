// result_schema enforcement in the service layer (engine/result-schemas.ts), with the template cache on (as in
// production, unlike the test overlay): what it costs when no template declares a schema and when one does,
// results claimed on one replica and reported on another, and the batched paths (ReportResults with and
// without a claim alongside). The transports' side is in the parity suite; real worker processes in
// packages/worker/test/integration/e2e-transports.test.ts.
import type { ClaimedStep, JsonValue, StepResultReport } from '@tasker/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResultSchemaEnforcer } from '../../src/engine/result-schemas.js';
import { createTemplateCache } from '../../src/engine/template-cache.js';
import {
  attachTestRuntime,
  invariantViolations,
  registerFixtureTemplate,
  startTestRuntime,
  TEST_PRINCIPAL,
  type TestRuntime,
} from './helpers/runtime.js';

const CACHED = { templates: { cache_ttl_ms: 60_000 }, engine: { lease_seconds: 60 } };
let a: TestRuntime;
let b: TestRuntime;

const SCHEMA_TEMPLATE = `
name: checked
namespace_name: schema_ns
version: 1.0.0
identity_strategy: always_unique
steps:
  - name: produce
    handler: {callable: Schema.Produce}
    dependencies: []
    retry: {retryable: true, max_attempts: 5}
    result_schema:
      type: object
      required: [total, lines]
      additionalProperties: false
      properties:
        total: {type: integer, minimum: 0}
        lines: {type: array, items: {type: object, required: [sku], properties: {sku: {type: string}}}}
  - {name: unchecked, handler: {callable: Schema.Unchecked}, dependencies: []}
  - {name: after, handler: {callable: Schema.After}, dependencies: [produce]}
`;
const GOOD = { total: 2, lines: [{ sku: 'A' }, { sku: 'B' }] };
const BAD = { total: -1, lines: [{ sku: 'A' }, { qty: 2 }], extra: true };

beforeAll(async () => {
  a = await startTestRuntime(CACHED);
  b = await attachTestRuntime(a, CACHED);
  await registerFixtureTemplate(a.services, 'linear');
});

afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

const LINEAR = {
  namespace: 'billing',
  name: 'invoice_settlement',
  version: '1.0.0',
  initiator: 'i',
  sourceSystem: 's',
  reason: 'r',
};
const CHECKED = {
  namespace: 'schema_ns',
  name: 'checked',
  version: '1.0.0',
  context: {},
  initiator: 'i',
  sourceSystem: 's',
  reason: 'r',
};

async function claim(
  rt: TestRuntime,
  namespace: string,
  handler: string,
  max: number,
  workerId = 'w-schema',
): Promise<ClaimedStep[]> {
  const claimed = await rt.services.workers.claim(TEST_PRINCIPAL, {
    workerId,
    namespaces: [namespace],
    handlerNames: [handler],
    maxSteps: max,
    waitMs: 3000,
  });
  if (claimed.length !== max) throw new Error(`claimed ${claimed.length} of ${max} ${handler} steps`);
  return claimed;
}

const completion = (s: ClaimedStep, result: JsonValue): StepResultReport => ({
  kind: 'completed',
  stepUuid: s.stepUuid,
  leaseToken: s.leaseToken,
  result,
  executionTimeMs: 3,
  metadata: null,
});

async function stepOf(rt: TestRuntime, s: ClaimedStep) {
  return rt.services.steps.get(TEST_PRINCIPAL, s.taskUuid, s.stepUuid);
}

describe('when no template declares a result_schema', () => {
  it('costs one small query per cache TTL and no lookup, however many results arrive from other replicas', async () => {
    // An enforcer of its own (a replica that handed out none of these steps), so its counters are this test's.
    const cache = createTemplateCache(a.sql, {
      ttlMs: 60_000,
      defaults: {},
      environment: 'test',
      dynamicLimits: a.config.dynamic,
    });
    const enforcer = createResultSchemaEnforcer(a.sql, cache, { ttlMs: 60_000 });
    for (let i = 0; i < 4; i += 1)
      await a.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: i + 1 } });
    const claimed = await claim(a, 'billing', 'Billing.LoadInvoice', 4);
    const batch = claimed.map((s) => completion(s, { anything: 'goes' }));
    for (let i = 0; i < 25; i += 1) expect(await enforcer.enforce(batch)).toBe(batch);
    expect(enforcer.stats()).toEqual({ remembered: 0, missed: 100, gateQueries: 1, lookups: 0, violations: 0 });
    // The runtime's own path: completions go through as they are.
    const acks = await a.services.workers.reportResults(TEST_PRINCIPAL, {
      workerId: 'w-schema',
      results: batch,
      claim: null,
    });
    expect(acks.outcomes.map((o) => [o.outcome, o.stepState])).toEqual(claimed.map(() => ['ok', 'complete']));
  });
});

describe('when a template declares one', () => {
  beforeAll(async () => {
    // Replica b has just answered "no template declares a result_schema" (cached for 60 s); the registration
    // on a reaches it by NOTIFY, not by waiting for the TTL.
    await a.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: 99 } });
    const [s] = await claim(a, 'billing', 'Billing.LoadInvoice', 1);
    await b.services.workers.complete(TEST_PRINCIPAL, {
      workerId: 'w-schema',
      stepUuid: s!.stepUuid,
      leaseToken: s!.leaseToken,
      result: {},
      executionTimeMs: 1,
      metadata: null,
    });
    await a.services.templates.register(TEST_PRINCIPAL, [SCHEMA_TEMPLATE], { force: false });
  });

  it('fails a violating completion permanently (no retry) with every failing path, on the replica that claimed it', async () => {
    const task = await a.services.tasks.create(TEST_PRINCIPAL, CHECKED);
    const [s] = await claim(a, 'schema_ns', 'Schema.Produce', 1);
    const ack = await a.services.workers.complete(TEST_PRINCIPAL, {
      workerId: 'w-schema',
      stepUuid: s!.stepUuid,
      leaseToken: s!.leaseToken,
      result: BAD,
      executionTimeMs: 4,
      metadata: null,
    });
    // max_attempts 5, retryable: still error after one attempt. The task waits for `unchecked`, then gives up.
    expect(ack).toMatchObject({ stepState: 'error', taskState: 'blocked_by_failures', nextRetryAt: null });
    const step = await stepOf(a, s!);
    expect(step).toMatchObject({
      state: 'error',
      attempts: 1,
      results: null,
      lastError: { errorType: 'result_schema_violation', retryable: false, statusCode: null },
    });
    expect(step.lastError?.message).toBe(
      "result does not match the step's result_schema: /extra is not allowed; /lines/1/sku is required; /total must be >= 0",
    );
    const [audit] = await a.services.steps.audit(TEST_PRINCIPAL, s!.taskUuid, s!.stepUuid);
    expect(audit).toMatchObject({ action: 'worker_result', success: false, executionTimeMs: 4 });
    expect(audit?.result).toMatchObject({
      error_type: 'result_schema_violation',
      retryable: false,
      context: {
        violations: [
          { path: '/extra', message: 'is not allowed' },
          { path: '/lines/1/sku', message: 'is required' },
          { path: '/total', message: 'must be >= 0' },
        ],
        violation_count: 3,
        truncated: false,
      },
    });
    // The task goes on as for any permanent failure: blocked, then error with a DLQ entry once nothing runs.
    const [other] = await claim(a, 'schema_ns', 'Schema.Unchecked', 1);
    expect(other?.taskUuid).toBe(task.taskUuid);
    const last = await a.services.workers.complete(TEST_PRINCIPAL, {
      workerId: 'w-schema',
      stepUuid: other!.stepUuid,
      leaseToken: other!.leaseToken,
      result: 'no schema here',
      executionTimeMs: 1,
      metadata: null,
    });
    expect(last).toMatchObject({ stepState: 'complete', taskState: 'error' });
    expect(await a.services.dlq!.getByTask(TEST_PRINCIPAL, task.taskUuid)).toMatchObject({
      reason: 'max_retries_exceeded',
      resolutionStatus: 'pending',
    });
    expect(await invariantViolations(a.sql, task.taskUuid)).toEqual([]);
  });

  it('enforces it on a replica that did not hand the step out (a lookup), and lets a good result through', async () => {
    await a.services.tasks.create(TEST_PRINCIPAL, CHECKED);
    await a.services.tasks.create(TEST_PRINCIPAL, CHECKED);
    const [good, bad] = (await claim(a, 'schema_ns', 'Schema.Produce', 2)) as [ClaimedStep, ClaimedStep];
    const goodAck = await b.services.workers.complete(TEST_PRINCIPAL, {
      workerId: 'w-schema',
      stepUuid: good.stepUuid,
      leaseToken: good.leaseToken,
      result: GOOD,
      executionTimeMs: 1,
      metadata: null,
    });
    expect(goodAck.stepState).toBe('complete');
    expect((await stepOf(a, good)).results).toEqual(GOOD);
    const badAck = await b.services.workers.complete(TEST_PRINCIPAL, {
      workerId: 'w-schema',
      stepUuid: bad.stepUuid,
      leaseToken: bad.leaseToken,
      result: 'not an object',
      executionTimeMs: 1,
      metadata: null,
    });
    expect(badAck.stepState).toBe('error');
    expect((await stepOf(a, bad)).lastError?.message).toBe(
      "result does not match the step's result_schema: (result) must be object",
    );
  });

  it('converts only the violating result of a batch, with and without a claim alongside', async () => {
    for (let i = 0; i < 4; i += 1) await a.services.tasks.create(TEST_PRINCIPAL, CHECKED);
    const [s1, s2, s3, s4] = (await claim(a, 'schema_ns', 'Schema.Produce', 4)) as ClaimedStep[];
    const plain = await b.services.workers.reportResults(TEST_PRINCIPAL, {
      workerId: 'w-schema',
      results: [completion(s1!, GOOD), completion(s2!, BAD)],
      claim: null,
    });
    expect(plain.outcomes.map((o) => [o.outcome, o.stepState])).toEqual([
      ['ok', 'complete'],
      ['ok', 'error'],
    ]);
    const alongside = await a.services.workers.reportResults(TEST_PRINCIPAL, {
      workerId: 'w-schema',
      results: [completion(s3!, BAD), completion(s4!, GOOD)],
      claim: { maxSteps: 5, namespaces: ['schema_ns'], handlerNames: ['Schema.After'] },
    });
    expect(alongside.outcomes.map((o) => [o.outcome, o.stepState])).toEqual([
      ['ok', 'error'],
      ['ok', 'complete'],
    ]);
    // The good completions released their children (s4's in this very call); the bad ones' never run.
    const released = new Map(alongside.claimed.map((c) => [c.taskUuid, c]));
    expect(released.get(s4!.taskUuid)).toMatchObject({ stepName: 'after', parentResults: { produce: GOOD } });
    expect(released.get(s1!.taskUuid)).toMatchObject({ stepName: 'after', parentResults: { produce: GOOD } });
    expect([released.has(s2!.taskUuid), released.has(s3!.taskUuid)]).toEqual([false, false]);
    expect((await stepOf(a, s3!)).lastError?.errorType).toBe('result_schema_violation');
  });

  it('costs no query for results of steps claimed on this replica; a lookup per batch for the others', async () => {
    const cache = createTemplateCache(a.sql, {
      ttlMs: 60_000,
      defaults: {},
      environment: 'test',
      dynamicLimits: a.config.dynamic,
    });
    const enforcer = createResultSchemaEnforcer(a.sql, cache, { ttlMs: 60_000 });
    await cache.resolve('schema_ns', 'checked', '1.0.0');
    for (let i = 0; i < 3; i += 1) await a.services.tasks.create(TEST_PRINCIPAL, CHECKED);
    const claimed = await claim(a, 'schema_ns', 'Schema.Produce', 3);
    enforcer.noteClaimed(claimed);
    const out = await enforcer.enforce([
      completion(claimed[0]!, GOOD),
      completion(claimed[1]!, BAD),
      completion(claimed[2]!, GOOD),
    ]);
    expect(out.map((r) => r.kind)).toEqual(['completed', 'failed', 'completed']);
    expect(enforcer.stats()).toEqual({ remembered: 3, missed: 0, gateQueries: 0, lookups: 0, violations: 1 });
    // Results nobody here handed out: one lookup per batch (the claims already showed a schema exists, so
    // there is no gate query to make).
    const foreign = await enforcer.enforce(claimed.map((s) => completion(s, BAD)));
    await enforcer.enforce(claimed.map((s) => completion(s, GOOD)));
    expect(foreign.map((r) => r.kind)).toEqual(['failed', 'failed', 'failed']);
    expect(enforcer.stats()).toEqual({ remembered: 3, missed: 6, gateQueries: 0, lookups: 2, violations: 4 });
    // A fresh replica knows nothing: one gate query, then one lookup per batch.
    const fresh = createResultSchemaEnforcer(a.sql, cache, { ttlMs: 60_000 });
    await fresh.enforce(claimed.map((s) => completion(s, GOOD)));
    await fresh.enforce(claimed.map((s) => completion(s, GOOD)));
    expect(fresh.stats()).toEqual({ remembered: 0, missed: 6, gateQueries: 1, lookups: 2, violations: 0 });
    await a.services.workers.reportResults(TEST_PRINCIPAL, {
      workerId: 'w-schema',
      results: claimed.map((s) => completion(s, GOOD)),
      claim: null,
    });
  });
});

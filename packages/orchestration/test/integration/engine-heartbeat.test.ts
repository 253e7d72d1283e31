// Heartbeat answers per (step, token) pair: a stale token listed beside the live one for the same step is `lost`,
// and only the live lease is extended.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerFixtureTemplate, startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => rt?.stop());

it('reports a stale token as lost even when the live token of the same step is in the same heartbeat', async () => {
  const t = await registerFixtureTemplate(rt.services, 'linear');
  await rt.services.tasks.create(TEST_PRINCIPAL, {
    namespace: t.namespace,
    name: t.name,
    version: t.version,
    context: { invoice_id: 7 },
    initiator: 'test',
    sourceSystem: 'test',
    reason: 'heartbeat pairs',
  });
  const [claimed] = await rt.services.workers.claim(TEST_PRINCIPAL, {
    workerId: 'hb-worker',
    namespaces: [t.namespace],
    handlerNames: [],
    maxSteps: 1,
    waitMs: 2000,
  });
  expect(claimed).toBeDefined();
  const stale = randomUUID();
  const states = await rt.services.workers.heartbeat(TEST_PRINCIPAL, {
    workerId: 'hb-worker',
    leases: [
      { stepUuid: claimed!.stepUuid, leaseToken: stale },
      { stepUuid: claimed!.stepUuid, leaseToken: claimed!.leaseToken },
    ],
  });
  expect(states.map((s) => s.status)).toEqual(['lost', 'valid']);
  expect(states[0]!.leaseExpiresAt).toBeNull();
  expect(states[1]!.leaseExpiresAt).toBeInstanceOf(Date);
});

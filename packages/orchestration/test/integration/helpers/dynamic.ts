// Step-by-step driving of dynamic workflows for engine-dynamic-*.test.ts: claim what is ready, complete or fail
// one step by name, read a task's steps and expansion ledger straight from the tables.
import type { ClaimedStep, JsonValue, StepResultAck } from '@tasker/shared';
import type { Sql } from 'postgres';
import { expect } from 'vitest';
import type { Services } from '../../../src/services/types.js';
import { historyProblems, invariantViolations, TEST_PRINCIPAL } from './runtime.js';

export const WORKER = 'dyn-worker';

/** Claims every enqueued step of the namespace (no waiting). */
export async function claimReady(services: Services, namespace: string): Promise<ClaimedStep[]> {
  return services.workers.claim(TEST_PRINCIPAL, {
    workerId: WORKER,
    namespaces: [namespace],
    handlerNames: [],
    maxSteps: 100,
    waitMs: 0,
  });
}

/** Claims what is ready and returns the claimed step of that name (throws when it was not claimable). */
export async function claimByName(
  services: Services,
  namespace: string,
  name: string,
  held: ClaimedStep[] = [],
): Promise<ClaimedStep> {
  const found = held.find((s) => s.stepName === name);
  if (found !== undefined) return found;
  const claimed = await claimReady(services, namespace);
  held.push(...claimed);
  const step = claimed.find((s) => s.stepName === name);
  if (step === undefined)
    throw new Error(`${name} was not claimable (claimed: ${claimed.map((s) => s.stepName).join(', ')})`);
  return step;
}

export function completeStep(services: Services, step: ClaimedStep, result: JsonValue): Promise<StepResultAck> {
  return services.workers.complete(TEST_PRINCIPAL, {
    workerId: WORKER,
    stepUuid: step.stepUuid,
    leaseToken: step.leaseToken,
    result,
    executionTimeMs: 1,
    metadata: null,
  });
}

export function failStep(
  services: Services,
  step: ClaimedStep,
  message: string,
  retryable = false,
): Promise<StepResultAck> {
  return services.workers.fail(TEST_PRINCIPAL, {
    workerId: WORKER,
    stepUuid: step.stepUuid,
    leaseToken: step.leaseToken,
    executionTimeMs: 1,
    error: {
      message,
      errorType: 'handler_error',
      retryable,
      retryAfterSeconds: null,
      statusCode: null,
      backtrace: null,
      context: null,
    },
  });
}

export interface StepRowView {
  name: string;
  state: string;
  step_type: string;
  template_step: string | null;
  created_by: string | null;
  total_parents: number;
  unsatisfied_parents: number;
  held: number;
  initialization: Record<string, JsonValue>;
  results: JsonValue | null;
  last_error: Record<string, JsonValue> | null;
}

/** The task's steps by name (created_by = the creating step's name). */
export async function stepsOf(sql: Sql, taskUuid: string): Promise<Map<string, StepRowView>> {
  const rows = await sql<StepRowView[]>`
    SELECT s.name, s.state, s.step_type, s.template_step, c.name AS created_by, s.total_parents, s.unsatisfied_parents, s.held,
           s.initialization, s.results, s.last_error
    FROM tasker.steps s LEFT JOIN tasker.steps c ON c.step_uuid = s.created_by_step_uuid
    WHERE s.task_uuid = ${taskUuid} ORDER BY s.step_uuid`;
  return new Map(rows.map((r) => [r.name, r]));
}

export async function expansionsOf(
  sql: Sql,
  taskUuid: string,
): Promise<{ trigger_name: string; event: string; outcome_type: string; created_steps: string[] }[]> {
  return sql`SELECT trigger_name, event, outcome_type, created_steps FROM tasker.task_expansions
             WHERE task_uuid = ${taskUuid} ORDER BY event_id`;
}

/** The parents of a step, by name (its edges). */
export async function parentsOf(sql: Sql, taskUuid: string, name: string): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    SELECT p.name FROM tasker.step_edges e
    JOIN tasker.steps c ON c.step_uuid = e.child_step_uuid JOIN tasker.steps p ON p.step_uuid = e.parent_step_uuid
    WHERE c.task_uuid = ${taskUuid} AND c.name = ${name} ORDER BY p.name`;
  return rows.map((r) => r.name);
}

/** Creates a task of `name` (a unique context, so identity never collides). */
export async function startTask(
  services: Services,
  namespace: string,
  name: string,
  context: Record<string, JsonValue> = {},
): Promise<string> {
  const task = await services.tasks.create(TEST_PRINCIPAL, {
    namespace,
    name,
    version: '1.0.0',
    context: { ...context, nonce: Math.random() },
    initiator: 'test',
    sourceSystem: 'vitest',
    reason: 'dynamic',
  });
  return task.taskUuid;
}

/** `n` cursor configs 001… of 10 items each. */
export function cursorConfigs(n: number): JsonValue[] {
  return Array.from({ length: n }, (_, i) => ({
    batch_id: String(i + 1).padStart(3, '0'),
    start_cursor: i * 10,
    end_cursor: (i + 1) * 10,
    batch_size: 10,
  }));
}

/** Lets the step's lease lapse and runs the lease sweeper once; returns what it did to that step. */
export async function expireLease(sql: Sql, stepUuid: string): Promise<{ step_state: string; error_type: string }> {
  await sql`UPDATE tasker.steps SET lease_expires_at = now() - interval '1 second' WHERE step_uuid = ${stepUuid}`;
  const rows = await sql<{ step_uuid: string; step_state: string; error_type: string }[]>`
    SELECT step_uuid, step_state, error_type FROM tasker.sweep_expired_leases(100, 1)`;
  const row = rows.find((r) => r.step_uuid === stepUuid);
  if (row === undefined) throw new Error(`the sweeper did not expire ${stepUuid}`);
  return row;
}

/** How many workers of the template run (enqueued, in_progress or waiting_for_retry) in the task. */
export async function runningWorkers(sql: Sql, taskUuid: string, template: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM tasker.steps
    WHERE task_uuid = ${taskUuid} AND template_step = ${template} AND state IN ('enqueued', 'in_progress', 'waiting_for_retry')`;
  return row?.n ?? 0;
}

/** A decision's result: create_steps with `names`, or no_branches for null (plus other result data). */
export function decisionResult(names: string[] | null): JsonValue {
  return names === null
    ? { decision_point_outcome: { type: 'no_branches' }, reason: 'none' }
    : { decision_point_outcome: { type: 'create_steps', step_names: names }, route: 'x' };
}

/** Claims `name` (or takes it from `held`), completes it with `result` and drops it from `held`. */
export async function runStep(
  services: Services,
  namespace: string,
  name: string,
  held: ClaimedStep[],
  result: JsonValue = { ok: true },
): Promise<ClaimedStep> {
  const step = await claimByName(services, namespace, name, held);
  await completeStep(services, step, result);
  held.splice(held.indexOf(step), 1);
  return step;
}

/** The task's rows agree with each other (tasker.task_invariant_violations) and with its history. */
export async function expectConsistent(sql: Sql, taskUuid: string): Promise<void> {
  expect(await invariantViolations(sql, taskUuid)).toEqual([]);
  expect(await historyProblems(sql, taskUuid)).toEqual([]);
}

// A started engine runtime on a fresh clone of the migrated test database, plus what tests drive it with:
// fixture templates, an in-test worker loop over services.workers, and history/consistency checks.
//   const rt = await startTestRuntime();              // in beforeAll; rt.stop() in afterAll
//   await registerFixtureTemplate(rt.services, 'linear');
//   const stats = runWorkerLoop(rt.services, { handlers: { '*': () => ({ ok: true }) }, signal });
import { readFileSync } from 'node:fs';
import type { ClaimedStep, JsonValue, StepState, Task, TaskState, TemplateRegistration } from '@tasker/shared';
import { loadConfig, type Config, type ConfigOverrides } from '@tasker/shared/config';
import { isAppError } from '@tasker/shared/errors';
import { stepPathEnd } from '@tasker/shared/domain/step-machine';
import { taskPathEnd } from '@tasker/shared/domain/task-machine';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import { inject } from 'vitest';
import { circuitBreakerOptionsOf } from '../../../src/db/circuit-breaker.js';
import { createSql } from '../../../src/db/connect.js';
import type { EngineLogger } from '../../../src/engine/logger.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import type { Services } from '../../../src/services/types.js';
import { createDatabase, dropDatabase, uniqueDatabaseName, withDatabase } from './test-db.js';

/** Every permission, every namespace: services do no permission checks, only namespace scoping. */
export const TEST_PRINCIPAL: Principal = ALL_PERMISSIONS_PRINCIPAL;

export const FIXTURE_TEMPLATES = ['linear', 'diamond', 'dag7', 'tree8', 'flaky', 'cyclic', 'pipeline'] as const;
export type FixtureTemplate = (typeof FIXTURE_TEMPLATES)[number];

/** The YAML text of test/fixtures/templates/<name>.yaml. */
export function readFixtureTemplate(name: FixtureTemplate): string {
  return readFileSync(new URL(`../../fixtures/templates/${name}.yaml`, import.meta.url), 'utf8');
}

/** The pipeline fixture (a decision picking a batch pipeline) in namespace `namespace`. */
export function pipelineTemplate(namespace: string): string {
  return readFixtureTemplate('pipeline').replace('namespace_name: pipeline', `namespace_name: ${namespace}`);
}

/** Registers a fixture template; returns its registration (namespace, name, version, outcome). */
export async function registerFixtureTemplate(
  services: Services,
  name: FixtureTemplate,
  principal: Principal = TEST_PRINCIPAL,
): Promise<TemplateRegistration> {
  const [registration] = await services.templates.register(principal, [readFixtureTemplate(name)], { force: false });
  if (registration === undefined) throw new Error(`fixture ${name} was not registered`);
  return registration;
}

export interface TestRuntime {
  sql: Sql;
  /** URL of this runtime's database (a second runtime can attach to it). */
  url: string;
  config: Config;
  runtime: Runtime;
  services: Services;
  /** Stops the runtime, closes its pool and (for the runtime that created it) drops the database. */
  stop(): Promise<void>;
}

export interface TestRuntimeOptions {
  logger?: EngineLogger;
  /** Pool size. Default config.database.pool_max. */
  poolMax?: number;
  /** Told every statement the runtime's pool sends (LISTEN connection included). */
  onStatement?: (statement: string) => void;
}

function testConfig(overrides: ConfigOverrides | undefined): Config {
  return loadConfig({ env: { TASKER_ENV: 'test' }, ...(overrides === undefined ? {} : { overrides }) });
}

async function startOn(
  url: string,
  overrides: ConfigOverrides | undefined,
  options: TestRuntimeOptions,
  dropOnStop: (() => Promise<void>) | undefined,
): Promise<TestRuntime> {
  const config = testConfig(overrides);
  const sql = createSql(url, {
    max: options.poolMax ?? config.database.pool_max,
    priorityAgingMs: config.engine.priority_aging_ms,
    circuitBreaker: circuitBreakerOptionsOf(config.database.circuit_breaker),
    ...(options.onStatement === undefined ? {} : { onStatement: options.onStatement }),
  });
  const runtime = await createRuntime({
    sql,
    config,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  await runtime.start();
  let stopped: Promise<void> | undefined;
  return {
    sql,
    url,
    config,
    runtime,
    services: runtime.services,
    stop() {
      stopped ??= (async () => {
        await runtime.stop();
        await sql.end({ timeout: 5 });
        await dropOnStop?.();
      })();
      return stopped;
    },
  };
}

/** A runtime with the test config (TASKER_ENV=test) + `overrides`, started, on its own cloned database. */
export async function startTestRuntime(
  overrides?: ConfigOverrides,
  options: TestRuntimeOptions = {},
): Promise<TestRuntime> {
  const adminUrl = inject('databaseUrl');
  const template = inject('templateDatabase');
  if (typeof adminUrl !== 'string' || typeof template !== 'string') {
    throw new Error('startTestRuntime needs the integration global setup: run with --project integration');
  }
  const name = uniqueDatabaseName('rt');
  await createDatabase(adminUrl, name, template);
  return startOn(withDatabase(adminUrl, name), overrides, options, () => dropDatabase(adminUrl, name));
}

/** A second, independent runtime (own pool, own LISTEN connection) on `base`'s database: another replica. */
export async function attachTestRuntime(
  base: TestRuntime,
  overrides?: ConfigOverrides,
  options: TestRuntimeOptions = {},
): Promise<TestRuntime> {
  return startOn(base.url, overrides, options, undefined);
}

/** A handler failure with the retry hints a real worker would report. */
export class HandlerFailure extends Error {
  override readonly name = 'HandlerFailure';
  constructor(
    message: string,
    readonly options: { retryable?: boolean; retryAfterSeconds?: number; errorType?: string } = {},
  ) {
    super(message);
  }
}

export type StepHandler = (step: ClaimedStep) => JsonValue | Promise<JsonValue>;

export interface WorkerLoopOptions {
  /** By handler callable; `*` handles the rest. A thrown error fails the step (HandlerFailure sets hints). */
  handlers: Record<string, StepHandler>;
  /** Stops claiming; steps already running finish and report. */
  signal: AbortSignal;
  /** Parallel claim → run → report lanes. Default 4. */
  concurrency?: number;
  workerId?: string;
  namespaces?: string[];
  /** Long-poll wait per claim. Default 500 ms. */
  waitMs?: number;
  /** Steps per claim. Default 1. */
  maxSteps?: number;
  principal?: Principal;
}

export interface WorkerLoopStats {
  claimed: ClaimedStep[];
  completed: number;
  failed: number;
  /** Results refused with INVALID_STATE (lease lost / cancelled). */
  refused: number;
  errors: unknown[];
}

const activeLoops = new Set<{ stop: () => void; done: Promise<unknown> }>();

/**
 * Stops every worker loop still running (use in afterEach): a test that fails before aborting its loop must
 * not leave a worker claiming the next test's steps.
 */
export async function stopWorkerLoops(): Promise<void> {
  const loops = [...activeLoops];
  for (const loop of loops) loop.stop();
  await Promise.all(loops.map((l) => l.done.catch(() => undefined)));
}

/** Runs a worker over services.workers until `signal` aborts; resolves with what it did. */
export function runWorkerLoop(services: Services, options: WorkerLoopOptions): Promise<WorkerLoopStats> {
  const internal = new AbortController();
  const stop = (): void => internal.abort();
  if (options.signal.aborted) stop();
  options.signal.addEventListener('abort', stop, { once: true });
  const done = workerLoop(services, { ...options, signal: internal.signal });
  const entry = { stop, done };
  activeLoops.add(entry);
  return done.finally(() => {
    activeLoops.delete(entry);
    options.signal.removeEventListener('abort', stop);
  });
}

async function workerLoop(services: Services, options: WorkerLoopOptions): Promise<WorkerLoopStats> {
  const stats: WorkerLoopStats = { claimed: [], completed: 0, failed: 0, refused: 0, errors: [] };
  const principal = options.principal ?? TEST_PRINCIPAL;
  const workerId = options.workerId ?? `test-worker-${Math.random().toString(36).slice(2, 8)}`;

  const report = async (step: ClaimedStep): Promise<void> => {
    const handler = options.handlers[step.handler.callable] ?? options.handlers['*'];
    const started = Date.now();
    try {
      if (handler === undefined)
        throw new HandlerFailure(`no handler for ${step.handler.callable}`, { retryable: false });
      const result = await handler(step);
      await services.workers.complete(principal, {
        workerId,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result,
        executionTimeMs: Date.now() - started,
        metadata: null,
      });
      stats.completed += 1;
    } catch (err) {
      if (isAppError(err)) {
        if (err.code === 'INVALID_STATE') stats.refused += 1;
        else stats.errors.push(err);
        return;
      }
      const failure = err instanceof HandlerFailure ? err.options : {};
      try {
        await services.workers.fail(principal, {
          workerId,
          stepUuid: step.stepUuid,
          leaseToken: step.leaseToken,
          error: {
            message: err instanceof Error ? err.message : String(err),
            errorType: failure.errorType ?? (err instanceof Error ? err.name : 'Error'),
            retryable: failure.retryable ?? true,
            retryAfterSeconds: failure.retryAfterSeconds ?? null,
            statusCode: null,
            backtrace: null,
            context: null,
          },
          executionTimeMs: Date.now() - started,
        });
        stats.failed += 1;
      } catch (reportErr) {
        if (isAppError(reportErr) && reportErr.code === 'INVALID_STATE') stats.refused += 1;
        else stats.errors.push(reportErr);
      }
    }
  };

  const lane = async (): Promise<void> => {
    while (!options.signal.aborted) {
      let claimed: ClaimedStep[];
      const asked = Date.now();
      try {
        claimed = await services.workers.claim(
          principal,
          {
            workerId,
            namespaces: options.namespaces ?? [],
            handlerNames: [],
            maxSteps: options.maxSteps ?? 1,
            waitMs: options.waitMs ?? 500,
          },
          options.signal,
        );
      } catch (err) {
        stats.errors.push(err);
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      stats.claimed.push(...claimed);
      // An immediate empty answer (a stopped runtime, a zero wait) must not turn this into a busy loop.
      if (claimed.length === 0 && Date.now() - asked < 5) await new Promise((r) => setTimeout(r, 20));
      for (const step of claimed) await report(step);
    }
  };

  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, () => lane()));
  return stats;
}

/** Polls until the task is in one of `states` (default: any terminal one); throws with the last state on timeout. */
export async function waitForTaskState(
  services: Services,
  taskUuid: string,
  states: readonly TaskState[] = ['complete', 'error', 'cancelled', 'resolved_manually'],
  timeoutMs = 15_000,
): Promise<Task> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await services.tasks.get(TEST_PRINCIPAL, taskUuid);
    if (states.includes(task.state)) return task;
    if (Date.now() > deadline)
      throw new Error(`task ${taskUuid} is ${task.state}, not ${states.join('/')} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every inconsistency among the task's rows (tasker.task_invariant_violations); [] = consistent. */
export async function invariantViolations(sql: Sql, taskUuid: string): Promise<string[]> {
  const rows = await sql<{ v: string }[]>`SELECT v FROM tasker.task_invariant_violations(${taskUuid}) AS v`;
  return rows.map((r) => r.v);
}

/** States a transaction passes through but nothing rests in: never the end of a recorded event. */
const PASS_THROUGH_STATES: readonly string[] = [
  'initializing',
  'enqueuing_steps',
  'evaluating_results',
  'enqueued_for_orchestration',
  'enqueued_as_error_for_orchestration',
];

export interface HistoryRow {
  eventId: number;
  from: string | null;
  to: string;
  event: string;
}

/**
 * The task's transitions and each step's events (by step name), in event_id order. Step events come from the
 * unified history (tasker.step_events: transitions, finished attempts, the dispatch cycle in flight).
 */
export async function transitionHistory(
  sql: Sql,
  taskUuid: string,
): Promise<{ task: HistoryRow[]; steps: Map<string, HistoryRow[]> }> {
  const task = await sql<HistoryRow[]>`
    SELECT event_id AS "eventId", from_state AS "from", to_state AS "to", event
    FROM tasker.task_transitions WHERE task_uuid = ${taskUuid} ORDER BY event_id`;
  const stepRows = await sql<(HistoryRow & { name: string })[]>`
    SELECT se.event_id AS "eventId", se.from_state AS "from", se.to_state AS "to", se.event, s.name
    FROM tasker.step_events se JOIN tasker.steps s ON s.step_uuid = se.step_uuid
    WHERE se.task_uuid = ${taskUuid} ORDER BY se.event_id`;
  const steps = new Map<string, HistoryRow[]>();
  for (const { name, ...row } of stepRows) steps.set(name, [...(steps.get(name) ?? []), row]);
  return { task: [...task], steps };
}

/**
 * Problems with the task's and steps' histories as paths of the state machines: each starts from nothing with
 * a path beginning with `create`, each next row leaves the state the previous one entered, and every recorded
 * path (`complete_result>complete`) is one the machine allows, hop by hop, ending where the row says.
 * Only resting states are recorded, so no row enters a state a transaction merely passes through. [] = valid.
 */
export async function historyProblems(sql: Sql, taskUuid: string): Promise<string[]> {
  const { task, steps } = await transitionHistory(sql, taskUuid);
  const problems: string[] = [];
  const check = (
    label: string,
    rows: HistoryRow[],
    end: (from: string | null, path: string) => string | undefined,
  ): void => {
    rows.forEach((row, i) => {
      if (i === 0 && (row.from !== null || !row.event.startsWith('create'))) {
        problems.push(`${label}: first transition is ${JSON.stringify(row)}`);
      }
      if (i > 0) {
        const previous = rows[i - 1] as HistoryRow;
        if (row.from !== previous.to)
          problems.push(`${label}: #${row.eventId} leaves ${row.from}, but was ${previous.to}`);
      }
      const to = end(row.from, row.event);
      if (to !== row.to) problems.push(`${label}: ${row.from} --${row.event}--> ${row.to}, machine says ${to}`);
      if (PASS_THROUGH_STATES.includes(row.to)) problems.push(`${label}: #${row.eventId} rests in ${row.to}`);
    });
  };
  check('task', task, (from, path) => taskPathEnd(from as TaskState | null, path));
  for (const [name, rows] of steps)
    check(`step ${name}`, rows, (from, path) => stepPathEnd(from as StepState | null, path));
  return problems;
}

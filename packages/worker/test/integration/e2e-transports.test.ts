// End to end with real processes: an orchestration process and a `tasker-worker` process per transport. Every
// example completes with the right numbers, the transient one after retries, the permanent one in the DLQ, and
// a result that breaks its step's result_schema fails that step the same way over both transports.
import type { JsonValue, StepError } from '@tasker/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPLETING_EXAMPLES,
  PERMANENT,
  RESULT_SCHEMA,
  TRANSIENT,
  awaitTerminal,
  createExampleTask,
  stepsByName,
  valueOf,
} from './helpers/examples.js';
import { startOrchestration, startWorkerProcess, type Orchestration, type WorkerProcess } from './helpers/processes.js';

let orchestration: Orchestration;
beforeAll(async () => {
  orchestration = await startOrchestration();
}, 60_000);
afterAll(async () => {
  await orchestration?.stop();
});

/** What each transport's worker left on the step whose result broke its schema. */
const schemaViolations: Partial<Record<'grpc' | 'rest', { lastError: StepError | null; recorded: JsonValue | null }>> =
  {};

describe.each(['grpc', 'rest'] as const)('examples over the %s transport', (transport) => {
  let worker: WorkerProcess | undefined;
  const n = transport === 'grpc' ? 4n : 6n;

  beforeAll(async () => {
    worker = await startWorkerProcess(orchestration, transport);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop('SIGKILL');
  });

  it('runs every example workflow to its expected outcome', async () => {
    const client = orchestration.client;
    const context = { even_number: Number(n) };
    const completing = await Promise.all(COMPLETING_EXAMPLES.map((w) => createExampleTask(client, w, context)));
    const transient = await createExampleTask(client, TRANSIENT, context);
    const permanent = await createExampleTask(client, PERMANENT, context);

    const finished = await Promise.all(completing.map((t) => awaitTerminal(client, t.taskUuid)));
    for (const [i, task] of finished.entries()) {
      const workflow = COMPLETING_EXAMPLES[i]!;
      expect(task.state, workflow.key).toBe('complete');
      const steps = await stepsByName(client, task.taskUuid);
      for (const [step, value] of Object.entries(workflow.expected(n)))
        expect(valueOf(steps[step]), `${workflow.key}.${step}`).toBe(value);
    }

    expect((await awaitTerminal(client, transient.taskUuid)).state).toBe('complete');
    const flaky = await stepsByName(client, transient.taskUuid);
    expect(flaky['call_flaky_service']).toMatchObject({ state: 'complete', attempts: 3 });
    expect(flaky['call_flaky_service']?.results).toMatchObject({ attempts: '3' });
    expect(valueOf(flaky['use_service_result'])).toBe((n * n).toString());

    expect((await awaitTerminal(client, permanent.taskUuid)).state).toBe('error');
    const rejected = await stepsByName(client, permanent.taskUuid);
    expect(rejected['validate_order']).toMatchObject({ state: 'error', attempts: 1 });
    expect(rejected['ship_order']?.attempts).toBe(0);
    const dlq = await client.dlq.getByTask(permanent.taskUuid);
    expect(dlq).toMatchObject({
      taskUuid: permanent.taskUuid,
      reason: 'max_retries_exceeded',
      resolutionStatus: 'pending',
    });
  }, 60_000);

  it('fails a step whose result breaks its result_schema permanently; the step before it passes its own', async () => {
    const client = orchestration.client;
    const task = await createExampleTask(client, RESULT_SCHEMA, { even_number: Number(n) });
    expect((await awaitTerminal(client, task.taskUuid)).state).toBe('error');
    const steps = await stepsByName(client, task.taskUuid);
    expect(steps['square_input']).toMatchObject({
      state: 'complete',
      results: { value: (n * n).toString(), operation: 'square' },
    });
    const refused = steps['report_total']!;
    expect(refused).toMatchObject({ state: 'error', attempts: 1, maxAttempts: 3, results: null });
    expect(refused.lastError).toEqual({
      message:
        "result does not match the step's result_schema: /total is required; /value is not allowed; /operation is not allowed",
      errorType: 'result_schema_violation',
      retryable: false,
      statusCode: null,
    });
    const [attempt] = await client.steps.audit(task.taskUuid, refused.stepUuid);
    expect(attempt).toMatchObject({ action: 'worker_result', success: false });
    expect(attempt?.result).toMatchObject({
      error_type: 'result_schema_violation',
      context: { violation_count: 3, truncated: false },
    });
    expect(await client.dlq.getByTask(task.taskUuid)).toMatchObject({
      reason: 'max_retries_exceeded',
      resolutionStatus: 'pending',
    });
    schemaViolations[transport] = { lastError: refused.lastError, recorded: attempt?.result ?? null };
  }, 60_000);

  it('stops on SIGTERM with exit code 0', async () => {
    const exit = await worker!.stop('SIGTERM');
    worker = undefined;
    expect(exit).toEqual({ code: 0, signal: null });
  }, 30_000);
});

describe('a result that breaks its result_schema', () => {
  it('leaves the same step error whether the worker reported it over gRPC or REST', () => {
    expect(schemaViolations.grpc).toBeDefined();
    expect(schemaViolations.grpc).toEqual(schemaViolations.rest);
  });
});

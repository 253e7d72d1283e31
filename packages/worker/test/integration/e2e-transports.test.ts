// End to end with real processes: an orchestration process and a `tasker-worker` process per transport. Every
// example completes with the right numbers, the transient one after retries, the permanent one in the DLQ.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETING_EXAMPLES, PERMANENT, TRANSIENT, awaitTerminal, createExampleTask, stepsByName, valueOf } from './helpers/examples.js';
import { startOrchestration, startWorkerProcess, type Orchestration, type WorkerProcess } from './helpers/processes.js';

let orchestration: Orchestration;
beforeAll(async () => {
  orchestration = await startOrchestration();
}, 60_000);
afterAll(async () => {
  await orchestration?.stop();
});

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
      for (const [step, value] of Object.entries(workflow.expected(n))) expect(valueOf(steps[step]), `${workflow.key}.${step}`).toBe(value);
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
    expect(dlq).toMatchObject({ taskUuid: permanent.taskUuid, reason: 'max_retries_exceeded', resolutionStatus: 'pending' });
  }, 60_000);

  it('stops on SIGTERM with exit code 0', async () => {
    const exit = await worker!.stop('SIGTERM');
    worker = undefined;
    expect(exit).toEqual({ code: 0, signal: null });
  }, 30_000);
});

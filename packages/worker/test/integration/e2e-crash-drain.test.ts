// End to end with real processes: a worker killed mid-step (its lease lapses, another worker finishes the
// task) and workers stopped with SIGTERM (a running step finishes before exit, or its lease is given back).
import type { Step } from '@tasker/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { awaitTerminal, createExampleTask, stepsByName } from './helpers/examples.js';
import {
  startOrchestration,
  startWorkerProcess,
  until,
  type Orchestration,
  type WorkerProcess,
} from './helpers/processes.js';

const TRANSPORT = 'rest' as const;
const LINEAR = { namespace: 'linear_workflow', name: 'mathematical_sequence' };

let orchestration: Orchestration;
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  orchestration = await startOrchestration();
}, 60_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await orchestration?.stop();
});

async function startWorker(extraArgs: string[] = []): Promise<WorkerProcess> {
  const worker = await startWorkerProcess(orchestration, TRANSPORT, extraArgs);
  workers.push(worker);
  return worker;
}

async function runningStep(taskUuid: string): Promise<Step> {
  return until(
    async () => (await orchestration.client.steps.list(taskUuid)).find((s) => s.state === 'in_progress'),
    15_000,
    'a step in progress',
  );
}

it('a step of a SIGKILLed worker is picked up by another worker after its lease lapses', async () => {
  const first = await startWorker();
  const task = await createExampleTask(orchestration.client, LINEAR, { even_number: 2, delay_ms: 1_000 });
  // The second worker boots meanwhile; the first, already polling, claims the root step before it can.
  const second = startWorker();
  const running = await runningStep(task.taskUuid);
  expect(await first.stop('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
  await second;

  expect((await awaitTerminal(orchestration.client, task.taskUuid, 40_000)).state).toBe('complete');
  const steps = await stepsByName(orchestration.client, task.taskUuid);
  // The killed attempt counted (lease expired), the second worker's attempt completed it.
  expect(steps[running.name]).toMatchObject({ state: 'complete', attempts: 2 });
  expect(steps['linear_step_4']?.results).toMatchObject({ value: String(2 ** 16) });
}, 90_000);

it('SIGTERM lets the running step finish before exiting 0; a short drain gives the lease back instead', async () => {
  const patient = workers.at(-1) as WorkerProcess;
  const task = await createExampleTask(orchestration.client, LINEAR, { even_number: 2, delay_ms: 1_000 });
  const drained = await runningStep(task.taskUuid);
  // Boots while the first drains; it takes the next step once the drained one is done.
  const hastyStarting = startWorker(['--drain-timeout-ms', '100']);
  // Test config: drain_timeout_ms 2000 > the step's 1 s.
  expect(await patient.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  const afterDrain = await orchestration.client.steps.get(task.taskUuid, drained.stepUuid);
  expect(afterDrain).toMatchObject({ state: 'complete', attempts: 1 });

  const hasty = await hastyStarting;
  const released = await until(
    async () =>
      (await orchestration.client.steps.list(task.taskUuid)).find(
        (s) => s.state === 'in_progress' && s.stepUuid !== drained.stepUuid,
      ),
    15_000,
    'the next step in progress',
  );
  expect(await hasty.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  // Given back at once, not left to lapse: nothing runs it now, yet it is no longer in progress.
  const afterRelease = await orchestration.client.steps.get(task.taskUuid, released.stepUuid);
  expect(afterRelease.state).not.toBe('in_progress');
  expect(afterRelease.lastError).toBeNull();

  await startWorker();
  expect((await awaitTerminal(orchestration.client, task.taskUuid, 30_000)).state).toBe('complete');
}, 90_000);

// End to end with real processes: a worker running a checkpointing batch-like step is SIGKILLed mid-run; after
// its lease lapses another worker process retries the step, resumes from the last checkpoint, and redoes none
// of the items before it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { awaitTerminal } from './helpers/examples.js';
import {
  startOrchestration,
  startWorkerProcess,
  until,
  type Orchestration,
  type WorkerProcess,
} from './helpers/processes.js';

const ROWS = 60;
const EVERY = 5;
const FIXTURE = ['--handlers', './packages/worker/test/fixtures/checkpoint/handlers.ts'];
const TEMPLATES = ['--templates', './packages/worker/test/fixtures/checkpoint/templates'];

let orchestration: Orchestration;
let dir: string;
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  orchestration = await startOrchestration();
  dir = await mkdtemp(join(tmpdir(), 'tasker-cp-e2e-'));
}, 60_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await orchestration?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

it.each(['grpc', 'rest'] as const)(
  'a SIGKILLed %s worker’s step resumes from its checkpoint in a new worker process',
  async (transport) => {
    const log = join(dir, `${transport}.log`);
    const env = { CHECKPOINT_E2E_LOG: log };
    const first = await startWorkerProcess(orchestration, transport, [...FIXTURE, ...TEMPLATES], env);
    workers.push(first);
    const created = await orchestration.client.tasks.create({
      namespace: 'checkpoint_e2e',
      name: 'checkpointed_rows',
      version: '1.0.0',
      context: { rows: ROWS, every: EVERY, delay_ms: 40, run: transport },
      initiator: 'e2e',
      sourceSystem: 'e2e',
      reason: 'checkpoint resume',
    });
    const taskUuid = created.taskUuid;
    // Kill the worker once a few checkpoints are in, well before the end.
    const [stepUuid] = await until(
      async () => {
        const [step] = await orchestration.client.steps.list(taskUuid);
        return step !== undefined && (step.checkpoint?.itemsProcessed ?? 0) >= 3 * EVERY ? [step.stepUuid] : undefined;
      },
      30_000,
      'three checkpoints',
      50,
    );
    expect(await first.stop('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
    // What the killed attempt left: its last checkpoint is where the retry must start.
    const killed = await orchestration.client.steps.get(taskUuid, stepUuid!);
    const resumeAt = killed.checkpoint?.cursor as number;
    expect(resumeAt).toBeGreaterThanOrEqual(3 * EVERY);
    expect(resumeAt).toBeLessThan(ROWS);

    const second = await startWorkerProcess(orchestration, transport, [...FIXTURE, ...TEMPLATES], env);
    workers.push(second);
    expect((await awaitTerminal(orchestration.client, taskUuid, 60_000)).state).toBe('complete');

    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    const byAttempt = (attempt: number) =>
      lines.filter((l) => l.startsWith(`${attempt} `)).map((l) => Number(l.split(' ')[1]));
    const firstRun = byAttempt(1);
    const retry = byAttempt(2);
    // The retry started at the checkpoint: nothing before it was redone, everything after it was done.
    expect(retry[0]).toBe(resumeAt);
    expect(retry).toEqual(Array.from({ length: ROWS - resumeAt }, (_, i) => resumeAt + i));
    expect(firstRun.slice(0, resumeAt)).toEqual(Array.from({ length: resumeAt }, (_, i) => i));
    const done = await orchestration.client.steps.get(taskUuid, stepUuid!);
    expect(done).toMatchObject({ state: 'complete', attempts: 2 });
    expect(done.results).toEqual({ sum: (ROWS * (ROWS - 1)) / 2, resumed_from: resumeAt });
    await second.stop('SIGTERM');
  },
  120_000,
);

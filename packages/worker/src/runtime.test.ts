import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from './errors.js';
import { silentLogger } from './logger.js';
import { createWorker } from './runtime.js';
import { FakeClientError, createFakeOrchestration, type FakeOrchestration } from './testing/fake-orchestration.js';
import type { Handler, Worker, WorkerOptions } from './types.js';

const template = {
  name: 'demo',
  namespace_name: 'demo_ns',
  version: '1.0.0',
  steps: [{ name: 'only', handler: { callable: 'demo.run' } }],
};

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});

function start(fake: FakeOrchestration, handler: Handler, extra: Partial<WorkerOptions> = {}): Promise<Worker> {
  worker = createWorker({
    orchestration: { client: fake.client },
    handlers: { 'demo.run': handler },
    templates: [template],
    concurrency: 2,
    claimWaitMs: 50,
    drainTimeoutMs: 200,
    logger: silentLogger,
    ...extra,
  });
  return worker.start().then(() => worker as Worker);
}

async function untilInFlight(n: number): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!new RegExp(`^tasker_worker_steps_in_flight ${n}$`, 'm').test((await worker?.metricsText()) ?? '')) {
    if (Date.now() > deadline) throw new Error(`never reached ${n} steps in flight`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const step = (fake: FakeOrchestration) =>
  fake.push({ handler: { callable: 'demo.run', method: null, initialization: {} }, namespace: 'demo_ns' });

describe('createWorker', () => {
  it('registers itself and its templates, then claims only its namespaces and handlers', async () => {
    const fake = createFakeOrchestration();
    await start(fake, async () => 1);
    await fake.until(() => fake.claims.length > 0);
    expect(fake.registrations[0]).toMatchObject({ namespaces: ['demo_ns'], handlers: ['demo.run'] });
    expect(fake.templateRegistrations).toEqual([[template]]);
    expect(fake.claims[0]).toMatchObject({
      namespaces: ['demo_ns'],
      handlerNames: ['demo.run'],
      maxSteps: 2,
      waitMs: 50,
    });
  });

  it('refuses to start when a template names a handler it does not have', async () => {
    const fake = createFakeOrchestration();
    await expect(start(fake, async () => 1, { handlers: { other: async () => 1 } })).rejects.toThrow(
      /needs handler 'demo\.run'/,
    );
    expect(fake.registrations).toHaveLength(0);
  });

  it('never runs more handlers than its concurrency and asks only for its free slots', async () => {
    const fake = createFakeOrchestration();
    const gates: (() => void)[] = [];
    let running = 0;
    let peak = 0;
    await start(
      fake,
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => gates.push(r));
        running -= 1;
        return 'ok';
      },
      { concurrency: 3 },
    );
    await fake.until(() => fake.claims.length === 1);
    expect(fake.claims[0]?.maxSteps).toBe(3);
    step(fake);
    await fake.until(() => fake.claims.length === 2);
    expect(fake.claims[1]?.maxSteps).toBe(2);
    for (let i = 0; i < 6; i += 1) step(fake);
    await untilInFlight(3);
    await new Promise((r) => setTimeout(r, 100));
    // All slots busy: no claim is outstanding, however long the queue.
    const claimsWhileFull = fake.claims.length;
    expect(fake.claims.at(-1)?.maxSteps).toBe(2);
    gates.shift()?.();
    // The finished step's result asks for its replacement in the same call: no long poll is needed for it.
    await fake.until(() => fake.reports.length === 1);
    expect(fake.reports[0]?.claim?.maxSteps).toBe(1);
    await untilInFlight(3);
    expect(fake.claims).toHaveLength(claimsWhileFull);
    while (fake.completed.length < 7) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(peak).toBe(3);
  });

  it('reports results with the lease token and failures with their retryability', async () => {
    const fake = createFakeOrchestration();
    const outcomes = [
      async () => ({ v: 1 }),
      async () => {
        throw new RetryableError('later', { retryAfterSeconds: 3 });
      },
      async () => {
        throw new PermanentError('never');
      },
    ];
    let call = 0;
    await start(fake, () => (outcomes[call++] as Handler)(undefined as never), { concurrency: 1 });
    const a = step(fake);
    await fake.until(() => fake.completed.length === 1);
    step(fake);
    step(fake);
    await fake.until(() => fake.failed.length === 2);
    expect(fake.completed[0]).toMatchObject({ stepUuid: a.stepUuid, leaseToken: a.leaseToken, result: { v: 1 } });
    expect(fake.failed.map((f) => [f.error.retryable, f.error.retryAfterSeconds])).toEqual([
      [true, 3],
      [false, null],
    ]);
  });

  it('retries a result through an orchestration outage', async () => {
    const fake = createFakeOrchestration();
    await start(fake, async () => 'done');
    fake.failNext('report', 3, new FakeClientError('UNAVAILABLE'));
    step(fake);
    await fake.until(() => fake.completed.length === 1, 5_000);
    expect(fake.completed[0]?.result).toBe('done');
  });

  it('drops a result refused as lease lost instead of retrying it', async () => {
    const fake = createFakeOrchestration();
    await start(fake, async () => 'late');
    fake.endLease(step(fake).stepUuid, 'lost');
    await fake.until(() => fake.reports.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.reports).toHaveLength(1);
    expect(fake.completed).toHaveLength(0);
    expect(await worker?.metricsText()).toMatch(/tasker_worker_results_undelivered_total\{reason="lease_lost"\} 1/);
  });

  it('gives a batch refused as a whole up instead of retrying it', async () => {
    const fake = createFakeOrchestration();
    await start(fake, async () => 'refused');
    fake.failNext('report', 1, new FakeClientError('PERMISSION_DENIED', 'missing worker:report'));
    step(fake);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.reports).toHaveLength(0);
    expect(await worker?.metricsText()).toMatch(/tasker_worker_results_undelivered_total\{reason="rejected"\} 1/);
    // Its slot is free again: the next step runs and is reported.
    step(fake);
    await fake.until(() => fake.completed.length === 1);
  });

  it('sends results finishing together in one call, with a claim for the slots they free', async () => {
    const fake = createFakeOrchestration();
    const gate: { open?: () => void } = {};
    const opened = new Promise<void>((r) => (gate.open = r));
    await start(
      fake,
      async () => {
        await opened;
        return 'ok';
      },
      { concurrency: 4 },
    );
    for (let i = 0; i < 4; i += 1) step(fake);
    await untilInFlight(4);
    gate.open?.();
    await fake.until(() => fake.completed.length === 4);
    expect(fake.reports.map((r) => r.results.length)).toEqual([4]);
    expect(fake.reports[0]?.claim).toMatchObject({ maxSteps: 4, namespaces: ['demo_ns'], handlerNames: ['demo.run'] });
  });

  it('stops a handler whose task was cancelled and reports nothing for it', async () => {
    const fake = createFakeOrchestration({ leaseMs: 300 });
    let aborted = false;
    await start(
      fake,
      (ctx) =>
        new Promise((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve('ignored');
          }),
        ),
    );
    const s = step(fake);
    await fake.until(() => fake.heartbeats.length > 0);
    fake.endLease(s.stepUuid, 'cancelled');
    await fake.until(() => aborted);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.completed).toHaveLength(0);
    expect(fake.failed).toHaveLength(0);
  });

  it('drains on stop: finishes running steps in time, releases the leases of the others', async () => {
    const fake = createFakeOrchestration();
    await start(fake, (ctx) => new Promise((resolve) => setTimeout(resolve, ctx.context['ms'] as number, 'ok')));
    const quick = fake.push({
      handler: { callable: 'demo.run', method: null, initialization: {} },
      context: { ms: 50 },
    });
    const slow = fake.push({
      handler: { callable: 'demo.run', method: null, initialization: {} },
      context: { ms: 5_000 },
    });
    await untilInFlight(2);
    await worker?.stop();
    expect(worker?.state).toBe('stopped');
    expect(fake.completed.map((c) => c.stepUuid)).toEqual([quick.stepUuid]);
    expect(fake.released.flatMap((r) => r.leases)).toEqual([{ stepUuid: slow.stepUuid, leaseToken: slow.leaseToken }]);
  });
});

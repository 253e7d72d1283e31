// Task event streams: replay + live, resume from a cursor without gaps or duplicates, keepalives, the end
// after the terminal event, NOT_FOUND, and shutdown.
import type { TaskStatusEvent } from '@tasker/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  attachTestRuntime,
  registerFixtureTemplate,
  runWorkerLoop,
  stopWorkerLoops,
  startTestRuntime,
  HandlerFailure,
  TEST_PRINCIPAL,
  waitForTaskState,
  type TestRuntime,
} from './helpers/runtime.js';

let rt: TestRuntime;
const DIAMOND = {
  namespace: 'media',
  name: 'media_ingest',
  version: '2.1.0',
  initiator: 't',
  sourceSystem: 't',
  reason: 't',
};

beforeAll(async () => {
  rt = await startTestRuntime();
  await registerFixtureTemplate(rt.services, 'diamond');
});

afterAll(async () => {
  await rt?.stop();
});

afterEach(stopWorkerLoops);

/** Every event of the task (and its steps: the unified history), in event_id order, as the stream should report it. */
async function fullHistory(taskUuid: string): Promise<{ eventId: number; kind: string; state: string }[]> {
  return rt.sql<{ eventId: number; kind: string; state: string }[]>`
    SELECT event_id AS "eventId", 'task' AS kind, to_state AS state FROM tasker.task_transitions WHERE task_uuid = ${taskUuid}
    UNION ALL
    SELECT event_id, 'step', to_state FROM tasker.step_events WHERE task_uuid = ${taskUuid}
    ORDER BY 1`;
}

describe('task events', () => {
  it('a watcher that disconnects mid-run and resumes from its last event_id receives every event exactly once', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...DIAMOND, context: {} });
    const controller = new AbortController();
    const loop = runWorkerLoop(rt.services, {
      namespaces: ['media'],
      signal: controller.signal,
      concurrency: 2,
      handlers: {
        '*': async () => {
          await new Promise((r) => setTimeout(r, 40));
          return { ok: true };
        },
      },
    });

    const received: TaskStatusEvent[] = [];
    for await (const event of rt.services.taskEvents.watch(TEST_PRINCIPAL, task.taskUuid, { includeSteps: true })) {
      if (event.type === 'keepalive') continue;
      received.push(event);
      if (received.some((e) => e.step?.name === 'make_thumbs' && e.step.state === 'in_progress')) break;
    }
    const cursor = received.at(-1)?.eventId ?? 0;
    // Let the task move on while nobody watches.
    await new Promise((r) => setTimeout(r, 60));
    for await (const event of rt.services.taskEvents.watch(TEST_PRINCIPAL, task.taskUuid, {
      includeSteps: true,
      afterEventId: cursor,
    })) {
      if (event.type !== 'keepalive') received.push(event);
    }
    controller.abort();
    await loop;

    const history = await fullHistory(task.taskUuid);
    expect(received.map((e) => e.eventId)).toEqual(history.map((h) => h.eventId));
    expect(received.map((e) => e.step?.state ?? e.taskState)).toEqual(history.map((h) => h.state));
    const last = received.at(-1);
    expect(last).toMatchObject({ type: 'task_complete', taskState: 'complete', step: null });
    // Step events carry the task state as of that point in the history.
    const publish = received.find((e) => e.step?.name === 'publish_asset' && e.step.state === 'complete');
    expect(publish?.taskState).toBe('steps_in_process');
    expect(publish?.step?.attempt).toBe(1);
  });

  it('without steps only task transitions are sent; a finished task replays and ends, or ends at once after its last event', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...DIAMOND, context: {} });
    const controller = new AbortController();
    const loop = runWorkerLoop(rt.services, {
      namespaces: ['media'],
      signal: controller.signal,
      handlers: { '*': () => ({}) },
    });
    await waitForTaskState(rt.services, task.taskUuid, ['complete']);
    controller.abort();
    await loop;

    const events: TaskStatusEvent[] = [];
    for await (const e of rt.services.taskEvents.watch(TEST_PRINCIPAL, task.taskUuid, {})) events.push(e);
    const history = (await fullHistory(task.taskUuid)).filter((h) => h.kind === 'task');
    expect(events.map((e) => e.eventId)).toEqual(history.map((h) => h.eventId));
    expect(events.every((e) => e.step === null)).toBe(true);
    expect(events.map((e) => e.type).filter((t) => t !== 'task_state_change')).toEqual(['task_complete']);

    const after: TaskStatusEvent[] = [];
    for await (const e of rt.services.taskEvents.watch(TEST_PRINCIPAL, task.taskUuid, {
      afterEventId: events.at(-1)?.eventId ?? 0,
    }))
      after.push(e);
    expect(after).toEqual([]);
  });

  it('sends keepalives with the current state while idle, and ends when the signal aborts', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...DIAMOND, context: {} });
    const controller = new AbortController();
    const events: TaskStatusEvent[] = [];
    const started = Date.now();
    let keepaliveAt = 0;
    for await (const e of rt.services.taskEvents.watch(TEST_PRINCIPAL, task.taskUuid, { signal: controller.signal })) {
      events.push(e);
      if (e.type === 'keepalive') {
        keepaliveAt = Date.now() - started;
        controller.abort();
      }
    }
    const keepalive = events.at(-1);
    expect(keepalive).toMatchObject({ eventId: 0, type: 'keepalive', taskState: 'steps_in_process', step: null });
    // test overlay: keepalive_ms 1000
    expect(keepaliveAt).toBeGreaterThanOrEqual(900);
    expect(keepaliveAt).toBeLessThan(2500);
    await rt.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, { reason: 'cleanup', performedBy: null });
  });

  it('an unknown or out-of-scope task is NOT_FOUND on the first iteration', async () => {
    const missing = rt.services.taskEvents.watch(TEST_PRINCIPAL, '0190a4f0-5a1b-7c3d-8e4f-0000000000ff', {});
    await expect(missing[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...DIAMOND, context: {} });
    const scoped = rt.services.taskEvents.watch({ ...TEST_PRINCIPAL, namespaces: ['billing'] }, task.taskUuid, {});
    await expect(scoped[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await rt.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, { reason: 'cleanup', performedBy: null });
  });

  it('stopping the runtime ends its streams and its pending long-polls', async () => {
    const other = await attachTestRuntime(rt);
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...DIAMOND, context: {} });
    const stream = (async () => {
      const seen: TaskStatusEvent[] = [];
      for await (const e of other.services.taskEvents.watch(TEST_PRINCIPAL, task.taskUuid, { includeSteps: true }))
        seen.push(e);
      return seen;
    })();
    const claim = other.services.workers.claim(TEST_PRINCIPAL, {
      workerId: 'late',
      namespaces: ['nothing_here'],
      handlerNames: [],
      maxSteps: 1,
      waitMs: 2000,
    });
    await new Promise((r) => setTimeout(r, 150));
    const stopAt = Date.now();
    await other.stop();
    expect(await claim).toEqual([]);
    const seen = await stream;
    expect(Date.now() - stopAt).toBeLessThan(1000);
    expect(seen.length).toBeGreaterThan(0);
    await rt.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, { reason: 'cleanup', performedBy: null });
  });

  it('a replay of a task resumed after error goes through the resume to the final state', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...DIAMOND, context: {} });
    let thumbsFixed = false;
    const controller = new AbortController();
    const loop = runWorkerLoop(rt.services, {
      signal: controller.signal,
      handlers: {
        'Media.Thumbs': () => {
          if (!thumbsFixed) throw new HandlerFailure('corrupt source', { retryable: false });
          return { thumbs: 3 };
        },
        '*': () => ({ ok: true }),
      },
    });
    expect((await waitForTaskState(rt.services, task.taskUuid, ['error', 'complete'])).state).toBe('error');
    const thumbs = (await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid)).find((s) => s.name === 'make_thumbs')!;
    await rt.services.steps.applyManualAction(TEST_PRINCIPAL, task.taskUuid, thumbs.stepUuid, {
      type: 'reset_for_retry',
      reason: 'source replaced',
      performedBy: 'ops',
    });
    thumbsFixed = true;
    await rt.services.tasks.resume(TEST_PRINCIPAL, task.taskUuid, { performedBy: 'ops', reason: 'fixed' });
    expect((await waitForTaskState(rt.services, task.taskUuid, ['complete', 'error'])).state).toBe('complete');
    controller.abort();
    await loop;

    const events: TaskStatusEvent[] = [];
    for await (const event of rt.services.taskEvents.watch(TEST_PRINCIPAL, task.taskUuid, {})) events.push(event);
    const types = events.map((e) => e.type);
    expect(types).toContain('task_error');
    expect(types.at(-1)).toBe('task_complete');
    expect(events.at(-1)?.taskState).toBe('complete');
    const taskHistory = (await fullHistory(task.taskUuid)).filter((h) => h.kind === 'task');
    expect(events.map((e) => e.eventId)).toEqual(taskHistory.map((h) => h.eventId));
  });
});

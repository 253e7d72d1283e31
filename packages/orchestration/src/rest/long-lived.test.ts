// Long-lived requests on a real listening server: the claim long-poll and the SSE stream must notice a
// client hanging up, and closing the app must end them instead of waiting for them.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClaimedStep, TaskStatusEvent, WatchOptions } from '@tasker/shared';
import { AppError } from '@tasker/shared/errors';
import { makeTask, makeTaskStatusEvent } from '@tasker/shared/testing/builders';
import type { Services } from '../services/types.js';
import { buildRestApp } from './app.js';
import { closeApp } from './plumbing.js';
import { formatSseEvent } from './routes/task-events.js';
import { makeFakeServices } from './testing/fake-services.js';
import { makeTestConfig } from './testing/test-config.js';
import { readSse } from './testing/sse.js';

const TASK_UUID = '0190a4f0-5a1b-7c3d-8e4f-000000000001';
let app: FastifyInstance | undefined;

// closeApp: undici may keep an unused socket open after an aborted fetch, which a plain close waits out.
afterEach(async () => {
  if (app !== undefined) await closeApp(app, 500);
  app = undefined;
});

async function listen(services: Services): Promise<string> {
  app = await buildRestApp(services, makeTestConfig());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

function waitForAbort(signal: AbortSignal | undefined, ms: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (signal === undefined) return reject(new Error('no signal'));
    const timer = setTimeout(() => reject(new Error(`signal not aborted within ${ms} ms`)), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

/** A claim that waits until its signal aborts (or waitMs passes), recording the signal. */
function longPollServices(signals: Array<AbortSignal | undefined>): Services {
  return makeFakeServices({
    workers: {
      claim: (_p, input, signal) => {
        signals.push(signal);
        return new Promise<ClaimedStep[]>((resolve) => {
          const timer = setTimeout(() => resolve([]), input.waitMs);
          signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve([]);
          });
        });
      },
    },
  });
}

function claim(base: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${base}/v1/workers/claim`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ worker_id: 'w1', wait_ms: 30_000 }),
    ...(signal === undefined ? {} : { signal }),
  });
}

describe('claim long-poll', () => {
  it('aborts the wait when the client hangs up', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const base = await listen(longPollServices(signals));
    const client = new AbortController();
    const pending = claim(base, client.signal).catch((err: unknown) => err);
    await expect.poll(() => signals.length).toBe(1);
    expect(signals[0]?.aborted).toBe(false);
    client.abort();
    expect(await waitForAbort(signals[0], 2000)).toBeLessThan(2000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('returns an empty claim when the server closes', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const base = await listen(longPollServices(signals));
    const response = claim(base);
    await expect.poll(() => signals.length).toBe(1);
    const closed = app!.close();
    const res = await response;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ steps: [] });
    await closed;
    app = undefined;
  });
});

function watchServices(
  events: (options: WatchOptions) => AsyncIterable<TaskStatusEvent>,
  seen: WatchOptions[] = [],
): Services {
  return makeFakeServices({
    tasks: { get: async () => makeTask({ taskUuid: TASK_UUID }) },
    taskEvents: {
      watch: (_p, _uuid, options) => {
        seen.push(options);
        return events(options);
      },
    },
  });
}

describe('task events (SSE)', () => {
  it('writes id/event/data per event, keepalives as comments, and ends after the terminal event', async () => {
    const seen: WatchOptions[] = [];
    const base = await listen(
      watchServices(async function* () {
        yield makeTaskStatusEvent({
          eventId: 5,
          type: 'task_state_change',
          taskUuid: TASK_UUID,
          taskState: 'steps_in_process',
          step: null,
        });
        yield makeTaskStatusEvent({ eventId: 0, type: 'keepalive', taskUuid: TASK_UUID, step: null });
        yield makeTaskStatusEvent({ eventId: 6, type: 'step_state_change', taskUuid: TASK_UUID });
        yield makeTaskStatusEvent({
          eventId: 7,
          type: 'task_complete',
          taskUuid: TASK_UUID,
          taskState: 'complete',
          step: null,
        });
      }, seen),
    );
    const res = await fetch(`${base}/v1/tasks/${TASK_UUID}/events?include_steps=true&after_event_id=4`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const messages = await readSse(res);
    const events = messages.filter((m) => m.event !== undefined);
    expect(events.map((m) => [m.id, m.event])).toEqual([
      ['5', 'task_state_change'],
      ['6', 'step_state_change'],
      ['7', 'task_complete'],
    ]);
    expect(JSON.parse(events[1]!.data!)).toMatchObject({
      event_id: 6,
      type: 'step_state_change',
      step: { name: 'compute_tax' },
    });
    expect(messages.some((m) => m.comment === 'keepalive')).toBe(true);
    expect(seen[0]).toMatchObject({ afterEventId: 4, includeSteps: true });
  });

  it('prefers Last-Event-ID over after_event_id', async () => {
    const seen: WatchOptions[] = [];
    const base = await listen(watchServices(async function* () {}, seen));
    const res = await fetch(`${base}/v1/tasks/${TASK_UUID}/events?after_event_id=4`, {
      headers: { 'last-event-id': '42' },
    });
    await readSse(res);
    expect(seen[0]).toMatchObject({ afterEventId: 42, includeSteps: false });
  });

  it('rejects a malformed Last-Event-ID with 400 naming the header', async () => {
    const base = await listen(watchServices(async function* () {}));
    const res = await fetch(`${base}/v1/tasks/${TASK_UUID}/events`, { headers: { 'last-event-id': 'abc' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { fields: Array<{ path: string }> } } };
    expect(body.error.details.fields[0]?.path).toBe('headers.last-event-id');
  });

  it('answers 404 before opening a stream for an unknown task', async () => {
    const base = await listen(
      makeFakeServices({
        tasks: {
          get: async () => {
            throw new AppError('NOT_FOUND', 'task not found');
          },
        },
      }),
    );
    const res = await fetch(`${base}/v1/tasks/${TASK_UUID}/events`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('sends an error event when the watch fails mid-stream', async () => {
    const base = await listen(
      watchServices(async function* () {
        yield makeTaskStatusEvent({ eventId: 1, taskUuid: TASK_UUID });
        throw new AppError('UNAVAILABLE', 'database unreachable');
      }),
    );
    const messages = await readSse(await fetch(`${base}/v1/tasks/${TASK_UUID}/events`));
    const error = messages.find((m) => m.event === 'error');
    expect(JSON.parse(error!.data!)).toEqual({ error: { code: 'UNAVAILABLE', message: 'database unreachable' } });
  });

  /** A watch that never ends by itself: it waits for its signal. */
  const endless = (options: WatchOptions): AsyncIterable<TaskStatusEvent> =>
    (async function* () {
      yield makeTaskStatusEvent({ eventId: 1, taskUuid: TASK_UUID });
      await new Promise((resolve) => options.signal?.addEventListener('abort', resolve));
    })();

  it('aborts the watch when the client disconnects', async () => {
    const seen: WatchOptions[] = [];
    const base = await listen(watchServices(endless, seen));
    const client = new AbortController();
    const res = await fetch(`${base}/v1/tasks/${TASK_UUID}/events`, { signal: client.signal });
    await readSse(res, 2);
    expect(seen[0]?.signal?.aborted).toBe(false);
    client.abort();
    expect(await waitForAbort(seen[0]?.signal, 2000)).toBeLessThan(2000);
  });

  it('ends open streams when the app closes', async () => {
    const seen: WatchOptions[] = [];
    const base = await listen(watchServices(endless, seen));
    const res = await fetch(`${base}/v1/tasks/${TASK_UUID}/events`);
    const reading = readSse(res);
    await expect.poll(() => seen.length).toBe(1);
    const started = Date.now();
    await app!.close();
    app = undefined;
    const messages = await reading;
    expect(messages.some((m) => m.event === 'step_state_change')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(seen[0]?.signal?.aborted).toBe(true);
  });

  it('formats keepalives as comments and events with their cursor', () => {
    expect(formatSseEvent(makeTaskStatusEvent({ type: 'keepalive', eventId: 0 }))).toBe(': keepalive\n\n');
    expect(formatSseEvent(makeTaskStatusEvent({ eventId: 9, type: 'task_error' }))).toMatch(
      /^id: 9\nevent: task_error\ndata: \{.*\}\n\n$/,
    );
  });
});

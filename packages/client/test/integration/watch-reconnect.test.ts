// tasks.watch survives a server restart: the REST and gRPC listeners stop mid-task and come back on the same
// ports over the same database while a worker keeps completing steps; the watch reconnects on its own and
// yields exactly the task's transition history, each event once.
import type { TaskStatusEvent } from '@tasker/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkerLoop, transitionHistory } from '../../../orchestration/test/integration/helpers/runtime.js';
import { createClient } from '../../src/index.js';
import { LINEAR_YAML, linearInput } from './helpers/scenario.js';
import { TEST_API_KEY, startTestServers, type TestServers } from './helpers/servers.js';

let servers: TestServers;
beforeAll(async () => {
  servers = await startTestServers({ auth: true });
});
afterAll(async () => {
  await servers?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['rest', 'grpc'] as const)('watch over %s', (transport) => {
  it('reconnects after a server restart and misses no event', async () => {
    const client = createClient({
      transport,
      address: servers.address[transport],
      apiKey: TEST_API_KEY,
      watchReconnect: { baseMs: 50, maxMs: 200 },
    });
    await client.templates.register([LINEAR_YAML]);
    const task = await client.tasks.create(linearInput({ tags: [`reconnect-${transport}`] }));

    // The worker runs in-process on the services: it keeps working while the listeners are down.
    const stopWorker = new AbortController();
    const worker = runWorkerLoop(servers.services, {
      signal: stopWorker.signal,
      concurrency: 1,
      waitMs: 200,
      namespaces: ['billing'],
      handlers: { '*': async () => (await sleep(250), { ok: true }) },
    });

    const events: TaskStatusEvent[] = [];
    let restartedAt: { down: Date; up: Date } | undefined;
    let restart: Promise<void> | undefined;
    for await (const event of client.tasks.watch(task.taskUuid, { includeSteps: true })) {
      events.push(event);
      if (restart === undefined && event.step?.state === 'in_progress') {
        restart = (async () => {
          const down = new Date();
          await servers.stopListeners();
          await sleep(700);
          await servers.startListeners();
          restartedAt = { down, up: new Date() };
        })();
      }
    }
    await restart;
    stopWorker.abort();
    const stats = await worker;
    await client.close();

    expect(stats.errors).toEqual([]);
    expect(events.at(-1)?.taskState).toBe('complete');
    const history = await transitionHistory(servers.runtime.sql, task.taskUuid);
    const expected = [...history.task, ...[...history.steps.values()].flat()]
      .map((r) => r.eventId)
      .sort((a, b) => a - b);
    const ids = events.map((e) => e.eventId);
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(ids.length);
    // Transitions committed while no listener was up reached the client after the reconnect.
    const whileDown = events.filter(
      (e) => restartedAt !== undefined && e.occurredAt >= restartedAt.down && e.occurredAt <= restartedAt.up,
    );
    expect(whileDown.length).toBeGreaterThan(0);
  });
});

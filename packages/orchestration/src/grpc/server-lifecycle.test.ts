// Streams, deadlines, grpc.health.v1, optional services, shutdown and transport settings, over stub services.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskStatusEvent, WatchOptions } from '@tasker/shared';
import { makeTaskStatusEvent, makeUuid } from '@tasker/shared/testing/builders';
import { TaskUpdateType } from '@tasker/shared/gen/tasker/v1/tasks';
import { ChannelCredentials, Status } from 'nice-grpc';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthService, Services } from '../services/types.js';
import { grpcErrorOf } from './testing/clients.js';
import { claimWithDeadline } from './testing/deadline-client.js';
import { makeStubServices, startGrpcHarness, type GrpcHarness } from './testing/harness.js';

// The standard health client (nice-grpc-server-health's definition) decodes ServingStatus as numbers.
const Serving = { SERVING: 1, NOT_SERVING: 2 } as const;

let harness: GrpcHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const taskUuid = makeUuid();

function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** A watch that replays `events` and then, unless one was terminal, waits until the call is aborted. */
function scriptedWatch(events: TaskStatusEvent[], seen: WatchOptions[] = []): Services['taskEvents'] {
  return {
    watch: (_principal, _uuid, options) =>
      (async function* () {
        seen.push(options);
        yield* events;
        if (!['task_complete', 'task_error', 'task_cancelled'].includes(events.at(-1)?.type ?? '')) {
          await untilAborted(options.signal);
        }
      })(),
  };
}

describe('StreamTaskStatus', () => {
  it('forwards every request field, stamps keepalives with the last event id and ends after the terminal event', async () => {
    const seen: WatchOptions[] = [];
    const events = [
      makeTaskStatusEvent({ eventId: 11, type: 'step_state_change', taskUuid }),
      makeTaskStatusEvent({ eventId: 0, type: 'keepalive', taskUuid, step: null }),
      makeTaskStatusEvent({ eventId: 12, type: 'task_complete', taskUuid, taskState: 'complete', step: null }),
    ];
    harness = await startGrpcHarness(makeStubServices({ taskEvents: scriptedWatch(events, seen) }));
    const updates = [];
    for await (const u of harness.clients.tasks.streamTaskStatus({ taskUuid, includeSteps: true, afterEventId: 10 }))
      updates.push(u);
    expect(updates.map((u) => [u.eventId, u.updateType])).toEqual([
      [11, TaskUpdateType.TASK_UPDATE_TYPE_STEP_STATE_CHANGE],
      [11, TaskUpdateType.TASK_UPDATE_TYPE_KEEPALIVE],
      [12, TaskUpdateType.TASK_UPDATE_TYPE_TASK_COMPLETE],
    ]);
    expect(seen).toEqual([{ includeSteps: true, afterEventId: 10, signal: expect.any(AbortSignal) }]);
  });

  it('stops the watch when the client cancels', async () => {
    const seen: WatchOptions[] = [];
    harness = await startGrpcHarness(
      makeStubServices({ taskEvents: scriptedWatch([makeTaskStatusEvent({ taskUuid })], seen) }),
    );
    const abort = new AbortController();
    const iterator = harness.clients.tasks
      .streamTaskStatus({ taskUuid }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    await iterator.next();
    abort.abort();
    await expect(iterator.next()).rejects.toThrow();
    await untilAborted(seen[0]?.signal);
    expect(seen[0]?.signal?.aborted).toBe(true);
  });
});

describe('deadlines', () => {
  it('aborts the long poll of ClaimSteps when the call deadline passes', async () => {
    let claimSignal: AbortSignal | undefined;
    harness = await startGrpcHarness(
      makeStubServices({
        workers: {
          claim: async (_p, _input, signal) => {
            claimSignal = signal;
            await untilAborted(signal);
            return [];
          },
        },
      }),
    );
    const started = Date.now();
    const err = await claimWithDeadline(harness.address, { workerId: 'w', maxSteps: 1, waitMs: 60_000 }, 300);
    expect(err?.code).toBe(Status.DEADLINE_EXCEEDED);
    await untilAborted(claimSignal);
    expect(claimSignal?.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('aborts the long poll when the client cancels', async () => {
    let claimSignal: AbortSignal | undefined;
    harness = await startGrpcHarness(
      makeStubServices({
        workers: {
          claim: async (_p, _input, signal) => {
            claimSignal = signal;
            await untilAborted(signal);
            return [];
          },
        },
      }),
    );
    const call = harness.clients.workers.claimSteps(
      { workerId: 'w', maxSteps: 1, waitMs: 60_000 },
      { signal: AbortSignal.timeout(300) },
    );
    await expect(call).rejects.toThrow();
    await untilAborted(claimSignal);
    expect(claimSignal?.aborted).toBe(true);
  });
});

function controllableHealth(ready: boolean) {
  const listeners = new Set<(ready: boolean) => void>();
  const health: Partial<HealthService> = {
    isReady: () => ready,
    onReadinessChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    ready: async () => ({
      status: ready ? 'ready' : 'not_ready',
      timestamp: new Date(),
      checks: {
        database: {
          status: ready ? 'healthy' : 'unhealthy',
          message: ready ? null : 'connection refused',
          durationMs: 1,
        },
      },
      info: {
        version: '1',
        environment: 'test',
        operationalState: 'normal',
        poolMax: 5,
        circuitBreakerState: 'closed',
        pools: {},
        queueDepth: null,
      },
    }),
  };
  return {
    health,
    set(next: boolean) {
      ready = next;
      for (const l of listeners) l(next);
    },
  };
}

describe('health', () => {
  it('mirrors readiness in grpc.health.v1 Check and Watch, per service, and in CheckReadiness', async () => {
    const h = controllableHealth(true);
    harness = await startGrpcHarness(makeStubServices({ health: h.health }));
    const { grpcHealth, health } = harness.clients;
    expect((await grpcHealth.check({ service: 'tasker.v1.TaskService' })).status).toBe(Serving.SERVING);
    expect((await health.checkReadiness({})).status).toBe('ready');

    const watch = grpcHealth.watch({ service: '' })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.status).toBe(Serving.SERVING);
    h.set(false);
    expect((await watch.next()).value?.status).toBe(Serving.NOT_SERVING);
    expect((await grpcHealth.check({ service: 'tasker.v1.WorkerService' })).status).toBe(Serving.NOT_SERVING);
    const notReady = await grpcErrorOf(health.checkReadiness({}));
    expect([notReady.status, notReady.code, notReady.message]).toEqual([
      Status.UNAVAILABLE,
      'UNAVAILABLE',
      'not ready: database unhealthy',
    ]);
    h.set(true);
    expect((await watch.next()).value?.status).toBe(Serving.SERVING);
    await watch.return?.();
  });

  it('leaves absent optional services unregistered: UNIMPLEMENTED, unknown to health, not listed', async () => {
    const services = makeStubServices();
    delete (services as Partial<Services>).dlq;
    delete (services as Partial<Services>).analytics;
    harness = await startGrpcHarness(services);
    expect(harness.server.serviceNames).not.toContain('tasker.v1.DlqService');
    expect(harness.server.serviceNames).not.toContain('tasker.v1.AnalyticsService');
    expect((await grpcErrorOf(harness.clients.dlq.getStats({}))).status).toBe(Status.UNIMPLEMENTED);
    expect((await grpcErrorOf(harness.clients.analytics.getPerformanceMetrics({}))).status).toBe(Status.UNIMPLEMENTED);
    expect((await grpcErrorOf(harness.clients.grpcHealth.check({ service: 'tasker.v1.DlqService' }))).status).toBe(
      Status.NOT_FOUND,
    );
  });
});

describe('shutdown', () => {
  it('ends 50 open streams with UNAVAILABLE and stops within 5 s', async () => {
    const seen: WatchOptions[] = [];
    harness = await startGrpcHarness(
      makeStubServices({ taskEvents: scriptedWatch([makeTaskStatusEvent({ taskUuid })], seen) }),
    );
    const streams = Array.from({ length: 50 }, () =>
      harness!.clients.tasks.streamTaskStatus({ taskUuid })[Symbol.asyncIterator](),
    );
    await Promise.all(streams.map((s) => s.next()));
    const started = Date.now();
    const endings = streams.map((s) => grpcErrorOf(() => s.next()));
    await harness.server.shutdown();
    expect(Date.now() - started).toBeLessThan(5_000);
    const errors = await Promise.all(endings);
    expect(new Set(errors.map((e) => `${e.status} ${e.code} ${e.message}`))).toEqual(
      new Set([`${Status.UNAVAILABLE} UNAVAILABLE server is shutting down`]),
    );
    expect(seen.every((o) => o.signal?.aborted)).toBe(true);
  });
});

describe('transport', () => {
  it('refuses a message larger than grpc.max_message_bytes', async () => {
    harness = await startGrpcHarness(makeStubServices(), { grpc: { max_message_bytes: 4096 } });
    const err = await grpcErrorOf(
      harness.clients.tasks.createTask({
        namespace: 'n',
        name: 'x',
        version: '1',
        context: { blob: 'x'.repeat(10_000) },
      }),
    );
    expect(err.status).toBe(Status.RESOURCE_EXHAUSTED);
  });

  it('serves TLS with the configured certificate and refuses plaintext', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tasker-grpc-tls-'));
    try {
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
      harness = await startGrpcHarness(
        makeStubServices(),
        { grpc: { tls: { enabled: true, cert_path: cert, key_path: key } } },
        {
          clientOptions: { credentials: ChannelCredentials.createSsl(readFileSync(cert)) },
        },
      );
      expect((await harness.clients.health.checkLiveness({})).status).toBe('alive');
      const plaintext = harness.connect();
      expect(
        (await grpcErrorOf(plaintext.health.checkLiveness({}, { signal: AbortSignal.timeout(5000) }))).status,
      ).toBe(Status.UNAVAILABLE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

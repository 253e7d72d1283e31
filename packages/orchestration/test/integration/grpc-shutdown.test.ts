// Graceful shutdown with open streams, in one process with the REST app (as the server runs): health goes
// NOT_SERVING, every open StreamTaskStatus ends with UNAVAILABLE (clients resume elsewhere with their cursor),
// and gRPC, REST and the runtime are all stopped well within 5 s.
import { ERROR_CODE_TRAILER } from '@tasker/shared/errors';
import { Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../src/rest/app.js';
import { closeApp } from '../../src/rest/plumbing.js';
import { createGrpcServer, type GrpcServer } from '../../src/grpc/server.js';
import { createTaskerClients, grpcErrorOf, type TaskerClients } from './helpers/grpc-client.js';
import { registerFixtureTemplate, startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';

let runtime: TestRuntime;
let grpc: GrpcServer;
let clients: TaskerClients;
let rest: Awaited<ReturnType<typeof buildRestApp>>;

beforeAll(async () => {
  runtime = await startTestRuntime({ auth: { enabled: false } });
  await registerFixtureTemplate(runtime.services, 'linear');
  rest = await buildRestApp(runtime.services, runtime.config);
  await rest.listen({ host: '127.0.0.1', port: 0 });
  grpc = createGrpcServer(runtime.services, runtime.config);
  const { port } = await grpc.listen('127.0.0.1:0');
  clients = createTaskerClients(`127.0.0.1:${port}`);
});

afterAll(async () => {
  clients?.close();
  await grpc?.shutdown();
  await runtime?.stop();
});

describe('shutdown', () => {
  it('ends 50 open task streams with UNAVAILABLE and stops everything within 5 s', async () => {
    const tasks = [];
    for (let i = 1; i <= 50; i += 1) {
      tasks.push(
        await runtime.services.tasks.create(TEST_PRINCIPAL, {
          namespace: 'billing',
          name: 'invoice_settlement',
          version: '1.0.0',
          context: { invoice_id: i },
          initiator: 't',
          sourceSystem: 't',
          reason: 't',
        }),
      );
    }
    const streams = tasks.map((t) =>
      clients.tasks.streamTaskStatus({ taskUuid: t.taskUuid, includeSteps: true })[Symbol.asyncIterator](),
    );
    // Each stream has replayed its first event: all 50 are open and waiting for live events.
    await Promise.all(streams.map((s) => s.next()));
    const endings = streams.map((s) =>
      grpcErrorOf(async () => {
        for (;;) if ((await s.next()).done) return;
      }),
    );

    const started = Date.now();
    await grpc.shutdown();
    await closeApp(rest, runtime.config.shutdown.grace_ms);
    await runtime.stop();
    const elapsed = Date.now() - started;

    const errors = await Promise.all(endings);
    expect(elapsed).toBeLessThan(5_000);
    expect(errors.map((e) => [e.status, e.code, e.trailer?.get(ERROR_CODE_TRAILER)])).toEqual(
      Array.from({ length: 50 }, () => [Status.UNAVAILABLE, 'UNAVAILABLE', 'UNAVAILABLE']),
    );
    // The listener is gone: a new call cannot connect.
    const late = await grpcErrorOf(clients.health.checkLiveness({}, { signal: AbortSignal.timeout(3_000) }));
    expect([Status.UNAVAILABLE, Status.CANCELLED]).toContain(late.status);
  });
});

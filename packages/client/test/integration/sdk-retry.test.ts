// Retries against servers that answer "unavailable, retry after 1 s" twice and then succeed: a tiny HTTP server
// and a real gRPC server with a failing implementation. Idempotent calls wait the server's delay and succeed;
// non-idempotent ones fail at once; a dead address is skipped for the next one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { taskToProto } from '@tasker/shared/convert/proto/index';
import { taskToRest } from '@tasker/shared/convert/rest/index';
import { TaskServiceDefinition, type TaskServiceImplementation } from '@tasker/shared/gen/tasker/v1/tasks';
import { WorkerServiceDefinition, type WorkerServiceImplementation } from '@tasker/shared/gen/tasker/v1/workers';
import { makeCreateTaskInput, makeTask } from '@tasker/shared/testing/builders';
import { ServerError, Status, createServer as createGrpcServer, type Server as GrpcServer } from 'nice-grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type TaskerClient, type Transport } from '../../src/index.js';

const TASK = makeTask();
/** Calls each flaky endpoint received, by operation. */
const calls = new Map<string, number>();
let failuresLeft = 0;

function count(op: string): number {
  const n = (calls.get(op) ?? 0) + 1;
  calls.set(op, n);
  return n;
}

let http: Server;
let grpc: GrpcServer;
const port: Record<Transport, number> = { rest: 0, grpc: 0 };

beforeAll(async () => {
  http = createServer((req, res) => {
    const op = `${req.method} ${req.url?.split('?')[0]}`;
    count(op);
    req.resume();
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: { code: 'BACKPRESSURE', message: 'queue full' } }));
      return;
    }
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(taskToRest(TASK)));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port.rest = (http.address() as AddressInfo).port;

  const flaky = async <T>(
    op: string,
    context: { trailer: { set(k: string, v: string): void } },
    answer: () => T,
  ): Promise<T> => {
    count(op);
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      context.trailer.set('error-code', 'BACKPRESSURE');
      context.trailer.set('retry-after', '1');
      throw new ServerError(Status.UNAVAILABLE, 'queue full');
    }
    return answer();
  };
  const impl: Partial<TaskServiceImplementation> = {
    getTask: (_req, context) => flaky('GetTask', context, () => ({ task: taskToProto(TASK), steps: [] })),
    createTask: (_req, context) =>
      flaky('CreateTask', context, () => ({ task: taskToProto(TASK), backpressure: { active: false } })),
    cancelTask: (_req, context) => flaky('CancelTask', context, () => ({ task: taskToProto(TASK), success: true })),
  };
  grpc = createGrpcServer();
  // nice-grpc binds every method of the service; the ones this test does not use answer UNIMPLEMENTED.
  const unimplemented = async (): Promise<never> => {
    throw new ServerError(Status.UNIMPLEMENTED, 'not in this test');
  };
  grpc.add(
    TaskServiceDefinition,
    new Proxy(impl, {
      get: (target, key) => target[key as keyof typeof target] ?? unimplemented,
    }) as TaskServiceImplementation,
  );
  const workers: Partial<WorkerServiceImplementation> = {
    reportResults: (_req, context) => flaky('ReportResults', context, () => ({ outcomes: [], claimed: [] })),
  };
  grpc.add(
    WorkerServiceDefinition,
    new Proxy(workers, {
      get: (target, key) => target[key as keyof typeof target] ?? unimplemented,
    }) as WorkerServiceImplementation,
  );
  port.grpc = await grpc.listen('127.0.0.1:0');
});

afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
  grpc.forceShutdown();
});

afterEach(() => {
  calls.clear();
  failuresLeft = 0;
});

const OPS: Record<Transport, { get: string; create: string; cancel: string; report: string }> = {
  rest: {
    get: `GET /v1/tasks/${TASK.taskUuid}`,
    create: 'POST /v1/tasks',
    cancel: `DELETE /v1/tasks/${TASK.taskUuid}`,
    report: 'POST /v1/workers/results',
  },
  grpc: { get: 'GetTask', create: 'CreateTask', cancel: 'CancelTask', report: 'ReportResults' },
};

describe.each(['rest', 'grpc'] as const)('retries over %s', (transport) => {
  const open = (address: string | string[] = `127.0.0.1:${port[transport]}`): TaskerClient =>
    createClient({ transport, address, retry: { maxAttempts: 4, baseMs: 10, maxMs: 50 } });

  it('waits out Retry-After twice and then succeeds (idempotent read)', async () => {
    const client = open();
    failuresLeft = 2;
    const started = Date.now();
    const task = await client.tasks.get(TASK.taskUuid);
    const elapsed = Date.now() - started;
    expect(task.taskUuid).toBe(TASK.taskUuid);
    expect(calls.get(OPS[transport].get)).toBe(3);
    // Two waits of the server's 1 s, although the client's own backoff is capped at 50 ms.
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    await client.close();
  });

  it('retries a create only when it carries an idempotency key', async () => {
    const client = open();
    failuresLeft = 2;
    const { idempotencyKey: _key, ...unkeyed } = makeCreateTaskInput();
    const error = await client.tasks.create(unkeyed).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKPRESSURE', retryAfterSeconds: 1, transport });
    expect(calls.get(OPS[transport].create)).toBe(1);
    failuresLeft = 1;
    await client.tasks.create(makeCreateTaskInput({ idempotencyKey: 'k-1' }));
    expect(calls.get(OPS[transport].create)).toBe(3);
    await client.close();
  });

  it('never retries a non-idempotent call', async () => {
    const client = open();
    failuresLeft = 1;
    await expect(client.tasks.cancel(TASK.taskUuid)).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    expect(calls.get(OPS[transport].cancel)).toBe(1);
    failuresLeft = 1;
    await expect(client.workers.reportResults({ workerId: 'w', results: [], claim: null })).rejects.toMatchObject({
      code: 'BACKPRESSURE',
    });
    expect(calls.get(OPS[transport].report)).toBe(1);
    await client.close();
  });

  it('gives up after maxAttempts', async () => {
    const client = createClient({ transport, address: `127.0.0.1:${port[transport]}`, retry: { maxAttempts: 2 } });
    failuresLeft = 5;
    await expect(client.tasks.get(TASK.taskUuid)).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    expect(calls.get(OPS[transport].get)).toBe(2);
    await client.close();
  });

  it('fails over from an unreachable address to the next one', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    const client = open([`127.0.0.1:${deadPort}`, `127.0.0.1:${port[transport]}`]);
    for (let i = 0; i < 3; i += 1) expect((await client.tasks.get(TASK.taskUuid)).taskUuid).toBe(TASK.taskUuid);
    expect(calls.get(OPS[transport].get)).toBe(3);
    await client.close();
  });
});

// Two edges of the REST app on a real listening server: a request that arrives while the server shuts down
// gets the error table's 503 with Retry-After (not Fastify's own body), and credentials put in a URL never
// reach the request log.
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTask } from '@tasker/shared/testing/builders';
import { buildRestApp } from './app.js';
import { closeApp, redactUrl } from './plumbing.js';
import { makeFakeServices } from './testing/fake-services.js';
import { makeTestConfig } from './testing/test-config.js';

let app: FastifyInstance | undefined;

afterEach(async () => {
  if (app !== undefined) await closeApp(app, 500);
  app = undefined;
});

function portOf(server: FastifyInstance): number {
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('a request arriving during shutdown', () => {
  it('is answered 503 UNAVAILABLE in the error shape with Retry-After while in-flight requests finish', async () => {
    const releases: Array<() => void> = [];
    let calls = 0;
    let started: () => void = () => undefined;
    const inFlight = new Promise<void>((r) => (started = r));
    const task = makeTask();
    const services = makeFakeServices({
      tasks: {
        get: async () => {
          calls += 1;
          started();
          await new Promise<void>((r) => releases.push(r));
          return task;
        },
      },
    });
    app = await buildRestApp(services, makeTestConfig());
    await app.listen({ host: '127.0.0.1', port: 0 });

    // Request A keeps the server busy; request B's headers are half sent on a second connection before
    // close() begins (so the connection is not idle and survives it), and completed after.
    const port = portOf(app);
    const first = fetch(`http://127.0.0.1:${port}/v1/tasks/${task.taskUuid}`);
    await inFlight;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.write(`GET /v1/tasks/${task.taskUuid} HTTP/1.1\r\nHost: x\r\n`);
    await new Promise((r) => setTimeout(r, 50));
    // closeApp: fetch's kept-alive socket would otherwise hold close() until its keep-alive timeout.
    const closing = closeApp(app, 500);
    await new Promise((r) => setTimeout(r, 50));
    socket.write('\r\n');
    await expect.poll(() => received).toContain('}}');
    for (const release of releases) release();
    expect((await first).status).toBe(200);
    await closing;
    app = undefined;

    expect(calls).toBe(1);
    const [head, body] = received.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(head).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(body!)).toEqual({ error: { code: 'UNAVAILABLE', message: 'server is shutting down' } });
  });
});

describe('request logs', () => {
  it('redact credentials given as query parameters, keeping everything else', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter((l) => l !== ''),
        );
        done();
      },
    });
    const services = makeFakeServices({
      tasks: {
        list: async () => ({
          tasks: [],
          pagination: { page: 1, perPage: 25, totalCount: 0, totalPages: 0, hasNext: false, hasPrevious: false },
        }),
      } as never,
    });
    app = await buildRestApp(services, makeTestConfig(), { logger: { level: 'debug', stream } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${portOf(app)}`;
    await fetch(
      `${base}/v1/tasks?api_key=tsk_SECRET1&namespace=billing&token=SECRET2&X-API-KEY=SECRET3&access%5Ftoken=SECRET4`,
    );
    await fetch(`${base}/v1/nowhere?password=SECRET5`);
    const logged = lines.join('\n');
    for (const secret of ['SECRET1', 'SECRET2', 'SECRET3', 'SECRET4', 'SECRET5']) expect(logged).not.toContain(secret);
    const urls = lines
      .map((l) => (JSON.parse(l) as { req?: { url?: string } }).req?.url)
      .filter((u) => u !== undefined);
    expect(urls).toContain(
      '/v1/tasks?api_key=[REDACTED]&namespace=billing&token=[REDACTED]&X-API-KEY=[REDACTED]&access%5Ftoken=[REDACTED]',
    );
  });

  it('redactUrl leaves URLs without credentials alone', () => {
    expect(redactUrl('/v1/tasks')).toBe('/v1/tasks');
    expect(redactUrl('/v1/tasks?namespace=a&state=complete&keyword')).toBe(
      '/v1/tasks?namespace=a&state=complete&keyword',
    );
    expect(redactUrl('/v1/tasks?x-tenant-key=s', 'X-Tenant-Key')).toBe('/v1/tasks?x-tenant-key=[REDACTED]');
    expect(redactUrl('/v1/tasks?%zz=1&key=2')).toBe('/v1/tasks?%zz=1&key=[REDACTED]');
  });
});

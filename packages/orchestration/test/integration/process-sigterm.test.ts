// The real orchestration process (`main.ts`, as `npm start` runs it) with 50 open StreamTaskStatus streams and an
// SSE stream: SIGTERM ends them all and the process exits 0 within 5 seconds.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createChannel, createClient } from 'nice-grpc';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TaskServiceDefinition } from '@tasker/shared/gen/tasker/v1/tasks';
import { findFreePort } from '../../src/db/embedded.js';
import { readFixtureTemplate } from './helpers/runtime.js';
import { useTestDatabase } from './helpers/test-db.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const db = useTestDatabase();
let child: ChildProcess;
let rest: string;
let grpc: string;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let output = '';

beforeAll(async () => {
  const [restPort, grpcPort] = [await findFreePort(), await findFreePort()];
  rest = `http://127.0.0.1:${restPort}`;
  grpc = `127.0.0.1:${grpcPort}`;
  child = spawn(process.execPath, ['--import', 'tsx', 'packages/orchestration/src/main.ts'], {
    cwd: repo,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      TASKER_ENV: 'test',
      TASKER_AUTH_ENABLED: 'false',
      TASKER_REST_ADDRESS: `127.0.0.1:${restPort}`,
      TASKER_GRPC_ADDRESS: grpc,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  for (let i = 0; ; i += 1) {
    const ready = await fetch(`${rest}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (i > 300) throw new Error(`orchestration did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

it('exits 0 within 5 s of SIGTERM with 50 open gRPC streams and an SSE stream', async () => {
  const template = parseYaml(readFixtureTemplate('linear')) as object;
  const registered = await fetch(`${rest}/v1/templates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ templates: [template] }),
  });
  expect(registered.status).toBeLessThan(300);
  const created = await fetch(`${rest}/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      namespace: 'billing',
      name: 'invoice_settlement',
      version: '1.0.0',
      context: { invoice_id: 1 },
      initiator: 't',
      source_system: 't',
      reason: 'sigterm',
    }),
  });
  expect(created.status).toBe(201);
  const { task_uuid: taskUuid } = (await created.json()) as { task_uuid: string };

  // No worker runs: the task stays in progress and every stream stays open until the server ends it.
  const channel = createChannel(grpc);
  const tasks = createClient(TaskServiceDefinition, channel);
  const streams = Array.from({ length: 50 }, async () => {
    let events = 0;
    try {
      for await (const _ of tasks.streamTaskStatus({ taskUuid, includeSteps: true })) events += 1;
      return { events, ended: 'cleanly' as const };
    } catch {
      return { events, ended: 'with an error' as const };
    }
  });
  const sse = await fetch(`${rest}/v1/tasks/${taskUuid}/events`);
  expect(sse.status).toBe(200);
  const sseDone = sse.text();
  await new Promise((r) => setTimeout(r, 500));

  const started = performance.now();
  child.kill('SIGTERM');
  const { code } = await exited;
  const tookMs = performance.now() - started;
  channel.close();

  expect(code, output).toBe(0);
  expect(tookMs).toBeLessThan(5_000);
  const results = await Promise.all(streams);
  expect(results.every((r) => r.events > 0)).toBe(true);
  await sseDone;
});

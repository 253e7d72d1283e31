// Shared by the rest-*.test.ts files: the REST app over a real runtime (its own cloned database) listening
// on 127.0.0.1:0, a small fetch client, the linear template fixture and an HTTP-only worker loop.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '@tasker/shared/config';
import type { Services } from '../../src/services/types.js';
import { buildRestApp } from '../../src/rest/app.js';
import { closeApp } from '../../src/rest/plumbing.js';
import { startTestRuntime } from './helpers/runtime.js';

export const LINEAR_YAML = readFileSync(new URL('../fixtures/rest-linear.yaml', import.meta.url), 'utf8');
export const LINEAR_STEPS = ['load_invoice', 'compute_tax', 'charge_card', 'send_receipt'] as const;
export const MISSING_UUID = '0190a4f0-5a1b-7c3d-8e4f-0000000000ff';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // Tests read arbitrary JSON shapes; schema checks are the converters' and routes' business.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface RestHarness {
  base: string;
  app: FastifyInstance;
  services: Services;
  config: Config;
  /** JSON request; `raw` sends a string body as is (malformed JSON tests). */
  api(
    method: string,
    path: string,
    options?: { json?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
}

export interface HarnessOptions {
  /** Wraps the runtime's services (tests that observe what the transport hands the service layer). */
  wrapServices?: (services: Services) => Services;
}

/** Starts the runtime and the REST app for the calling file; torn down after the file's tests. */
export function useRestHarness(options: HarnessOptions = {}): RestHarness {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>> | undefined;
  let app: FastifyInstance | undefined;
  const harness = {} as RestHarness;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const services = options.wrapServices ? options.wrapServices(runtime.services) : runtime.services;
    const config = { ...runtime.config, auth: { ...runtime.config.auth, enabled: false } } as Config;
    app = await buildRestApp(services, config);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('REST app has no TCP address');
    const base = `http://127.0.0.1:${address.port}`;
    Object.assign(harness, {
      base,
      app,
      services,
      config,
      async api(method, path, opts = {}) {
        const headers: Record<string, string> = { ...(opts.headers ?? {}) };
        let body: string | undefined;
        if (opts.raw !== undefined) body = opts.raw;
        else if (opts.json !== undefined) body = JSON.stringify(opts.json);
        if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
        const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
        const text = await res.text();
        let parsed: unknown = text;
        if ((res.headers.get('content-type') ?? '').includes('application/json') && text !== '')
          parsed = JSON.parse(text);
        return { status: res.status, headers: res.headers, body: parsed };
      },
    } satisfies RestHarness);
  });

  afterAll(async () => {
    if (app !== undefined) await closeApp(app, 200);
    await runtime?.stop();
  });

  return harness;
}

export async function registerLinearTemplate(h: RestHarness): Promise<void> {
  const res = await h.api('POST', '/v1/templates', { json: { templates: [{ yaml: LINEAR_YAML }] } });
  if (res.status !== 200) throw new Error(`template registration failed: ${res.status} ${JSON.stringify(res.body)}`);
}

let taskCounter = 0;

/** A create-task body for the linear template; a distinct context each call (identity is `strict`). */
export function linearTaskBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  taskCounter += 1;
  return {
    namespace: 'billing',
    name: 'invoice_settlement',
    version: '1.0.0',
    context: { invoice_id: `INV-${process.pid}-${taskCounter}-${Date.now()}` },
    initiator: 'rest-tests',
    source_system: 'vitest',
    reason: 'integration test',
    ...overrides,
  };
}

export async function createLinearTask(h: RestHarness, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await h.api('POST', '/v1/tasks', { json: linearTaskBody(overrides) });
  if (res.status !== 201) throw new Error(`task creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.task_uuid as string;
}

export interface ClaimedStepJson {
  task_uuid: string;
  step_uuid: string;
  step_name: string;
  lease_token: string;
  parent_results: Record<string, unknown>;
  attempt: number;
}

/** One claim over HTTP. */
export async function claimSteps(
  h: RestHarness,
  workerId: string,
  waitMs = 0,
  maxSteps = 4,
): Promise<ClaimedStepJson[]> {
  const res = await h.api('POST', '/v1/workers/claim', {
    json: { worker_id: workerId, wait_ms: waitMs, max_steps: maxSteps },
  });
  if (res.status !== 200) throw new Error(`claim failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.steps as ClaimedStepJson[];
}

/**
 * Claims and completes steps over HTTP until `done()` or the deadline; each result records the step name
 * and the parents it saw. Returns the names of the steps it completed, in order.
 */
export async function runHttpWorker(
  h: RestHarness,
  workerId: string,
  done: () => Promise<boolean>,
  deadlineMs = 20_000,
): Promise<string[]> {
  const completed: string[] = [];
  const deadline = Date.now() + deadlineMs;
  while (!(await done())) {
    if (Date.now() > deadline)
      throw new Error(`worker gave up after ${deadlineMs} ms; completed ${completed.join(', ')}`);
    for (const step of await claimSteps(h, workerId, 300)) {
      const res = await h.api('POST', '/v1/workers/complete', {
        json: {
          worker_id: workerId,
          step_uuid: step.step_uuid,
          lease_token: step.lease_token,
          result: { step: step.step_name, parents: Object.keys(step.parent_results).sort() },
          execution_time_ms: 1,
        },
      });
      if (res.status !== 200) throw new Error(`complete failed: ${res.status} ${JSON.stringify(res.body)}`);
      completed.push(step.step_name);
    }
  }
  return completed;
}

export async function taskStatus(h: RestHarness, taskUuid: string): Promise<string> {
  const res = await h.api('GET', `/v1/tasks/${taskUuid}`);
  return res.body.status as string;
}

export { readSse, type SseMessage } from '../../src/rest/testing/sse.js';

// The worker library in-process against a real orchestration runtime served over gRPC: examples complete,
// a cancelled task stops the running handler, and the worker's own REST and gRPC surfaces answer.
import { createClient as createGrpcClient, createChannel, Metadata } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import {
  WorkerConfigServiceDefinition,
  WorkerHealthServiceDefinition,
  WorkerMetricsServiceDefinition,
  WorkerTemplateServiceDefinition,
} from '@tasker/shared/gen/tasker/v1/worker_surface';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PRINCIPAL } from '../../../orchestration/test/integration/helpers/runtime.js';
import { useGrpcRuntime } from '../../../orchestration/test/integration/helpers/grpc-client.js';
import { handlers } from '../../../../examples/handlers/index.js';
import { createWorker, silentLogger, type Worker } from '../../src/index.js';
import { COMPLETING_EXAMPLES } from './helpers/examples.js';
import { REPO_ROOT, until } from './helpers/processes.js';

const SURFACE_KEY = 'surface-key-for-tests';
const h = useGrpcRuntime();
let worker: Worker;

beforeAll(async () => {
  worker = createWorker({
    orchestration: { transport: 'grpc', address: h.address },
    handlers,
    templatesDir: `${REPO_ROOT}/examples/templates`,
    concurrency: 4,
    claimWaitMs: 1_000,
    drainTimeoutMs: 1_000,
    logger: silentLogger,
    surfaces: { rest: '127.0.0.1:0', grpc: '127.0.0.1:0', apiKey: SURFACE_KEY },
  });
  await worker.start();
});
afterAll(async () => {
  await worker?.stop();
});

async function createTask(namespace: string, name: string, context: Record<string, number>) {
  return h.services.tasks.create(TEST_PRINCIPAL, {
    namespace,
    name,
    version: '1.0.0',
    context,
    initiator: 'test',
    sourceSystem: 'vitest',
    reason: 'worker over grpc',
  });
}

describe('worker over gRPC (in process)', () => {
  it('runs the example workflows to completion', async () => {
    const tasks = await Promise.all(
      COMPLETING_EXAMPLES.map((w) => createTask(w.namespace, w.name, { even_number: 2 })),
    );
    for (const [i, task] of tasks.entries()) {
      const done = await until(
        async () => {
          const t = await h.services.tasks.get(TEST_PRINCIPAL, task.taskUuid);
          return t.state === 'complete' || t.state === 'error' ? t : undefined;
        },
        20_000,
        'task completion',
      );
      expect(done.state, COMPLETING_EXAMPLES[i]!.key).toBe('complete');
    }
    expect(await worker.metricsText()).toMatch(/tasker_worker_steps_completed_total\{handler="math.square"\} \d+/);
  }, 30_000);

  it('aborts the running handler when its task is cancelled, and reports nothing for it', async () => {
    const task = await createTask('linear_workflow', 'mathematical_sequence', { even_number: 2, delay_ms: 20_000 });
    await until(
      async () => (await h.services.steps.list(TEST_PRINCIPAL, task.taskUuid)).some((s) => s.state === 'in_progress'),
      10_000,
      'a running step',
    );
    await h.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, { reason: 'test', performedBy: 'vitest' });
    // Test config: 2 s leases, heartbeats every ~600 ms.
    await until(
      async () =>
        /tasker_worker_steps_abandoned_total\{handler="math.square",reason="cancelled"\} 1/.test(
          await worker.metricsText(),
        ),
      5_000,
      'the handler to be aborted',
    );
    const steps = await h.services.steps.list(TEST_PRINCIPAL, task.taskUuid);
    expect(steps.every((s) => s.state === 'cancelled')).toBe(true);
  }, 20_000);
});

describe("the worker's own surfaces", () => {
  const rest = () => `http://${worker.surfaceAddresses().rest}`;

  it('serves health publicly and readiness once registered', async () => {
    expect(await (await fetch(`${rest()}/health/live`)).json()).toMatchObject({
      status: 'alive',
      worker_id: worker.workerId,
    });
    const ready = await fetch(`${rest()}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { orchestration: { status: 'healthy' } },
      system_info: { max_concurrent_handlers: 4 },
    });
    const metrics = await fetch(`${rest()}/metrics`);
    expect(await metrics.text()).toContain('tasker_worker_steps_in_flight');
  });

  it('guards templates and config with the surface key and never shows secrets', async () => {
    expect((await fetch(`${rest()}/v1/templates`)).status).toBe(401);
    const headers = { 'x-api-key': SURFACE_KEY };
    const list = (await (await fetch(`${rest()}/v1/templates`, { headers })).json()) as {
      template_count: number;
      worker_capabilities: string[];
    };
    expect(list.template_count).toBe(10);
    expect(list.worker_capabilities).toEqual([
      'catalog.merge_rollups',
      'catalog.rollup_chunk',
      'catalog.scan_file',
      'demo.flaky',
      'demo.reject',
      'expense.approve',
      'expense.check',
      'expense.record',
      'expense.route',
      'math.multiply',
      'math.square',
      'pipeline.choose',
      'pipeline.count',
      'pipeline.merge',
      'pipeline.publish',
      'pipeline.scan',
      'pipeline.sum_range',
    ]);
    const one = await fetch(`${rest()}/v1/templates/tree_workflow/hierarchical_tree/1.0.0`, { headers });
    const body = (await one.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ handler_metadata: { handler_names: ['math.square', 'math.multiply'] } });
    // A worker serves the templates it loaded at start: there is no cache, so no `cached` flag.
    expect(Object.keys(body).sort()).toEqual(['handler_metadata', 'template']);
    expect((await fetch(`${rest()}/v1/templates/tree_workflow/nope/1.0.0`, { headers })).status).toBe(404);
    const validation = await fetch(`${rest()}/v1/templates/validate`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'x',
        namespace_name: 'x',
        version: '1.0.0',
        steps: [{ name: 'a', handler: { callable: 'missing.handler' } }],
      }),
    });
    expect(await validation.json()).toMatchObject({
      valid: false,
      required_capabilities: ['missing.handler'],
      step_handlers: { a: 'missing.handler' },
    });
    const config = await (await fetch(`${rest()}/config`, { headers })).text();
    expect(config).toContain('"concurrency":4');
    expect(config).not.toContain(SURFACE_KEY);
    expect(config).not.toContain(h.address);
  });

  it('answers the same over gRPC, with grpc.health.v1 SERVING', async () => {
    const channel = createChannel(worker.surfaceAddresses().grpc as string);
    try {
      const metadata = Metadata({ 'x-api-key': SURFACE_KEY });
      expect((await createGrpcClient(HealthDefinition, channel).check({ service: '' })).status).toBe(1);
      const ready = await createGrpcClient(WorkerHealthServiceDefinition, channel).checkReadiness({});
      expect(ready).toMatchObject({ status: 'ready', workerId: worker.workerId });
      const templates = createGrpcClient(WorkerTemplateServiceDefinition, channel);
      await expect(templates.listTemplates({})).rejects.toMatchObject({ code: 16 });
      expect((await templates.listTemplates({ namespace: 'dag_workflow' }, { metadata })).templates).toHaveLength(1);
      const got = await templates.getTemplate(
        { namespace: 'dag_workflow', name: 'complex_dag', version: '1.0.0' },
        { metadata },
      );
      expect(got.handlerMetadata?.stepNames).toHaveLength(7);
      const config = await createGrpcClient(WorkerConfigServiceDefinition, channel).getConfig({}, { metadata });
      expect(config.config).toMatchObject({ worker: { concurrency: 4 } });
      const metrics = await createGrpcClient(WorkerMetricsServiceDefinition, channel).getMetrics({});
      expect(metrics.samples.some((s) => s.name === 'tasker_worker_steps_claimed_total')).toBe(true);
    } finally {
      channel.close();
    }
  });
});

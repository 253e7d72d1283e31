// createWorker wires a worker process together: settings, the catalog of templates, the surfaces, the
// connection and registration with orchestration, and the step pipeline, under one lifecycle.
import { ConcurrencyLimiter } from './concurrency.js';
import { connectOrchestration } from './connect.js';
import { Lifecycle } from './lifecycle.js';
import { createJsonLogger } from './logger.js';
import { createWorkerMetrics } from './metrics.js';
import { OrchestrationCalls } from './orchestration-calls.js';
import { registerWithOrchestration } from './registration.js';
import { resolveWorkerSettings } from './settings.js';
import { createWorkerStatus } from './status.js';
import { StepPipeline } from './step-pipeline.js';
import { startSurfaces, type StartedSurfaces } from './surfaces/index.js';
import { loadCatalog, type WorkerCatalog } from './templates.js';
import type { Worker, WorkerOptions } from './types.js';

export function createWorker(options: WorkerOptions): Worker {
  const settings = resolveWorkerSettings(options);
  const logger = (options.logger ?? createJsonLogger()).child({ worker_id: settings.workerId });
  const metrics = createWorkerMetrics();
  const limiter = new ConcurrencyLimiter(settings.concurrency);
  const calls = new OrchestrationCalls({ metrics, logger });

  // Acquired by the start, in this order; each is undefined until then.
  let catalog: WorkerCatalog | undefined;
  let surfaces: StartedSurfaces | undefined;
  let connection: ReturnType<typeof connectOrchestration> | undefined;
  let pipeline: StepPipeline | undefined;

  const lifecycle: Lifecycle = new Lifecycle({
    async boot(signal) {
      catalog = await loadCatalog(options, settings.handlerNames);
      surfaces = await startSurfaces(options.surfaces, status);
      connection = connectOrchestration(options.orchestration);
      const { client } = connection;
      await registerWithOrchestration({ client, settings, catalog, calls, logger, signal });
      pipeline = new StepPipeline({
        settings,
        handlers: options.handlers,
        client,
        namespaces: catalog.namespaces,
        limiter,
        calls,
        metrics,
        logger,
        isRunning: () => lifecycle.state === 'running',
      });
    },
    run() {
      surfaces?.grpc?.setServing(true);
      pipeline?.start();
      logger.info(
        {
          namespaces: catalog?.namespaces,
          handlers: settings.handlerNames,
          templates: catalog?.templates.length,
          concurrency: settings.concurrency,
          transport: connection?.client.transport,
          surfaces: surfaces?.addresses(),
        },
        'worker running',
      );
    },
    async drain() {
      surfaces?.grpc?.setServing(false);
      logger.info(
        { in_flight: limiter.inFlight, drain_timeout_ms: settings.drainTimeoutMs },
        'draining: no new claims; waiting for running steps',
      );
      await pipeline?.drain();
    },
    async teardown() {
      await pipeline?.stop();
      await surfaces?.stop();
      surfaces = undefined;
      if (connection?.owned === true) await connection.client.close().catch(() => undefined);
    },
    stopped() {
      logger.info({}, 'worker stopped');
    },
  });

  const status = createWorkerStatus({
    settings,
    options,
    startedAt: Date.now(),
    metrics,
    limiter,
    calls,
    state: () => lifecycle.state,
    registered: () => pipeline !== undefined,
    catalog: () => catalog,
    surfaceAddresses: () => surfaces?.addresses(),
    clientTransport: () => connection?.client.transport,
  });

  return {
    workerId: settings.workerId,
    get state() {
      return lifecycle.state;
    },
    start: () => lifecycle.start(),
    stop: () => lifecycle.stop(),
    surfaceAddresses: () => surfaces?.addresses() ?? { rest: null, grpc: null },
    metricsText: () => metrics.text(),
  };
}

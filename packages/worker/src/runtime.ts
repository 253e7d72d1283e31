// createWorker: the lifecycle of a worker process — validate templates, serve the surfaces, register with
// orchestration, long-poll claims up to free concurrency, and drain gracefully on stop.
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { TaskerClient } from '@tasker/client/types';
import type { ClaimedStep, HealthCheck, JsonObject } from '@tasker/shared';
import { backoffDelay, describeError, isTransientError, sleep } from './backoff.js';
import { ConcurrencyLimiter } from './concurrency.js';
import { StepExecutor } from './executor.js';
import { connectOrchestration, defaultWorkerId } from './connect.js';
import { LeaseKeeper } from './leases.js';
import { ResultReporter } from './reporter.js';
import { createJsonLogger } from './logger.js';
import { createWorkerMetrics } from './metrics.js';
import { startSurfaces, type StartedSurfaces } from './surfaces/index.js';
import type { SurfaceSource } from './surfaces/source.js';
import { namespacesOf, prepareTemplates, readTemplatesDir, validateForWorker, type LoadedTemplate, type TemplateSource } from './templates.js';
import type { Worker, WorkerOptions, WorkerState } from './types.js';

const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export const WORKER_DEFAULTS = Object.freeze({
  concurrency: 10,
  handlerTimeoutMs: 30_000,
  drainTimeoutMs: 30_000,
  claimWaitMs: 20_000,
  resultBatchMax: 64,
  resultBatchWindowMs: 0,
});

/** Result calls on the wire at once: one filling while the other travels. */
const REPORTS_IN_FLIGHT = 2;

/** Longest a draining worker keeps trying to give leases back before it exits anyway. */
const RELEASE_BUDGET_MS = 5_000;

export function createWorker(options: WorkerOptions): Worker {
  const workerId = options.workerId ?? defaultWorkerId();
  const version = options.version ?? PACKAGE_VERSION;
  const environment = options.environment ?? 'development';
  const concurrency = options.concurrency ?? WORKER_DEFAULTS.concurrency;
  const handlerTimeoutMs = options.handlerTimeoutMs ?? WORKER_DEFAULTS.handlerTimeoutMs;
  const drainTimeoutMs = options.drainTimeoutMs ?? WORKER_DEFAULTS.drainTimeoutMs;
  const claimWaitMs = options.claimWaitMs ?? WORKER_DEFAULTS.claimWaitMs;
  const resultBatchMax = options.resultBatchMax ?? WORKER_DEFAULTS.resultBatchMax;
  const resultBatchWindowMs = options.resultBatchWindowMs ?? WORKER_DEFAULTS.resultBatchWindowMs;
  const handlerNames = Object.keys(options.handlers).sort();
  const logger = (options.logger ?? createJsonLogger()).child({ worker_id: workerId });
  const metrics = createWorkerMetrics();
  const limiter = new ConcurrencyLimiter(concurrency);
  const startedAt = Date.now();

  let state: WorkerState = 'created';
  let templates: LoadedTemplate[] = [];
  let namespaces: string[] = [];
  let client: TaskerClient | undefined;
  let ownsClient = false;
  let registered = false;
  let lastCallOkAt = 0;
  let lastCallError: { at: number; message: string } | undefined;
  let surfaces: StartedSurfaces | undefined;
  let leases: LeaseKeeper | undefined;
  let executor: StepExecutor | undefined;
  let reporter: ResultReporter | undefined;
  let claimLoop: Promise<void> | undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const stopSignal = new AbortController();
  const claimAbort = new AbortController();

  const noteOk = () => {
    lastCallOkAt = Date.now();
  };
  const noteFailure = (operation: string, err: unknown) => {
    const { code, message } = describeError(err);
    metrics.transportErrors.inc({ operation, code });
    lastCallError = { at: Date.now(), message: `${operation}: ${code} ${message}` };
  };

  /** Repeats `call` on transient errors with backoff until it succeeds, fails for good, or `signal` aborts. */
  async function retryTransient<T>(operation: string, call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let retry = 1; ; retry += 1) {
      try {
        const value = await call();
        noteOk();
        return value;
      } catch (err) {
        noteFailure(operation, err);
        if (!isTransientError(err)) throw err;
        if (signal.aborted) throw new Error(`${operation} abandoned: the worker is stopping`, { cause: err });
        const delay = backoffDelay(retry);
        logger.warn({ operation, err: describeError(err), retry, delay_ms: delay }, 'orchestration call failed; retrying');
        await sleep(delay, signal);
        if (signal.aborted) throw new Error(`${operation} abandoned: the worker is stopping`, { cause: err });
      }
    }
  }

  const setServing = (serving: boolean) => surfaces?.grpc?.setServing(serving);

  const source: SurfaceSource = {
    workerId,
    version,
    environment,
    startedAt,
    concurrency,
    metrics,
    isReady: () => registered && state === 'running',
    checks(detailed: boolean): Record<string, HealthCheck> {
      const check = (status: HealthCheck['status'], message: string | null): HealthCheck => ({ status, message, durationMs: 0 });
      // Readiness is about registration; a failing call since then only degrades the detailed view (the
      // worker keeps retrying, and its running steps keep their results until delivered).
      const failing = detailed && lastCallError !== undefined && lastCallError.at > lastCallOkAt;
      return {
        orchestration: !registered
          ? check('unhealthy', lastCallError?.message ?? 'not registered yet')
          : failing
            ? check('degraded', lastCallError?.message ?? null)
            : check('healthy', null),
        templates: check('healthy', `${templates.length} templates, ${handlerNames.length} handlers`),
        step_processing: state === 'running' ? check('healthy', `${limiter.inFlight}/${concurrency} slots busy`) : check('unhealthy', `worker is ${state}`),
      };
    },
    activeHandlers: () => limiter.inFlight,
    templates: () => templates,
    namespaces: () => namespaces,
    handlerNames: () => handlerNames,
    validate: (raw) => validateForWorker(raw, handlerNames),
    safeConfig(): JsonObject {
      const addresses = surfaces?.addresses();
      const connection = options.orchestration;
      return {
        metadata: { timestamp: new Date().toISOString(), environment, version },
        worker: {
          worker_id: workerId,
          concurrency,
          handler_timeout_ms: handlerTimeoutMs,
          drain_timeout_ms: drainTimeoutMs,
          claim_wait_ms: claimWaitMs,
          result_batch_max: resultBatchMax,
          result_batch_window_ms: resultBatchWindowMs,
          heartbeat_interval_ms: options.heartbeatIntervalMs ?? null,
          force_templates: options.forceTemplates ?? true,
          namespaces,
          handlers: handlerNames,
          template_count: templates.length,
          rest_port: addresses?.rest === null || addresses === undefined ? null : Number(addresses.rest.split(':').pop()),
          grpc_port: addresses?.grpc === null || addresses === undefined ? null : Number(addresses.grpc.split(':').pop()),
          surface_auth_enabled: options.surfaces?.apiKey !== undefined,
        },
        orchestration: 'client' in connection
          ? { transport: client?.transport ?? null, replica_count: null }
          : { transport: connection.transport, replica_count: connection.addresses?.length ?? 1 },
        ...(options.safeConfig ?? {}),
      };
    },
  };

  /**
   * The long poll: whenever slots are free (not taken by steps, not reserved by a claim riding along with a
   * batch of results), reserve them all and wait for work. Steps it returns take the reserved slots; the
   * rest are given back to the pool.
   */
  async function runClaimLoop(c: TaskerClient, exec: StepExecutor): Promise<void> {
    let failures = 0;
    while (state === 'running') {
      await limiter.whenFree(claimAbort.signal);
      if (claimAbort.signal.aborted) break;
      const reserved = limiter.reserve(limiter.free);
      if (reserved === 0) continue;
      const started = performance.now();
      let steps: ClaimedStep[];
      try {
        steps = await c.workers.claim({ workerId, namespaces, handlerNames, maxSteps: reserved, waitMs: claimWaitMs }, claimAbort.signal);
        noteOk();
        failures = 0;
      } catch (err) {
        limiter.unreserve(reserved);
        if (claimAbort.signal.aborted) break;
        failures += 1;
        noteFailure('claim', err);
        const delay = backoffDelay(failures);
        const fields = { err: describeError(err), retry: failures, delay_ms: delay };
        if (isTransientError(err)) logger.warn(fields, 'claim failed; retrying');
        else logger.error(fields, 'claim refused by orchestration; retrying (check the worker credentials)');
        await sleep(delay, claimAbort.signal);
        continue;
      }
      const receivedAt = Date.now();
      metrics.claimDuration.observe({ result: steps.length > 0 ? 'steps' : 'empty' }, (performance.now() - started) / 1000);
      const run: ClaimedStep[] = [];
      const giveBack: ClaimedStep[] = [];
      for (const step of steps) {
        // Draining, or more steps than asked for: never run more than `concurrency` at once.
        if (state === 'running' && run.length < reserved && limiter.fill()) run.push(step);
        else giveBack.push(step);
      }
      limiter.unreserve(reserved - run.length);
      for (const step of run) exec.launch(step, receivedAt);
      if (giveBack.length > 0) await releaseLeases(c, giveBack.map((s) => ({ stepUuid: s.stepUuid, leaseToken: s.leaseToken })));
    }
  }

  async function releaseLeases(c: TaskerClient, refs: { stepUuid: string; leaseToken: string }[]): Promise<void> {
    if (refs.length === 0) return;
    try {
      const states = await retryTransient('release', () => c.workers.release({ workerId, leases: refs }), AbortSignal.timeout(RELEASE_BUDGET_MS));
      const byStatus: Record<string, number> = {};
      for (const st of states) byStatus[st.status] = (byStatus[st.status] ?? 0) + 1;
      logger.info({ leases: refs.length, statuses: byStatus }, 'leases given back');
    } catch (err) {
      logger.warn({ err: describeError(err), leases: refs.length }, 'could not release leases; they will lapse on their own');
    }
  }

  async function teardown(): Promise<void> {
    await leases?.stop();
    await surfaces?.stop();
    surfaces = undefined;
    if (client !== undefined && ownsClient) await client.close().catch(() => undefined);
  }

  async function start(): Promise<void> {
    const sources: TemplateSource[] = (options.templates ?? []).map((raw, i) => ({ raw, origin: `templates[${i}]` }));
    if (options.templatesDir !== undefined) sources.push(...(await readTemplatesDir(options.templatesDir)));
    templates = prepareTemplates(sources, handlerNames);
    namespaces = options.namespaces !== undefined ? [...new Set(options.namespaces)].sort() : namespacesOf(templates);
    if (namespaces.length === 0) throw new Error('the worker serves no namespace: load templates or pass `namespaces`');

    surfaces = await startSurfaces(options.surfaces, source);
    ({ client, owned: ownsClient } = connectOrchestration(options.orchestration));
    const c = client;
    await retryTransient(
      'register',
      () => c.workers.register({ workerId, hostname: hostname(), version, namespaces, handlers: handlerNames, metadata: { worker_type: 'typescript', concurrency, pid: process.pid } }),
      stopSignal.signal,
    );
    if (templates.length > 0) {
      const results = await retryTransient(
        'register_templates',
        () => c.templates.register(templates.map((t) => t.configuration), { force: options.forceTemplates ?? true }),
        stopSignal.signal,
      );
      for (const r of results) {
        const template = `${r.namespace}/${r.name}@${r.version}`;
        logger.debug({ template, outcome: r.outcome }, 'template registered');
        for (const w of r.warnings) logger.warn({ template, path: w.path }, `template warning: ${w.message}`);
      }
    }
    registered = true;

    leases = new LeaseKeeper({
      workerId,
      heartbeat: (input) => c.workers.heartbeat(input),
      logger,
      ...(options.heartbeatIntervalMs !== undefined ? { fixedIntervalMs: options.heartbeatIntervalMs } : {}),
      onTransportError: (err) => noteFailure('heartbeat', err),
    });
    const keeper = leases;
    reporter = new ResultReporter({
      workerId,
      workers: c.workers,
      limiter,
      leases: keeper,
      metrics,
      logger,
      maxBatch: resultBatchMax,
      windowMs: resultBatchWindowMs,
      maxInFlight: REPORTS_IN_FLIGHT,
      claimFilter: () => (state === 'running' ? { namespaces, handlerNames } : null),
      launch: (steps, receivedAt) => {
        for (const step of steps) executor?.launch(step, receivedAt);
      },
      giveBack: (steps) => void releaseLeases(c, steps.map((s) => ({ stepUuid: s.stepUuid, leaseToken: s.leaseToken }))),
    });
    executor = new StepExecutor({ workerId, handlers: options.handlers, handlerTimeoutMs, leases: keeper, limiter, reporter, metrics, logger });
    state = 'running';
    setServing(true);
    leases.start();
    claimLoop = runClaimLoop(c, executor);
    logger.info(
      { namespaces, handlers: handlerNames, templates: templates.length, concurrency, transport: c.transport, surfaces: surfaces.addresses() },
      'worker running',
    );
  }

  async function drain(): Promise<void> {
    state = 'draining';
    setServing(false);
    logger.info({ in_flight: limiter.inFlight, drain_timeout_ms: drainTimeoutMs }, 'draining: no new claims; waiting for running steps');
    claimAbort.abort();
    await claimLoop;
    // Running steps finish and their results are delivered (no claim rides along any more).
    await limiter.whenIdle(AbortSignal.timeout(drainTimeoutMs));
    if (limiter.inFlight + limiter.reserved > 0 && executor !== undefined && client !== undefined) {
      const unfinished = executor.abortAll();
      logger.warn({ unfinished: unfinished.length }, 'drain deadline passed; releasing the leases of unfinished steps');
      reporter?.abandonRetries();
      await releaseLeases(client, unfinished);
      // The aborted runs settle on the next ticks; give them a moment so their slots are accounted for.
      await limiter.whenIdle(AbortSignal.timeout(1_000));
    }
  }

  const worker: Worker = {
    workerId,
    get state() {
      return state;
    },
    start() {
      if (state !== 'created') return Promise.reject(new Error(`start(): the worker is already ${state}`));
      state = 'starting';
      starting = start().catch(async (err: unknown) => {
        state = 'stopped';
        await teardown();
        throw err;
      });
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        if (state === 'created') {
          state = 'stopped';
          return;
        }
        if (state === 'starting') {
          stopSignal.abort();
          await starting?.catch(() => undefined);
          // start() may have finished registering just before the abort took effect.
          if ((state as WorkerState) !== 'running') return;
        }
        await drain();
        await teardown();
        state = 'stopped';
        logger.info({}, 'worker stopped');
      })();
      return stopping;
    },
    surfaceAddresses: () => surfaces?.addresses() ?? { rest: null, grpc: null },
    metricsText: () => metrics.text(),
  };
  return worker;
}

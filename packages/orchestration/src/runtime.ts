// The composition root: the one place the process is built, started and stopped. Nothing below it constructs
// another layer's pieces; each takes what it needs as arguments.
//   startServer    logger → database (DATABASE_URL, or the embedded server) → migrations → dev admin key →
//                  authenticator, metrics → runtime → REST listening → gRPC listening → engine start; the
//                  graceful stop runs the same steps in reverse.
//   createRuntime  the engine behind the services (one LISTEN connection, claim waiters, lease sweeper, retry
//                  promoter, staleness detector, templates.dir loading, health probe) and the services the
//                  transports are handed, on a pool it does not own (tests and the bench use it alone).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Sql } from 'postgres';
import { parseAddress, type Config } from '@tasker/shared/config';
import type { TemplateDefaults } from '@tasker/shared/domain/template-parse';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import { createAuthenticator, type Authenticate } from './auth/authenticate.js';
import { circuitBreakerOptionsOf } from './db/circuit-breaker.js';
import { createSql } from './db/connect.js';
import { configuredDatabase, type EmbeddedPostgres } from './db/embedded.js';
import { guardSql, sqlGuardOf } from './db/guard.js';
import { migrate, pendingMigrations, readMigrations, type Migration } from './db/migrate.js';
import { createBackgroundLoops, type BackgroundLoops } from './engine/background.js';
import { createClaimWaiters, type ClaimWaiters } from './engine/claim-waiters.js';
import { silentLogger, type EngineLogger } from './engine/logger.js';
import type { Loop, LoopStatus } from './engine/loop.js';
import type { EngineMetrics } from './engine/metrics.js';
import { createNotificationHub, type NotificationHub } from './engine/notification-hub.js';
import { createScheduler } from './engine/scheduler.js';
import { createResultSchemaEnforcer, type ResultSchemaEnforcer } from './engine/result-schemas.js';
import { createTaskWatchRegistry, type TaskWatchRegistry } from './engine/task-watch-registry.js';
import { createTemplateCache, type TemplateCache } from './engine/template-cache.js';
import { createGrpcServer } from './grpc/server.js';
import { createMetrics, type MetricsCollectors, type TaskerMetrics } from './metrics/index.js';
import { createServiceInstrumentation } from './metrics/instrument.js';
import { countConnectionsByState, countEnqueuedStepsByNamespace } from './repositories/analytics.js';
import { findApiKeyByDigest, touchApiKey } from './repositories/api-keys.js';
import { buildRestApp, restLoggerOptions } from './rest/app.js';
import { OPENAPI_JSON_PATH, OPENAPI_UI_PATH } from './rest/openapi.js';
import { closeApp } from './rest/plumbing.js';
import { createAnalyticsService, createPoolStatsSource, type PoolStats } from './services/analytics.js';
import { createApiKeyService, ensureDevApiKey } from './services/api-keys.js';
import { createConfigService } from './services/config.js';
import { createDlqService } from './services/dlq-investigations.js';
import { createHealthService, type HealthController } from './services/health.js';
import { createScheduleService } from './services/schedules.js';
import { createStepService } from './services/steps.js';
import { createTaskEventService } from './services/task-events.js';
import { createTaskService } from './services/tasks.js';
import { registerTemplateDirectory } from './services/template-directory.js';
import { createTemplateService } from './services/templates.js';
import type { Services } from './services/types.js';
import { createWorkerService } from './services/workers.js';

export interface RuntimeOptions {
  /**
   * The process's pool. The runtime never closes it: its owner does, after stop(). A pool from createSql
   * keeps its own guard (circuit breaker, usage counters); any other is guarded here with
   * `config.database.circuit_breaker`.
   */
  sql: Sql;
  config: Config;
  /** pino-like; default silent. */
  logger?: EngineLogger;
  /** Reported by health info. Default: @tasker/orchestration's package version. */
  version?: string;
  /** Migrations directory for the readiness check. Default the repository's migrations/. */
  migrationsDir?: string;
  /** What the background loops report (lease expiries, retries, staleness DLQ entries). Default: nothing. */
  metrics?: EngineMetrics;
  /** Busy/max connections of this process's pool, for analytics' resource utilisation. */
  poolStats?: () => Promise<PoolStats>;
}

export interface Runtime {
  services: Services;
  health: HealthController;
  /** Starts listening, loads templates.dir, starts the loops and the health probe; readiness turns on. */
  start(): Promise<void>;
  /** Readiness off, streams and long-polls end, loops stop. Does not close `sql`. Idempotent. */
  stop(): Promise<void>;
}

/** This package's version, reported by health info. */
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Who registers the templates of templates.dir (shown as registered_by). */
const TEMPLATE_DIR_PRINCIPAL: Principal = { ...ALL_PERMISSIONS_PRINCIPAL, subject: 'templates.dir' };

/** The engine's in-process parts, wired to each other; the services and health read them. */
interface Engine {
  hub: NotificationHub;
  waiters: ClaimWaiters;
  loops: BackgroundLoops;
  watches: TaskWatchRegistry;
  cache: TemplateCache;
  resultSchemas: ResultSchemaEnforcer;
}

function createEngine(sql: Sql, config: Config, logger: EngineLogger, metrics: EngineMetrics | undefined): Engine {
  const cache = createTemplateCache(sql, {
    ttlMs: config.templates.cache_ttl_ms,
    defaults: templateDefaultsOf(config),
    environment: config.environment,
    // Only the expansion limits travel into task plans (the checkpoint keys are the worker service's).
    dynamicLimits: {
      max_steps_per_decision: config.dynamic.max_steps_per_decision,
      max_workers_per_batch: config.dynamic.max_workers_per_batch,
      max_expansion_depth: config.dynamic.max_expansion_depth,
    },
  });
  const engine: Engine = {
    hub: createNotificationHub(sql, logger),
    waiters: createClaimWaiters(),
    loops: createBackgroundLoops(sql, config, logger, metrics),
    watches: createTaskWatchRegistry(sql, logger),
    cache,
    resultSchemas: createResultSchemaEnforcer(sql, cache, { ttlMs: config.templates.cache_ttl_ms }),
  };
  const { hub, waiters, resultSchemas } = engine;
  hub.onStepsReady((ready) => waiters.notify(ready));
  hub.onReconnect(() => waiters.wakeAll());
  hub.onTemplateChanged((t) => {
    cache.invalidate(t.namespace, t.name, t.version);
    resultSchemas.templateChanged();
  });
  hub.onReconnect(() => resultSchemas.templateChanged());
  return engine;
}

/** config.backoff defaults for retry keys a template leaves out. */
function templateDefaultsOf(config: Config): Partial<TemplateDefaults> {
  return {
    backoffBaseMs: config.backoff.default_base_ms,
    maxBackoffMs: config.backoff.max_backoff_ms,
    jitter: config.backoff.jitter_ratio,
  };
}

function createHealth(
  sql: Sql,
  options: RuntimeOptions,
  engine: Engine,
  extraLoops: () => Record<string, LoopStatus>,
): HealthController {
  const { config } = options;
  const guard = sqlGuardOf(sql);
  if (guard === undefined) throw new Error('the runtime pool has no guard');
  const { loops, watches, hub } = engine;
  // Migration files do not change under a running process: read and hashed once, compared on demand.
  let onDisk: Promise<Migration[]> | undefined;
  return createHealthService({
    version: options.version ?? PACKAGE_VERSION,
    environment: config.environment,
    poolMax: config.database.pool_max,
    probe: () => loops.pulse(),
    intervalMs: config.engine.pulse_interval_ms,
    guard,
    queueDepth: () => loops.queueDepths.report(),
    pendingMigrations: async () => {
      onDisk ??= readMigrations(options.migrationsDir);
      const migrations = await onDisk.catch((err: unknown) => {
        onDisk = undefined;
        throw err;
      });
      return pendingMigrations(sql, migrations);
    },
    loops: () => {
      const statuses: Record<string, LoopStatus> = {};
      for (const [name, loop] of Object.entries(loops.all())) statuses[name] = loop.status();
      statuses['task_watchers'] = watches.loop.status();
      statuses['notification_listener'] = { running: hub.isListening(), lastRunAt: null, lastError: null };
      return { ...statuses, ...extraLoops() };
    },
  });
}

function createServices(
  sql: Sql,
  options: RuntimeOptions,
  engine: Engine,
  lifecycle: {
    health: HealthController;
    isStopped: () => boolean;
    shutdown: AbortSignal;
    wakeScheduler: (at: Date) => void;
  },
): Services {
  const { config } = options;
  const { cache, resultSchemas, loops } = engine;
  // A registration here is known to the result_schema enforcer at once; other replicas learn it by NOTIFY.
  const registering = {
    ...cache,
    invalidate: (namespace: string, name: string, version: string) => {
      cache.invalidate(namespace, name, version);
      resultSchemas.templateChanged();
    },
  };
  return {
    tasks: createTaskService({
      sql,
      cache,
      backpressure: { queueDepths: loops.queueDepths, retryAfterSeconds: config.backpressure.retry_after_seconds },
      maxStartDelayDays: config.engine.max_start_delay_days,
      onStartScheduled: (at) => loops.starter.wake(at),
    }),
    steps: createStepService({ sql }),
    templates: createTemplateService({
      sql,
      cache: registering,
      environment: config.environment,
      defaults: templateDefaultsOf(config),
      staleness: { taskMaxLifetimeHours: config.staleness.thresholds.task_max_lifetime_hours },
    }),
    workers: createWorkerService({
      sql,
      engine: {
        leaseSeconds: config.engine.lease_seconds,
        pollFallbackMs: config.engine.poll_fallback_ms,
        maxClaimWaitMs: config.engine.max_claim_wait_ms,
        maxClaimBatch: config.engine.max_claim_batch,
        workerLivenessSeconds: config.engine.worker_liveness_seconds,
      },
      backoffMultiplier: config.backoff.multiplier,
      checkpoints: { maxBytes: config.dynamic.checkpoint_max_bytes, history: config.dynamic.checkpoint_history },
      waiters: engine.waiters,
      resultSchemas,
      isStopped: lifecycle.isStopped,
      onRetryScheduled: (at) => loops.promoter.wake(at),
    }),
    taskEvents: createTaskEventService({
      sql,
      hub: engine.hub,
      watches: engine.watches,
      keepaliveMs: config.task_events.keepalive_ms,
      replayBatch: config.task_events.replay_batch,
      shutdown: lifecycle.shutdown,
    }),
    health: lifecycle.health,
    config: createConfigService(config, sql),
    dlq: createDlqService({ sql, config }),
    analytics: createAnalyticsService({ sql, config, ...(options.poolStats ? { poolStats: options.poolStats } : {}) }),
    apiKeys: createApiKeyService({ sql }),
    schedules: createScheduleService({ sql, cache, onNextFireAt: lifecycle.wakeScheduler }),
  };
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config } = options;
  const sql = guardSql(options.sql, { circuitBreaker: circuitBreakerOptionsOf(config.database.circuit_breaker) });
  const logger = options.logger ?? silentLogger;
  const shutdown = new AbortController();
  let stopped = false;
  let stopping: Promise<void> | undefined;

  const engine = createEngine(sql, config, logger, options.metrics);
  const { hub, waiters, loops, watches } = engine;
  const templatesStatus: LoopStatus = { running: false, lastRunAt: null, lastError: null };
  let scheduler: Loop | null = null;
  const health = createHealth(sql, options, engine, () => ({
    ...(config.templates.dir !== null ? { templates_dir: templatesStatus } : {}),
    ...(scheduler !== null ? { scheduler: scheduler.status() } : {}),
  }));
  const services = createServices(sql, options, engine, {
    health,
    isStopped: () => stopped,
    shutdown: shutdown.signal,
    wakeScheduler: (at) => scheduler?.wake(at),
  });
  if (config.schedules.enabled) {
    scheduler = createScheduler({
      sql,
      tasks: services.tasks,
      logger,
      misfireGraceMs: config.schedules.misfire_grace_ms,
    });
    loops.attachScheduler(scheduler);
  }
  const allLoops = (): Loop[] => [...Object.values(loops.all()), ...(scheduler === null ? [] : [scheduler])];

  return {
    services,
    health,
    async start() {
      await hub.start();
      if (config.templates.dir !== null) {
        templatesStatus.running = true;
        const result = await registerTemplateDirectory(
          config.templates.dir,
          services.templates,
          TEMPLATE_DIR_PRINCIPAL,
          logger,
        );
        templatesStatus.lastRunAt = new Date();
        templatesStatus.lastError =
          result.failed.length === 0 ? null : result.failed.map((f) => `${f.file}: ${f.error}`).join('; ');
      }
      for (const loop of allLoops()) loop.start();
      watches.loop.start();
      await health.start();
      health.setOperationalState('normal');
      logger.info({ environment: config.environment }, 'engine started');
    },
    stop() {
      stopping ??= (async () => {
        health.setOperationalState('graceful_shutdown');
        stopped = true;
        shutdown.abort();
        waiters.stop();
        await Promise.all([...allLoops(), watches.loop].map((loop) => loop.stop()));
        await watches.clear();
        await hub.stop();
        health.stop();
        health.setOperationalState('stopped');
        templatesStatus.running = false;
        logger.info({}, 'engine stopped');
      })();
      return stopping;
    },
  };
}

export interface StartServerOptions {
  /** The process's logger (pino): false, true, or pino options. Default false. */
  logger?: FastifyServerOptions['logger'];
  /** Credential check override (tests); by default built from `config.auth` with the stored API keys. */
  authenticate?: Authenticate;
  /**
   * Development mode was asked for explicitly (TASKER_ENV=development): the dev admin key may then be created
   * in a database given by DATABASE_URL too. Without it, only the embedded database (owned by this process)
   * gets one: an unset TASKER_ENV must never plant an admin key in somebody's server.
   */
  explicitDevelopment?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  /** Base URL of the REST API as a local client reaches it (`http://127.0.0.1:8080`). */
  restUrl: string;
  /** gRPC address as a local client reaches it (`127.0.0.1:9190`). */
  grpcAddress: string;
  /** Swagger UI. */
  docsUrl: string;
  openApiUrl: string;
  /** Whether the embedded PostgreSQL was started (no DATABASE_URL). */
  embeddedDatabase: EmbeddedPostgres | undefined;
  /** The process's Prometheus registry (served at GET /metrics). */
  metrics: TaskerMetrics;
  /** The dev admin key file and whether this start created it (the key is printed only then). */
  devKey: { file: string; key: string; created: boolean } | undefined;
  /** Why no dev admin key was set up although `auth.dev_key_file` is configured (printed by main). */
  devKeySkipped: string | undefined;
  /**
   * Graceful stop, in order: stop accepting and end SSE streams and long polls (Fastify preClose), let
   * in-flight requests finish (at most `shutdown.grace_ms`), stop the engine, close the pool, stop the
   * embedded PostgreSQL. Idempotent.
   */
  close(): Promise<void>;
}

/** pino with the REST request serializer (Fastify adds its own for the rest); undefined when logging is off. */
function createLogger(option: FastifyServerOptions['logger'], apiKeyHeader: string): Logger | undefined {
  const options = restLoggerOptions(option ?? false, apiKeyHeader);
  if (options === false) return undefined;
  const { stream, file, ...rest } = options as Exclude<typeof options, boolean> & {
    stream?: pino.DestinationStream;
    file?: string;
  };
  return pino(rest, stream ?? (file === undefined ? undefined : pino.destination(file)));
}

/**
 * What /metrics reads from PostgreSQL at scrape time. Connections are counted from pg_stat_activity under
 * `applicationName`, so every process needs its own.
 */
export function createMetricsCollectors(sql: Sql, applicationName: string): MetricsCollectors {
  return {
    queueDepth: () => countEnqueuedStepsByNamespace(sql),
    connections: () => countConnectionsByState(sql, applicationName, { excludeSelf: false }),
  };
}

/** The URL a local client uses: a wildcard bind address is reached on loopback. */
function localUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export async function startServer(config: Config, options: StartServerOptions = {}): Promise<RunningServer> {
  const rest = parseAddress(config.rest.address);
  if (rest === undefined) throw new Error(`rest.address is not host:port: ${config.rest.address}`);
  const logger = createLogger(options.logger, config.auth.api_keys.header);

  // Undo what has started if a later step fails, so a failed start leaves no server or pool behind. Every
  // step runs even if an earlier one fails (the pool must close, the embedded server must stop).
  const undo: Array<() => Promise<unknown>> = [];
  const unwind = async (): Promise<unknown[]> => {
    const failures: unknown[] = [];
    for (const step of undo.splice(0).reverse()) await step().catch((err: unknown) => failures.push(err));
    return failures;
  };

  try {
    const { url, embedded } = await configuredDatabase(config.database);
    if (embedded !== undefined) undo.push(() => embedded.stop());

    // A per-process application_name lets pool metrics count this process's connections in pg_stat_activity.
    const applicationName = `tasker-orchestration:${hostname()}:${process.pid}`;
    const sql: Sql = createSql(url, {
      applicationName,
      max: config.database.pool_max,
      connectTimeoutSeconds: config.database.connect_timeout_s,
      idleTimeoutSeconds: config.database.idle_timeout_s,
      maxLifetimeSeconds: config.database.max_lifetime_s,
      statementTimeoutMs: config.database.statement_timeout_ms,
      priorityAgingMs: config.engine.priority_aging_ms,
      circuitBreaker: circuitBreakerOptionsOf(config.database.circuit_breaker),
    });
    undo.push(() => sql.end({ timeout: 5 }));
    await migrate(sql);

    // Secure by default: with auth on and a dev key file configured (development), make sure an admin key
    // exists so the CLI and the example worker work at once, but only in a database this process owns (the
    // embedded one) or when development mode was asked for explicitly.
    let devKey: RunningServer['devKey'];
    let devKeySkipped: string | undefined;
    if (config.auth.enabled && config.auth.dev_key_file !== null) {
      if (embedded !== undefined || options.explicitDevelopment === true) {
        devKey = { file: config.auth.dev_key_file, ...(await ensureDevApiKey(sql, config.auth.dev_key_file)) };
      } else {
        devKeySkipped =
          'no dev admin key: DATABASE_URL names a database this process does not own and TASKER_ENV is not set to development';
      }
    }
    const authenticate =
      options.authenticate ??
      createAuthenticator(config.auth, {
        apiKeys: {
          findByDigest: (digest) => findApiKeyByDigest(sql, digest),
          touch: (digest) => touchApiKey(sql, digest),
        },
      });

    const metrics = createMetrics({
      collectors: createMetricsCollectors(sql, applicationName),
      poolMax: config.database.pool_max,
    });
    const runtime = await createRuntime({
      sql,
      config,
      logger: logger?.child({ component: 'engine' }) ?? silentLogger,
      metrics: metrics.engine,
      poolStats: createPoolStatsSource(sql, { applicationName, max: config.database.pool_max }),
    });
    const instrument = createServiceInstrumentation(metrics.engine);
    undo.push(() => runtime.stop());

    const app = await buildRestApp(instrument(runtime.services, 'sse'), config, {
      ...(logger === undefined ? {} : { loggerInstance: logger }),
      authenticate,
      metrics,
    });
    undo.push(async () => {
      // Readiness off first, so probes and load balancers stop sending work while requests drain.
      runtime.health.setOperationalState('graceful_shutdown');
      await closeApp(app, config.shutdown.grace_ms);
    });
    await app.listen({ host: rest.host, port: rest.port });
    const address = app.server.address();
    const port = address !== null && typeof address === 'object' ? address.port : rest.port;

    const grpc = parseAddress(config.grpc.address);
    if (grpc === undefined) throw new Error(`grpc.address is not host:port: ${config.grpc.address}`);
    const grpcServer = createGrpcServer(instrument(runtime.services, 'grpc'), config, {
      authenticate,
      metrics,
      logger: logger?.child({ component: 'grpc' }) ?? silentLogger,
    });
    // Pushed after REST, so it stops first: open streams are aborted, then the server drains.
    undo.push(() => grpcServer.shutdown());
    const { port: grpcPort } = await grpcServer.listen(config.grpc.address);

    await runtime.start();

    const restUrl = localUrl(rest.host, port);
    let closing: Promise<void> | undefined;
    return {
      app,
      restUrl,
      grpcAddress: localUrl(grpc.host, grpcPort).replace(/^http:\/\//, ''),
      docsUrl: `${restUrl}${OPENAPI_UI_PATH}`,
      openApiUrl: `${restUrl}${OPENAPI_JSON_PATH}`,
      embeddedDatabase: embedded,
      devKey,
      devKeySkipped,
      metrics,
      close: () =>
        (closing ??= unwind().then((failures) => {
          if (failures.length > 0) throw failures[0];
        })),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

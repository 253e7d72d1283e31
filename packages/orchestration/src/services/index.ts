// The runtime: services for the transports plus the engine that runs behind them (one LISTEN connection,
// claim waiters, lease sweeper, retry promoter, staleness detector, templates.dir loading, health probe).
import { readFileSync } from 'node:fs';
import type { Config } from '@tasker/shared/config';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import { circuitBreakerOptionsOf } from '../db/circuit-breaker.js';
import { guardSql, sqlGuardOf } from '../db/guard.js';
import { pendingMigrations, readMigrations, type Migration } from '../db/migrate.js';
import { createBackgroundLoops } from '../engine/background.js';
import type { EngineMetrics } from '../metrics/engine.js';
import type { PoolStats } from './analytics.js';
import { createClaimWaiters } from '../engine/claim-waiters.js';
import { silentLogger, type EngineLogger } from '../engine/logger.js';
import { createNotificationHub } from '../engine/notification-hub.js';
import { createResultSchemaEnforcer } from '../engine/result-schemas.js';
import { createTaskWatchRegistry } from '../engine/task-watch-registry.js';
import { createTemplateCache } from '../engine/template-cache.js';
import { registerTemplateDirectory } from '../engine/template-directory.js';
import { createAnalyticsService } from './analytics.js';
import { createApiKeyService } from './api-keys.js';
import { createConfigService } from './config.js';
import { createDlqService } from './dlq-investigations.js';
import { createHealthService, type HealthController, type LoopStatus } from './health.js';
import { createStepService } from './steps.js';
import { createTaskEventService } from './task-events.js';
import { createTaskService } from './tasks.js';
import { createTemplateService } from './templates.js';
import type { Services } from './types.js';
import { createWorkerService } from './workers.js';

export type { Services } from './types.js';
export type { EngineLogger } from '../engine/logger.js';

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
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Who registers the templates of templates.dir (shown as registered_by). */
const TEMPLATE_DIR_PRINCIPAL: Principal = { ...ALL_PERMISSIONS_PRINCIPAL, subject: 'templates.dir' };

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config } = options;
  const sql = guardSql(options.sql, { circuitBreaker: circuitBreakerOptionsOf(config.database.circuit_breaker) });
  const guard = sqlGuardOf(sql);
  if (guard === undefined) throw new Error('the runtime pool has no guard');
  const logger = options.logger ?? silentLogger;
  const shutdown = new AbortController();
  let stopped = false;
  let stopping: Promise<void> | undefined;

  const hub = createNotificationHub(sql, logger);
  const waiters = createClaimWaiters();
  const loops = createBackgroundLoops(sql, config, logger, options.metrics);
  const watches = createTaskWatchRegistry(sql, logger);
  const templatesStatus: LoopStatus = { running: false, lastRunAt: null, lastError: null };
  const templateDefaults = {
    backoffBaseMs: config.backoff.default_base_ms,
    maxBackoffMs: config.backoff.max_backoff_ms,
    jitter: config.backoff.jitter_ratio,
  };
  const cache = createTemplateCache(sql, {
    ttlMs: config.templates.cache_ttl_ms,
    defaults: templateDefaults,
    environment: config.environment,
  });

  // Migration files do not change under a running process: read and hashed once, compared on demand.
  let onDisk: Promise<Migration[]> | undefined;
  const health = createHealthService({
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
      if (config.templates.dir !== null) statuses['templates_dir'] = templatesStatus;
      return statuses;
    },
  });

  const resultSchemas = createResultSchemaEnforcer(sql, cache, { ttlMs: config.templates.cache_ttl_ms });
  // A registration here is known to the result_schema enforcer at once; other replicas learn it by NOTIFY.
  const registering = {
    ...cache,
    invalidate: (namespace: string, name: string, version: string) => {
      cache.invalidate(namespace, name, version);
      resultSchemas.templateChanged();
    },
  };
  const templates = createTemplateService({
    sql,
    cache: registering,
    environment: config.environment,
    defaults: templateDefaults,
    staleness: { taskMaxLifetimeHours: config.staleness.thresholds.task_max_lifetime_hours },
  });
  const services: Services = {
    tasks: createTaskService({
      sql,
      cache,
      backpressure: { queueDepths: loops.queueDepths, retryAfterSeconds: config.backpressure.retry_after_seconds },
    }),
    steps: createStepService({ sql }),
    templates,
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
      waiters,
      resultSchemas,
      isStopped: () => stopped,
      onRetryScheduled: (at) => loops.promoter.wake(at),
    }),
    taskEvents: createTaskEventService({
      sql,
      hub,
      watches,
      keepaliveMs: config.task_events.keepalive_ms,
      replayBatch: config.task_events.replay_batch,
      shutdown: shutdown.signal,
    }),
    health,
    config: createConfigService(config, sql),
    dlq: createDlqService({ sql, config }),
    analytics: createAnalyticsService({ sql, config, ...(options.poolStats ? { poolStats: options.poolStats } : {}) }),
    apiKeys: createApiKeyService({ sql }),
  };

  hub.onStepsReady((ready) => waiters.notify(ready));
  hub.onReconnect(() => waiters.wakeAll());
  hub.onTemplateChanged((t) => {
    cache.invalidate(t.namespace, t.name, t.version);
    resultSchemas.templateChanged();
  });
  hub.onReconnect(() => resultSchemas.templateChanged());

  return {
    services,
    health,
    async start() {
      await hub.start();
      if (config.templates.dir !== null) {
        templatesStatus.running = true;
        const result = await registerTemplateDirectory(config.templates.dir, templates, TEMPLATE_DIR_PRINCIPAL, logger);
        templatesStatus.lastRunAt = new Date();
        templatesStatus.lastError =
          result.failed.length === 0 ? null : result.failed.map((f) => `${f.file}: ${f.error}`).join('; ');
      }
      for (const loop of Object.values(loops.all())) loop.start();
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
        await Promise.all([...Object.values(loops.all()), watches.loop].map((loop) => loop.stop()));
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

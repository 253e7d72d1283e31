// Process wiring: config → database (DATABASE_URL, or the embedded server) → migrations → services and
// engine → REST listening → engine loops; and the graceful stop, in reverse.
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Sql } from 'postgres';
import { parseAddress, type Config } from '@tasker/shared/config';
import { circuitBreakerOptionsOf } from './db/circuit-breaker.js';
import { createSql } from './db/connect.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.js';
import { migrate } from './db/migrate.js';
import { buildRestApp } from './rest/app.js';
import type { Authenticate } from './rest/auth-hook.js';
import { OPENAPI_JSON_PATH, OPENAPI_UI_PATH } from './rest/openapi.js';
import { closeApp } from './rest/plumbing.js';
import type { EngineLogger } from './engine/logger.js';
import { createRuntime } from './services/index.js';
import { createGrpcServer } from './grpc/server.js';
import { hostname } from 'node:os';
import { createMetrics, createPoolStatsSource, type TaskerMetrics } from './metrics/index.js';
import { createServiceInstrumentation } from './metrics/instrument.js';
import { ensureDevApiKey } from './auth/api-keys.js';
import { createAuthenticator } from './auth/authenticate.js';
import { findApiKeyByDigest, touchApiKey } from './repositories/api-keys.js';

export interface StartServerOptions {
  /** Fastify/pino logger: false, true, or pino options. Default false. */
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

/**
 * The engine logs through the REST app's logger (one pino stream), but the runtime is created before the
 * app exists: this forwards to whatever `target()` is at call time.
 */
function forwardingLogger(target: () => EngineLogger | undefined): EngineLogger {
  return {
    info: (obj, msg) => target()?.info(obj, msg),
    warn: (obj, msg) => target()?.warn(obj, msg),
    error: (obj, msg) => target()?.error(obj, msg),
    debug: (obj, msg) => target()?.debug(obj, msg),
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

  // Undo what has started if a later step fails, so a failed start leaves no server or pool behind. Every
  // step runs even if an earlier one fails (the pool must close, the embedded server must stop).
  const undo: Array<() => Promise<unknown>> = [];
  const unwind = async (): Promise<unknown[]> => {
    const failures: unknown[] = [];
    for (const step of undo.splice(0).reverse()) await step().catch((err: unknown) => failures.push(err));
    return failures;
  };

  try {
    let embedded: EmbeddedPostgres | undefined;
    let url = config.database.url;
    if (url === null) {
      embedded = await startEmbeddedPostgres({
        dataDir: config.database.embedded.data_dir,
        port: config.database.embedded.port,
      });
      undo.push(() => embedded!.stop());
      url = embedded.url;
    }

    // A per-process application_name lets pool metrics count this process's connections in pg_stat_activity.
    const applicationName = `tasker-orchestration:${hostname()}:${process.pid}`;
    const sql: Sql = createSql(url, {
      applicationName,
      max: config.database.pool_max,
      connectTimeoutSeconds: config.database.connect_timeout_s,
      idleTimeoutSeconds: config.database.idle_timeout_s,
      maxLifetimeSeconds: config.database.max_lifetime_s,
      statementTimeoutMs: config.database.statement_timeout_ms,
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
        apiKeys: { findByDigest: (digest) => findApiKeyByDigest(sql, digest), touch: (digest) => touchApiKey(sql, digest) },
      });

    let appLogger: EngineLogger | undefined;
    const metrics = createMetrics({ sql, poolMax: config.database.pool_max, applicationName });
    const runtime = await createRuntime({
      sql,
      config,
      logger: forwardingLogger(() => appLogger),
      metrics: metrics.engine,
      poolStats: createPoolStatsSource(sql, { applicationName, max: config.database.pool_max }),
    });
    const instrument = createServiceInstrumentation(metrics.engine);
    undo.push(() => runtime.stop());

    const app = await buildRestApp(instrument(runtime.services, 'sse'), config, {
      logger: options.logger ?? false,
      authenticate,
      metrics,
    });
    appLogger = app.log.child({ component: 'engine' });
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
      logger: app.log.child({ component: 'grpc' }),
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

// The REST app, built in one place; listening happens in runtime.ts. Order matters: the onRoute hook that
// attaches permissions and the request-wide hooks are installed before any route is registered.
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '@tasker/shared/config';
import type { Services } from '../services/types.js';
import { metricsContentType, metricsText, observeHttp, UNMATCHED_ROUTE, type TaskerMetrics } from '../metrics/index.js';
import { installAuthHook, type Authenticate } from './auth-hook.js';
import { handleRestError, installErrorHandlers } from './error-handler.js';
import { registerOpenApi } from './openapi.js';
import { permissionOfRoute, routeKey } from './permissions.js';
import {
  installCors,
  installRequestDeadline,
  installRequestIdHeader,
  installShutdownSignal,
  redactUrl,
  requestIdFor,
} from './plumbing.js';
import { registerAnalyticsRoutes } from './routes/analytics.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerConfigRoutes } from './routes/config.js';
import type { RouteDeps } from './routes/deps.js';
import { registerDlqRoutes } from './routes/dlq.js';
import { registerScheduleRoutes } from './routes/schedules.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerStepRoutes } from './routes/steps.js';
import { registerTaskEventRoutes } from './routes/task-events.js';
import { registerTaskRoutes } from './routes/tasks.js';
import { registerTemplateRoutes } from './routes/templates.js';
import { registerWorkerRoutes } from './routes/workers.js';

export interface RestAppOptions {
  /** Fastify logger: false (default), true, or pino options. */
  logger?: FastifyServerOptions['logger'];
  /** The process's logger (made with {@link restLoggerOptions}), used instead of `logger`. */
  loggerInstance?: FastifyBaseLogger;
  /** Verifies credentials when `config.auth.enabled`; without it protected routes answer 401. */
  authenticate?: Authenticate;
  /** Called for each registered route (tests use it to list the app's routes). */
  onRoute?: (route: RouteOptions) => void;
  /** Prometheus registry: request latency per route is observed and `GET /metrics` serves it. */
  metrics?: TaskerMetrics;
}

type LoggerOption = NonNullable<FastifyServerOptions['logger']>;

/** Fastify's request serializer, with credentials in the query string redacted from the logged URL. */
export function restLoggerOptions(logger: LoggerOption, apiKeyHeader: string): LoggerOption {
  if (logger === false) return false;
  const options = logger === true ? {} : (logger as Exclude<LoggerOption, boolean>);
  const serializers = (options as { serializers?: Record<string, unknown> }).serializers ?? {};
  return {
    ...options,
    serializers: {
      ...serializers,
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url, apiKeyHeader),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  } as LoggerOption;
}

/**
 * One line per finished request: warn for 5xx (an internal error's cause is logged by the error handler), info
 * for 4xx (a client's mistake is worth seeing), debug otherwise; no "incoming request" line. Workers call claim,
 * results and heartbeat many times a second: two info lines per call cost ~12 % of the server's CPU and drown
 * everything else.
 */
class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime, ...(error ? { err: error } : {}) };
    if (error || status >= 500) reply.log.warn(fields, 'request completed');
    else if (status >= 400) reply.log.info(fields, 'request completed');
    else reply.log.debug(fields, 'request completed');
  }
}

/**
 * Attaches the route's permission from REST_ROUTE_PERMISSIONS to its config, and documents it. A route
 * without an entry fails registration: nothing is ever served without a declared permission.
 */
function attachPermission(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const permissions = new Set(
    methods.map((method) => {
      const permission = permissionOfRoute(method, route.url);
      if (permission === undefined) {
        throw new Error(`REST route ${routeKey(method, route.url)} has no entry in REST_ROUTE_PERMISSIONS`);
      }
      return permission;
    }),
  );
  const [permission, ...others] = [...permissions];
  if (permission === undefined || others.length > 0) {
    throw new Error(`REST route ${route.url} maps its methods to different permissions`);
  }
  route.config = { ...(route.config ?? {}), permission };
  if (permission !== 'public' && route.schema !== undefined) {
    route.schema = {
      ...route.schema,
      security: [{ bearerAuth: [] }, { apiKey: [] }],
      'x-permission': permission,
    } as typeof route.schema;
  }
}

export async function buildRestApp(
  services: Services,
  config: Config,
  opts: RestAppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.loggerInstance !== undefined
      ? { loggerInstance: opts.loggerInstance }
      : { logger: restLoggerOptions(opts.logger ?? false, config.auth.api_keys.header) }),
    // One access-log line per request, at a level by status (AccessLog), not Fastify's two at info.
    logController: new AccessLog(),
    // Requests arriving while closing get our 503 (installShutdownSignal), not Fastify's own body.
    return503OnClosing: false,
    bodyLimit: config.rest.body_limit_bytes,
    requestTimeout: config.rest.request_timeout_ms,
    genReqId: requestIdFor,
    requestIdHeader: false,
    exposeHeadRoutes: false,
    // Errors Fastify raises before routing (a malformed URL) get the same body as every other error.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      return handleRestError(error, request, reply);
    },
  });
  // JSON only: a text/plain body would otherwise reach the schemas as a string and fail as a 400.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);

  app.addHook('onRoute', (route) => {
    attachPermission(route);
    opts.onRoute?.(route);
  });
  installRequestIdHeader(app);
  const closing = installShutdownSignal(app);
  installCors(app, config.rest.cors_origins, config.auth.api_keys.header);
  installAuthHook(app, {
    enabled: config.auth.enabled,
    authenticate: opts.authenticate,
    apiKeyHeader: config.auth.api_keys.header,
  });
  installRequestDeadline(app, config.rest.request_timeout_ms);

  await registerOpenApi(app, { apiKeyHeader: config.auth.api_keys.header });

  const zapp = app.withTypeProvider<ZodTypeProvider>();
  const deps: RouteDeps = { services, config, closing };
  registerTaskRoutes(zapp, deps);
  registerTaskEventRoutes(zapp, deps);
  registerStepRoutes(zapp, deps);
  registerTemplateRoutes(zapp, deps);
  registerWorkerRoutes(zapp, deps);
  registerHealthRoutes(zapp, deps);
  registerConfigRoutes(zapp, deps);
  registerAuthRoutes(zapp, deps);
  if (services.dlq !== undefined) registerDlqRoutes(zapp, services.dlq);
  if (services.schedules !== undefined) registerScheduleRoutes(zapp, services.schedules);
  if (services.analytics !== undefined) registerAnalyticsRoutes(zapp, services.analytics);
  if (opts.metrics !== undefined) registerMetrics(app, opts.metrics);
  return app;
}

/** Request latency per route pattern (never the raw URL: unbounded label values) and the scrape endpoint. */
function registerMetrics(app: FastifyInstance, metrics: TaskerMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    observeHttp(metrics, {
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      method: request.method,
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metricsContentType(metrics)).send(await metricsText(metrics)),
  );
}

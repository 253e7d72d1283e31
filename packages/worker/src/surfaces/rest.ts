// The worker's REST surface (default :8081): health probes, the templates it serves, its safe config and
// Prometheus metrics. Health and metrics are public; templates and config need the surface key if one is set.
import { parseAddress } from '@tasker/shared/config';
import {
  healthReportToRest,
  templateListToRest,
  templateSourceFromRest,
  templateValidationToRest,
} from '@tasker/shared/convert/rest/index';
import { AppError, ERROR_TABLE, toErrorBody, type ErrorCode } from '@tasker/shared/errors';
import type { TemplateSource as RestTemplateSource } from '@tasker/shared/schemas/rest/index';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { LoadedTemplate } from '../templates.js';
import {
  detailedView,
  findTemplate,
  handlerMetadata,
  keyMatches,
  readinessView,
  templateSummaries,
  type HealthView,
  type SurfaceSource,
} from './source.js';

export interface RestSurfaceOptions {
  apiKey?: string;
  /** Lowercase header name of the surface key. */
  apiKeyHeader: string;
}

/** A readiness or detailed view: status, timestamp and checks as orchestration's health converter writes them. */
function healthToRest(v: HealthView) {
  const { status, timestamp, checks } = healthReportToRest({
    status: v.status,
    timestamp: v.timestamp,
    checks: v.checks,
    info: null,
  });
  const s = v.systemInfo;
  return {
    status,
    timestamp,
    worker_id: v.workerId,
    checks,
    system_info: {
      worker_id: s.workerId,
      version: s.version,
      environment: s.environment,
      uptime_seconds: s.uptimeSeconds,
      worker_type: s.workerType,
      supported_namespaces: s.supportedNamespaces,
      active_handlers: s.activeHandlers,
      max_concurrent_handlers: s.maxConcurrentHandlers,
    },
  };
}

function templateToRest(t: LoadedTemplate) {
  const d = t.definition;
  return {
    namespace: d.namespace,
    name: d.name,
    version: d.version,
    description: d.description,
    configuration: t.configuration,
    steps: d.steps.map((s) => ({
      name: s.name,
      description: s.description,
      step_type: s.type,
      handler_callable: s.handler.callable,
      dependencies: s.dependencies,
      default_retryable: s.retry.retryable,
      default_max_attempts: s.retry.maxAttempts,
      timeout_seconds: s.timeoutSeconds,
    })),
  };
}

/** The error body of the one error table, with its HTTP status unless the transport already decided one. */
function sendError(reply: FastifyReply, code: ErrorCode, message: string, status = ERROR_TABLE[code].http) {
  return reply.code(status).send(toErrorBody(new AppError(code, message)));
}

/** `{"yaml": "..."}` alone is YAML text; any other object is the definition itself (as orchestration's REST). */
function templateSource(body: unknown): unknown {
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  return isObject ? templateSourceFromRest(body as RestTemplateSource) : body;
}

export function buildRestSurface(source: SurfaceSource, options: RestSurfaceOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  const header = options.apiKeyHeader;
  // YAML text may be posted as is.
  app.addContentTypeParser(
    ['text/yaml', 'application/yaml', 'application/x-yaml', 'text/plain'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.apiKey === undefined) return;
    const presented = request.headers[header];
    if (!keyMatches(typeof presented === 'string' ? presented : undefined, options.apiKey)) {
      return sendError(reply, 'UNAUTHENTICATED', `missing or invalid ${header}`);
    }
  };

  const live = async () => ({ status: 'alive', timestamp: new Date().toISOString(), worker_id: source.workerId });
  app.get('/health', live);
  app.get('/health/live', live);
  app.get('/health/ready', async (_request, reply) => {
    const view = readinessView(source);
    return reply.code(view.status === 'ready' ? 200 : 503).send(healthToRest(view));
  });
  app.get('/health/detailed', async () => healthToRest(detailedView(source)));

  app.get('/metrics', async (_request, reply) => {
    const text = await source.metrics.text();
    return reply.type(source.metrics.registry.contentType).send(text);
  });

  app.get<{ Querystring: { namespace?: string } }>('/v1/templates', { preHandler: guard }, async (request) => {
    const templates = templateSummaries(source, request.query.namespace);
    return {
      supported_namespaces: source.namespaces(),
      template_count: templates.length,
      templates: templateListToRest({ namespaces: [], templates, totalCount: templates.length }).templates,
      worker_capabilities: source.handlerNames(),
    };
  });

  app.get<{ Params: { ns: string; name: string; version: string } }>(
    '/v1/templates/:ns/:name/:version',
    { preHandler: guard },
    async (request, reply) => {
      const { ns, name, version } = request.params;
      const found = findTemplate(source, ns, name, version);
      if (found === undefined)
        return sendError(reply, 'NOT_FOUND', `template ${ns}/${name}@${version} is not loaded by this worker`);
      const meta = handlerMetadata(found);
      return {
        template: templateToRest(found),
        handler_metadata: {
          namespace: meta.namespace,
          name: meta.name,
          version: meta.version,
          handler_names: meta.handlerNames,
          step_names: meta.stepNames,
        },
      };
    },
  );

  app.post('/v1/templates/validate', { preHandler: guard }, async (request, reply) => {
    if (request.body === undefined || request.body === null || request.body === '') {
      return sendError(reply, 'VALIDATION_FAILED', 'body must be a template object, {"yaml": "..."} or YAML text');
    }
    const v = source.validate(templateSource(request.body));
    return {
      ...templateValidationToRest(v),
      required_capabilities: v.requiredCapabilities,
      step_handlers: v.stepHandlers,
    };
  });

  app.get('/config', { preHandler: guard }, async () => source.safeConfig());

  app.setNotFoundHandler(async (request, reply) =>
    sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url}`),
  );
  // Fastify's own refusals (bad JSON, unsupported media type, body too large) keep their 4xx status.
  app.setErrorHandler(async (error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) return sendError(reply, 'INTERNAL', 'internal error');
    return sendError(reply, 'VALIDATION_FAILED', error.message, status);
  });
  return app;
}

/** Builds and binds the surface; resolves with the bound `host:port`. */
export async function startRestSurface(
  address: string,
  source: SurfaceSource,
  options: RestSurfaceOptions,
): Promise<{ app: FastifyInstance; address: string }> {
  const parsed = parseAddress(address);
  if (parsed === undefined) throw new Error(`worker REST address must be host:port, got ${address}`);
  const app = buildRestSurface(source, options);
  await app.listen({ host: parsed.host, port: parsed.port });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : parsed.port;
  return { app, address: `${parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host}:${port}` };
}

// The worker's REST surface (default :8081): health probes, the templates it serves, its safe config and
// Prometheus metrics. Health and metrics are public; templates and config need the surface key if one is set.
import type { HealthCheck } from '@tasker/shared';
import { parseAddress } from '@tasker/shared/config';
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
  /** Lowercase header name. Default `x-api-key`. */
  apiKeyHeader?: string;
}

function checksToRest(checks: Record<string, HealthCheck>) {
  return Object.fromEntries(Object.entries(checks).map(([k, c]) => [k, { status: c.status, message: c.message, duration_ms: c.durationMs }]));
}

function healthToRest(v: HealthView) {
  const s = v.systemInfo;
  return {
    status: v.status,
    timestamp: v.timestamp.toISOString(),
    worker_id: v.workerId,
    checks: checksToRest(v.checks),
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

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** `{"yaml": "..."}` alone is YAML text; any other object is the definition itself (as orchestration's REST). */
function templateSource(body: unknown): unknown {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const keys = Object.keys(body);
    const yaml = (body as { yaml?: unknown }).yaml;
    if (keys.length === 1 && typeof yaml === 'string') return yaml;
  }
  return body;
}

export function buildRestSurface(source: SurfaceSource, options: RestSurfaceOptions = {}): FastifyInstance {
  const app = Fastify({ logger: false });
  const header = options.apiKeyHeader ?? 'x-api-key';
  // YAML text may be posted as is.
  app.addContentTypeParser(['text/yaml', 'application/yaml', 'application/x-yaml', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.apiKey === undefined) return;
    const presented = request.headers[header];
    if (!keyMatches(typeof presented === 'string' ? presented : undefined, options.apiKey)) {
      return reply.code(401).send(errorBody('UNAUTHENTICATED', `missing or invalid ${header}`));
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
      templates: templates.map((t) => ({ namespace: t.namespace, name: t.name, version: t.version, description: t.description, step_count: t.stepCount })),
      worker_capabilities: source.handlerNames(),
    };
  });

  app.get<{ Params: { ns: string; name: string; version: string } }>('/v1/templates/:ns/:name/:version', { preHandler: guard }, async (request, reply) => {
    const { ns, name, version } = request.params;
    const found = findTemplate(source, ns, name, version);
    if (found === undefined) return reply.code(404).send(errorBody('NOT_FOUND', `template ${ns}/${name}@${version} is not loaded by this worker`));
    const meta = handlerMetadata(found);
    return {
      template: templateToRest(found),
      handler_metadata: { namespace: meta.namespace, name: meta.name, version: meta.version, handler_names: meta.handlerNames, step_names: meta.stepNames },
    };
  });

  app.post('/v1/templates/validate', { preHandler: guard }, async (request, reply) => {
    if (request.body === undefined || request.body === null || request.body === '') {
      return reply.code(400).send(errorBody('VALIDATION_FAILED', 'body must be a template object, {"yaml": "..."} or YAML text'));
    }
    const v = source.validate(templateSource(request.body));
    return { valid: v.valid, errors: v.errors, required_capabilities: v.requiredCapabilities, step_handlers: v.stepHandlers };
  });

  app.get('/config', { preHandler: guard }, async () => source.safeConfig());

  app.setNotFoundHandler(async (request, reply) => reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url}`)));
  app.setErrorHandler(async (error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) return reply.code(500).send(errorBody('INTERNAL', 'internal error'));
    return reply.code(status).send(errorBody('VALIDATION_FAILED', error.message));
  });
  return app;
}

/** Builds and binds the surface; resolves with the bound `host:port`. */
export async function startRestSurface(address: string, source: SurfaceSource, options: RestSurfaceOptions = {}): Promise<{ app: FastifyInstance; address: string }> {
  const parsed = parseAddress(address);
  if (parsed === undefined) throw new Error(`worker REST address must be host:port, got ${address}`);
  const app = buildRestSurface(source, options);
  await app.listen({ host: parsed.host, port: parsed.port });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : parsed.port;
  return { app, address: `${parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host}:${port}` };
}

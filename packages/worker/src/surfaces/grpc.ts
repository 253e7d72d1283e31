// The worker's gRPC surface (default :9191): the four worker_surface services, grpc.health.v1 following
// readiness, and reflection v1 when enabled. Template and config services (and reflection, unless public)
// need the surface key if one is set. Decoding and error translation are the orchestration server's
// (@tasker/shared/grpc): a malformed message is INVALID_ARGUMENT, never a stalled process.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseAddress } from '@tasker/shared/config';
import {
  healthReportToProto,
  safeConfigToProto,
  templateDefinitionToProto,
  templateListToProto,
  templateValidationToProto,
  validateTemplateRequestFromProto,
} from '@tasker/shared/convert/proto/index';
import { AppError } from '@tasker/shared/errors';
import { sleep } from '@tasker/shared/resilience';
import {
  createErrorsMiddleware,
  createReflection,
  guardDefinition,
  REFLECTION_SERVICE_NAME,
  stderrLogger,
  type GrpcLogger,
} from '@tasker/shared/grpc';
import {
  WorkerConfigServiceDefinition,
  WorkerHealthServiceDefinition,
  WorkerMetricsServiceDefinition,
  WorkerTemplateServiceDefinition,
} from '@tasker/shared/gen/tasker/v1/worker_surface';
import { createServer, type CallContext, type ServerMiddlewareCall } from 'nice-grpc';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
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

export interface GrpcSurfaceOptions {
  apiKey?: string;
  /** Lowercase metadata key of the surface key. */
  apiKeyHeader: string;
  reflection: { readonly enabled: boolean; readonly public: boolean };
  logger?: GrpcLogger;
}

export interface GrpcSurface {
  readonly address: string;
  /** grpc.health.v1 status of the server and every service. */
  setServing(serving: boolean): void;
  stop(graceMs?: number): Promise<void>;
}

const PROTECTED_SERVICES: readonly string[] = [
  WorkerTemplateServiceDefinition.fullName,
  WorkerConfigServiceDefinition.fullName,
];

function descriptorSet(): Uint8Array {
  const sharedEntry = createRequire(import.meta.url).resolve('@tasker/shared');
  return readFileSync(join(dirname(sharedEntry), 'gen', 'descriptor_set.bin'));
}

/** A readiness or detailed view: status, timestamp and checks as orchestration's health converter writes them. */
function healthToProto(v: HealthView) {
  const { status, timestamp, checks } = healthReportToProto({
    status: v.status,
    timestamp: v.timestamp,
    checks: v.checks,
    info: null,
  });
  return { status, timestamp, workerId: v.workerId, checks, systemInfo: v.systemInfo };
}

function serviceOf(path: string): string {
  return path.split('/')[1] ?? '';
}

export async function startGrpcSurface(
  address: string,
  source: SurfaceSource,
  options: GrpcSurfaceOptions,
): Promise<GrpcSurface> {
  const parsed = parseAddress(address);
  if (parsed === undefined) throw new Error(`worker gRPC address must be host:port, got ${address}`);
  const header = options.apiKeyHeader;
  const reflection = options.reflection;
  const protectedServices = reflection.public ? PROTECTED_SERVICES : [...PROTECTED_SERVICES, REFLECTION_SERVICE_NAME];

  // The surface key, inside the shared errors middleware (which turns its AppError into UNAUTHENTICATED).
  async function* surfaceKey<Req, Res>(call: ServerMiddlewareCall<Req, Res>, context: CallContext) {
    if (options.apiKey !== undefined && protectedServices.includes(serviceOf(call.method.path))) {
      if (!keyMatches(context.metadata.get(header) as string | undefined, options.apiKey)) {
        throw new AppError('UNAUTHENTICATED', `missing or invalid ${header}`);
      }
    }
    return yield* call.next(call.request, context);
  }

  const server = createServer()
    .use(createErrorsMiddleware(options.logger ?? stderrLogger))
    .use(surfaceKey);
  server.add(guardDefinition(WorkerHealthServiceDefinition), {
    async checkLiveness() {
      return { status: 'alive', timestamp: new Date(), workerId: source.workerId };
    },
    async checkReadiness() {
      const v = readinessView(source);
      if (v.status !== 'ready') {
        const failing = Object.entries(v.checks)
          .filter(([, c]) => c.status !== 'healthy')
          .map(([n, c]) => `${n} ${c.status}`);
        throw new AppError('UNAVAILABLE', `not ready: ${failing.join(', ') || 'starting'}`);
      }
      return healthToProto(v);
    },
    async checkDetailedHealth() {
      return healthToProto(detailedView(source));
    },
  });
  server.add(guardDefinition(WorkerTemplateServiceDefinition), {
    async listTemplates(request) {
      const templates = templateSummaries(source, request.namespace);
      return {
        supportedNamespaces: [...source.namespaces()],
        templateCount: templates.length,
        templates: templateListToProto({ namespaces: [], templates, totalCount: templates.length }).templates,
        workerCapabilities: [...source.handlerNames()],
      };
    },
    async getTemplate(request) {
      const found = findTemplate(source, request.namespace, request.name, request.version);
      if (found === undefined)
        throw new AppError(
          'NOT_FOUND',
          `template ${request.namespace}/${request.name}@${request.version} is not loaded by this worker`,
        );
      return {
        template: templateDefinitionToProto(found.definition, found.configuration),
        handlerMetadata: handlerMetadata(found),
      };
    },
    async validateTemplate(request) {
      const v = source.validate(validateTemplateRequestFromProto(request));
      return {
        ...templateValidationToProto(v),
        requiredCapabilities: v.requiredCapabilities,
        stepHandlers: v.stepHandlers,
      };
    },
  });
  server.add(guardDefinition(WorkerConfigServiceDefinition), {
    async getConfig() {
      return safeConfigToProto(source.safeConfig());
    },
  });
  server.add(guardDefinition(WorkerMetricsServiceDefinition), {
    async getMetrics() {
      return { prometheusText: await source.metrics.text(), samples: await source.metrics.samples() };
    },
  });

  const served = [
    WorkerHealthServiceDefinition,
    WorkerTemplateServiceDefinition,
    WorkerConfigServiceDefinition,
    WorkerMetricsServiceDefinition,
  ].map((d) => d.fullName);
  const health = HealthState();
  server.add(guardDefinition(HealthDefinition), HealthServiceImpl(health));
  if (reflection.enabled) {
    const service = createReflection(descriptorSet(), [...served, HealthDefinition.fullName]);
    server.add(guardDefinition(service.definition), service.implementation);
  }
  const setServing = (serving: boolean) => {
    for (const name of ['', ...served]) health.setStatus(serving ? 'healthy' : 'unhealthy', name);
  };
  setServing(source.isReady());

  const port = await server.listen(`${parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host}:${parsed.port}`);
  return {
    address: `${parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host}:${port}`,
    setServing,
    async stop(graceMs = 2000) {
      setServing(false);
      const shutDown = new AbortController();
      const expired = sleep(graceMs, shutDown.signal).then(() => 'expired' as const);
      // Health Watch streams never end on their own; past the grace period they are cut.
      const first = await Promise.race([server.shutdown(), expired]);
      shutDown.abort();
      if (first === 'expired') server.forceShutdown();
    },
  };
}

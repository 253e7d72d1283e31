// What the worker's own surfaces show about it (the SurfaceSource): readiness and health checks, the templates
// and namespaces it serves, and its allow-listed configuration.
import type { Transport } from '@tasker/client/types';
import type { HealthCheck, JsonObject } from '@tasker/shared';
import type { ConcurrencyLimiter } from './concurrency.js';
import type { WorkerMetrics } from './metrics.js';
import type { OrchestrationCalls } from './orchestration-calls.js';
import type { WorkerSettings } from './settings.js';
import type { SurfaceSource } from './surfaces/source.js';
import { validateForWorker, type WorkerCatalog } from './templates.js';
import type { WorkerOptions, WorkerState } from './types.js';

export interface WorkerStatusOptions {
  settings: WorkerSettings;
  options: Pick<WorkerOptions, 'orchestration' | 'surfaces' | 'safeConfig'>;
  startedAt: number;
  metrics: WorkerMetrics;
  limiter: ConcurrencyLimiter;
  calls: OrchestrationCalls;
  state(): WorkerState;
  /** Registered with orchestration (the worker itself and its templates). */
  registered(): boolean;
  /** Once loaded at start. */
  catalog(): WorkerCatalog | undefined;
  /** Bound addresses, once the surfaces listen. */
  surfaceAddresses(): { rest: string | null; grpc: string | null } | undefined;
  /** The transport of the orchestration client, once connected. */
  clientTransport(): Transport | undefined;
}

function check(status: HealthCheck['status'], message: string | null): HealthCheck {
  return { status, message, durationMs: 0 };
}

function portOf(address: string | null | undefined): number | null {
  return address === null || address === undefined ? null : Number(address.split(':').pop());
}

export function createWorkerStatus(o: WorkerStatusOptions): SurfaceSource {
  const { settings, limiter } = o;
  const templates = () => o.catalog()?.templates ?? [];
  const namespaces = () => o.catalog()?.namespaces ?? [];
  return {
    workerId: settings.workerId,
    version: settings.version,
    environment: settings.environment,
    startedAt: o.startedAt,
    concurrency: settings.concurrency,
    metrics: o.metrics,
    isReady: () => o.registered() && o.state() === 'running',
    checks(detailed: boolean): Record<string, HealthCheck> {
      const state = o.state();
      return {
        orchestration: o.calls.healthCheck(o.registered(), detailed),
        templates: check('healthy', `${templates().length} templates, ${settings.handlerNames.length} handlers`),
        step_processing:
          state === 'running'
            ? check('healthy', `${limiter.inFlight}/${settings.concurrency} slots busy`)
            : check('unhealthy', `worker is ${state}`),
      };
    },
    activeHandlers: () => limiter.inFlight,
    templates,
    namespaces,
    handlerNames: () => settings.handlerNames,
    validate: (raw) => validateForWorker(raw, settings.handlerNames),
    safeConfig(): JsonObject {
      const addresses = o.surfaceAddresses();
      const connection = o.options.orchestration;
      return {
        metadata: { timestamp: new Date().toISOString(), environment: settings.environment, version: settings.version },
        worker: {
          worker_id: settings.workerId,
          concurrency: settings.concurrency,
          handler_timeout_ms: settings.handlerTimeoutMs,
          drain_timeout_ms: settings.drainTimeoutMs,
          claim_wait_ms: settings.claimWaitMs,
          result_batch_max: settings.resultBatchMax,
          result_batch_window_ms: settings.resultBatchWindowMs,
          heartbeat_interval_ms: settings.heartbeatIntervalMs ?? null,
          force_templates: settings.forceTemplates,
          namespaces: namespaces(),
          handlers: settings.handlerNames,
          template_count: templates().length,
          rest_port: portOf(addresses?.rest),
          grpc_port: portOf(addresses?.grpc),
          surface_auth_enabled: o.options.surfaces?.apiKey !== undefined,
        },
        orchestration:
          'client' in connection
            ? { transport: o.clientTransport() ?? null, replica_count: null }
            : { transport: connection.transport, replica_count: connection.addresses?.length ?? 1 },
        ...(o.options.safeConfig ?? {}),
      };
    },
  };
}

// The gRPC server: every tasker.v1 service the runtime provides, grpc.health.v1 following readiness, and
// reflection v1 over exactly what is registered (when enabled). Middleware order: metrics → errors → call
// lifetime → auth → handler.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Config } from '@tasker/shared/config';
import { AnalyticsServiceDefinition } from '@tasker/shared/gen/tasker/v1/analytics';
import { AuthServiceDefinition } from '@tasker/shared/gen/tasker/v1/auth';
import { ConfigServiceDefinition } from '@tasker/shared/gen/tasker/v1/config';
import { DlqServiceDefinition } from '@tasker/shared/gen/tasker/v1/dlq';
import { ScheduleServiceDefinition } from '@tasker/shared/gen/tasker/v1/schedules';
import { HealthServiceDefinition } from '@tasker/shared/gen/tasker/v1/health';
import { StepServiceDefinition } from '@tasker/shared/gen/tasker/v1/steps';
import { TaskServiceDefinition } from '@tasker/shared/gen/tasker/v1/tasks';
import { TemplateServiceDefinition } from '@tasker/shared/gen/tasker/v1/templates';
import { WorkerServiceDefinition } from '@tasker/shared/gen/tasker/v1/workers';
import { createServer } from 'nice-grpc';
import type { TaskerMetrics } from '../metrics/index.js';
import { createMetricsMiddleware } from './middleware/metrics.js';
import { HealthDefinition, HealthServiceImpl } from 'nice-grpc-server-health';
import { createErrorsMiddleware, createReflection, guardDefinition, type GrpcLogger } from '@tasker/shared/grpc';
import type { Services } from '../services/types.js';
import { stderrLogger } from './context.js';
import { createAnalyticsHandlers } from './handlers/analytics.js';
import { createAuthHandlers } from './handlers/auth.js';
import { createConfigHandlers } from './handlers/config.js';
import { createDlqHandlers } from './handlers/dlq.js';
import { createScheduleHandlers } from './handlers/schedules.js';
import { createHealthHandlers } from './handlers/health.js';
import { createStepHandlers } from './handlers/steps.js';
import { createTaskHandlers } from './handlers/tasks.js';
import { createTemplateHandlers } from './handlers/templates.js';
import { createWorkerHandlers } from './handlers/workers.js';
import { bindGrpcHealthStatus } from './health-status.js';
import { createAuthMiddleware, type Authenticate } from './middleware/auth.js';
import { createCallTracker } from './middleware/deadline.js';
import { grpcServerCredentials, grpcServerOptions } from './transport.js';

export interface GrpcServerOptions {
  /** Prometheus registry: latency per RPC and status is observed. */
  metrics?: TaskerMetrics;
  /** Verifies credentials when `auth.enabled`; without it every protected call is UNAUTHENTICATED. */
  authenticate?: Authenticate;
  /** Default: JSON lines on stderr. */
  logger?: GrpcLogger;
}

export interface GrpcServer {
  /** Binds `address` (default `config.grpc.address`; `127.0.0.1:0` picks a free port). */
  listen(address?: string): Promise<{ port: number }>;
  /** Health → NOT_SERVING, every open call (streams, long polls) aborted with UNAVAILABLE, then a graceful stop. */
  shutdown(): Promise<void>;
  /** Full names of the registered services, standard health included (what reflection lists). */
  readonly serviceNames: readonly string[];
}

const HEALTH_V1 = HealthDefinition.fullName;

/** The reflection descriptor set generated next to the ts-proto code of @tasker/shared. */
function descriptorSetPath(): string {
  const sharedEntry = createRequire(import.meta.url).resolve('@tasker/shared');
  return join(dirname(sharedEntry), 'gen', 'descriptor_set.bin');
}

export function createGrpcServer(services: Services, config: Config, opts: GrpcServerOptions = {}): GrpcServer {
  const logger = opts.logger ?? stderrLogger;
  const calls = createCallTracker();
  const base = createServer(grpcServerOptions(config));
  const server = (opts.metrics ? base.use(createMetricsMiddleware(opts.metrics)) : base)
    .use(createErrorsMiddleware(logger))
    .use(calls.middleware)
    .use(
      createAuthMiddleware({
        enabled: config.auth.enabled,
        apiKeyHeader: config.auth.api_keys.header,
        publicReflection: config.grpc.reflection.public,
        ...opts,
      }),
    );

  // Every definition is guarded: a request its decoder refuses is answered INVALID_ARGUMENT by the errors
  // middleware instead of failing inside grpc-js.
  const tasker: string[] = [];
  const add = <D extends { fullName: string }>(definition: D, register: (d: D) => void) => {
    register(definition);
    tasker.push(definition.fullName);
  };
  add(TaskServiceDefinition, (d) => server.add(guardDefinition(d), createTaskHandlers(services)));
  add(StepServiceDefinition, (d) => server.add(guardDefinition(d), createStepHandlers(services.steps)));
  add(TemplateServiceDefinition, (d) => server.add(guardDefinition(d), createTemplateHandlers(services.templates)));
  // Optional services are registered only when the runtime has them: reflection and health then show
  // their absence, and calls get UNIMPLEMENTED instead of a stand-in.
  const { analytics, dlq, schedules } = services;
  if (analytics !== undefined)
    add(AnalyticsServiceDefinition, (d) => server.add(guardDefinition(d), createAnalyticsHandlers(analytics)));
  if (dlq !== undefined) add(DlqServiceDefinition, (d) => server.add(guardDefinition(d), createDlqHandlers(dlq)));
  if (schedules !== undefined)
    add(ScheduleServiceDefinition, (d) => server.add(guardDefinition(d), createScheduleHandlers(schedules)));
  add(HealthServiceDefinition, (d) => server.add(guardDefinition(d), createHealthHandlers(services.health)));
  add(ConfigServiceDefinition, (d) => server.add(guardDefinition(d), createConfigHandlers(services.config)));
  add(WorkerServiceDefinition, (d) => server.add(guardDefinition(d), createWorkerHandlers(services)));
  add(AuthServiceDefinition, (d) => server.add(guardDefinition(d), createAuthHandlers(services.apiKeys)));

  const health = bindGrpcHealthStatus(services.health, tasker);
  server.add(guardDefinition(HealthDefinition), HealthServiceImpl(health.state));
  const serviceNames = [...tasker, HEALTH_V1];
  if (config.grpc.reflection.enabled) {
    const reflection = createReflection(readFileSync(descriptorSetPath()), serviceNames);
    server.add(guardDefinition(reflection.definition), reflection.implementation);
  }

  let stopping: Promise<void> | undefined;
  return {
    serviceNames,
    async listen(address = config.grpc.address) {
      const port = await server.listen(address, grpcServerCredentials(config));
      return { port };
    },
    shutdown() {
      stopping ??= (async () => {
        health.drain();
        calls.drain();
        let timer: NodeJS.Timeout | undefined;
        const graceful = server.shutdown();
        const expired = new Promise<'expired'>((resolve) => {
          timer = setTimeout(() => resolve('expired'), config.shutdown.grace_ms);
        });
        if ((await Promise.race([graceful, expired])) === 'expired') {
          logger.warn(
            { openCalls: calls.openCalls(), graceMs: config.shutdown.grace_ms },
            'gRPC calls outlived the shutdown grace period; forcing',
          );
          server.forceShutdown();
        }
        clearTimeout(timer);
        health.dispose();
      })();
      return stopping;
    },
  };
}

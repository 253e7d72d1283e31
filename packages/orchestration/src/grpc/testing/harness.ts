// A gRPC server on 127.0.0.1:0 over the given services, with clients, for tests without a database.
import { loadConfig, type Config, type ConfigOverrides } from '@tasker/shared/config';
import { makeFakeServices } from '../../rest/testing/fake-services.js';
import type { HealthService, Services } from '../../services/types.js';
import type { GrpcLogger } from '../context.js';
import { createGrpcServer, type GrpcServer, type GrpcServerOptions } from '../server.js';
import { createTaskerClients, type TaskerClientOptions, type TaskerClients } from './clients.js';

export interface GrpcHarness {
  server: GrpcServer;
  config: Config;
  address: string;
  clients: TaskerClients;
  /** Further clients (other credentials) on the same server; closed by stop(). */
  connect(options?: TaskerClientOptions): TaskerClients;
  logged: Array<{ level: 'error' | 'warn'; obj: object; msg: string }>;
  stop(): Promise<void>;
}

export async function startGrpcHarness(
  services: Services,
  overrides: ConfigOverrides = {},
  options: GrpcServerOptions & { clientOptions?: TaskerClientOptions } = {},
): Promise<GrpcHarness> {
  const config = loadConfig({ overrides: { auth: { enabled: false }, ...overrides } });
  const logged: GrpcHarness['logged'] = [];
  const logger: GrpcLogger = {
    error: (obj, msg) => logged.push({ level: 'error', obj, msg }),
    warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
  };
  const server = createGrpcServer(services, config, { logger, ...options });
  const { port } = await server.listen('127.0.0.1:0');
  const address = `127.0.0.1:${port}`;
  const opened: TaskerClients[] = [];
  const connect = (clientOptions?: TaskerClientOptions) => {
    const clients = createTaskerClients(address, clientOptions);
    opened.push(clients);
    return clients;
  };
  return {
    server,
    config,
    address,
    clients: connect(options.clientOptions),
    connect,
    logged,
    async stop() {
      for (const c of opened) c.close();
      await server.shutdown();
    },
  };
}

type FakeOverrides = Parameters<typeof makeFakeServices>[0];

/**
 * Stub services (any call not given fails loudly) whose health is ready unless overridden: the server reads
 * readiness at construction for grpc.health.v1.
 */
export function makeStubServices(overrides: FakeOverrides = {}): Services {
  const health: Partial<HealthService> = {
    isReady: () => true,
    onReadinessChange: () => () => undefined,
    live: async () => ({ status: 'alive', timestamp: new Date(), checks: {}, info: null }),
    ...overrides?.health,
  };
  return makeFakeServices({ ...overrides, health });
}

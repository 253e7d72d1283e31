// The gRPC server over a real runtime (its own cloned database) on 127.0.0.1:0, with real nice-grpc clients.
//   const h = useGrpcRuntime();          // top level of a grpc-*.test.ts file
//   it('…', async () => { await h.clients.tasks.getTask({ taskUuid }); });
import type { Config, ConfigOverrides } from '@tasker/shared/config';
import { afterAll, beforeAll } from 'vitest';
import type { Services } from '../../../src/services/types.js';
import { createGrpcServer, type GrpcServer, type GrpcServerOptions } from '../../../src/grpc/server.js';
import {
  createTaskerClients,
  type TaskerClientOptions,
  type TaskerClients,
} from '../../../src/grpc/testing/clients.js';
import { startTestRuntime, type TestRuntime } from './runtime.js';

export {
  GrpcCallError,
  createTaskerClients,
  grpcErrorOf,
  type TaskerClients,
} from '../../../src/grpc/testing/clients.js';

export interface GrpcRuntimeHarness {
  runtime: TestRuntime;
  services: Services;
  config: Config;
  server: GrpcServer;
  address: string;
  clients: TaskerClients;
  /** More clients (other credentials) on the same server; closed with the harness. */
  connect(options?: TaskerClientOptions): TaskerClients;
}

export interface GrpcRuntimeOptions {
  /** Config overrides of the runtime and the server (auth is off unless these turn it on). */
  config?: ConfigOverrides;
  /** Server options, or a function of the started runtime (e.g. an authenticator built from its config). */
  server?: GrpcServerOptions | ((runtime: TestRuntime) => GrpcServerOptions);
}

/** Starts the runtime and the gRPC server for the calling file; both are stopped after its tests. */
export function useGrpcRuntime(options: GrpcRuntimeOptions = {}): GrpcRuntimeHarness {
  const harness = {} as GrpcRuntimeHarness;
  const opened: TaskerClients[] = [];
  let runtime: TestRuntime | undefined;
  let server: GrpcServer | undefined;

  beforeAll(async () => {
    runtime = await startTestRuntime({ ...options.config, auth: { enabled: false, ...options.config?.auth } });
    const serverOptions = typeof options.server === 'function' ? options.server(runtime) : options.server;
    server = createGrpcServer(runtime.services, runtime.config, serverOptions);
    const { port } = await server.listen('127.0.0.1:0');
    const address = `127.0.0.1:${port}`;
    const connect = (clientOptions?: TaskerClientOptions) => {
      const clients = createTaskerClients(address, clientOptions);
      opened.push(clients);
      return clients;
    };
    Object.assign(harness, {
      runtime,
      services: runtime.services,
      config: runtime.config,
      server,
      address,
      clients: connect(),
      connect,
    } satisfies GrpcRuntimeHarness);
  });

  afterAll(async () => {
    for (const c of opened) c.close();
    await server?.shutdown();
    await runtime?.stop();
  });

  return harness;
}

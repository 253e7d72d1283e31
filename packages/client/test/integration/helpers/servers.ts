// A real orchestration for the client tests: the engine runtime on its own cloned database, the REST app and
// the gRPC server on free loopback ports, both over the same services. Listeners can be restarted on the
// same ports (a server restart as a client sees it) while the runtime and database stay.
import type { Config, ConfigOverrides } from '@tasker/shared/config';
import type { FastifyInstance } from 'fastify';
import { createAuthenticator } from '../../../../orchestration/src/auth/authenticate.js';
import { findApiKeyByDigest } from '../../../../orchestration/src/repositories/api-keys.js';
import { createGrpcServer, type GrpcServer } from '../../../../orchestration/src/grpc/server.js';
import { buildRestApp } from '../../../../orchestration/src/rest/app.js';
import { closeApp } from '../../../../orchestration/src/rest/plumbing.js';
import type { Services } from '../../../../orchestration/src/services/types.js';
import { startTestRuntime, type TestRuntime } from '../../../../orchestration/test/integration/helpers/runtime.js';
import type { Transport } from '../../../src/types.js';

/** The admin API key the test servers accept when auth is on. */
/** Of the generated form (`tsk_` + 43 base64url characters), so it is also accepted from a dev key file. */
export const TEST_API_KEY = `tsk_${'client-tests-admin-key-0123456789'.padEnd(43, 'x')}`;

export interface TestServers {
  runtime: TestRuntime;
  services: Services;
  config: Config;
  /** `127.0.0.1:<port>` per transport. */
  address: Record<Transport, string>;
  /** Stops both listeners (open streams and long polls end as on a real shutdown). */
  stopListeners(): Promise<void>;
  /** Starts new listeners on the same ports over the same services. */
  startListeners(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Turn auth on with {@link TEST_API_KEY} as the only admin credential. */
  auth?: boolean;
  config?: ConfigOverrides;
}

export async function startTestServers(options: TestServerOptions = {}): Promise<TestServers> {
  const auth: ConfigOverrides['auth'] = options.auth
    ? {
        enabled: true,
        api_keys: {
          enabled: true,
          keys: [
            {
              key: TEST_API_KEY,
              permissions: [
                'tasks:*',
                'steps:*',
                'templates:*',
                'dlq:*',
                'system:*',
                'workers:*',
                'worker:*',
                'auth:*',
              ],
              description: 'client tests',
            },
          ],
        },
      }
    : { enabled: false };
  const runtime = await startTestRuntime({ ...options.config, auth: { ...options.config?.auth, ...auth } });
  const { services, config } = runtime;
  // Stored keys (created through the admin API) are looked up live, so a revocation takes effect at once.
  const authenticate = createAuthenticator(config.auth, {
    apiKeys: { findByDigest: (digest) => findApiKeyByDigest(runtime.sql, digest) },
    apiKeyCacheMs: 0,
  });
  let app: FastifyInstance | undefined;
  let grpc: GrpcServer | undefined;
  let restPort = 0;
  let grpcPort = 0;

  const startListeners = async (): Promise<void> => {
    app = await buildRestApp(services, config, { authenticate });
    await app.listen({ host: '127.0.0.1', port: restPort });
    const bound = app.server.address();
    if (bound === null || typeof bound === 'string') throw new Error('REST app has no TCP address');
    restPort = bound.port;
    grpc = createGrpcServer(services, config, { authenticate });
    grpcPort = (await grpc.listen(`127.0.0.1:${grpcPort}`)).port;
  };
  const stopListeners = async (): Promise<void> => {
    await Promise.all([app === undefined ? undefined : closeApp(app, 500), grpc?.shutdown()]);
    app = undefined;
    grpc = undefined;
  };

  await startListeners();
  const servers: TestServers = {
    runtime,
    services,
    config,
    get address() {
      return { rest: `127.0.0.1:${restPort}`, grpc: `127.0.0.1:${grpcPort}` };
    },
    stopListeners,
    startListeners,
    async stop() {
      await stopListeners();
      await runtime.stop();
    },
  };
  return servers;
}

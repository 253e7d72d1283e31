// Starts whichever of the worker's own surfaces are configured and stops them together. What the options leave
// out (the API-key header, reflection) comes from config/default.yaml, as for orchestration.
import { defaultConfig } from '@tasker/shared/config';
import type { FastifyInstance } from 'fastify';
import type { WorkerSurfacesOptions } from '../types.js';
import { startGrpcSurface, type GrpcSurface } from './grpc.js';
import { startRestSurface } from './rest.js';
import type { SurfaceSource } from './source.js';

export interface StartedSurfaces {
  readonly grpc: GrpcSurface | undefined;
  addresses(): { rest: string | null; grpc: string | null };
  stop(): Promise<void>;
}

export async function startSurfaces(
  options: WorkerSurfacesOptions | undefined,
  source: SurfaceSource,
): Promise<StartedSurfaces> {
  const defaults = defaultConfig();
  const auth = {
    ...(options?.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    apiKeyHeader: (options?.apiKeyHeader ?? defaults.auth.api_keys.header).toLowerCase(),
  };
  const reflection = options?.reflection ?? defaults.grpc.reflection;
  let rest: { app: FastifyInstance; address: string } | undefined;
  let grpc: GrpcSurface | undefined;
  try {
    if (typeof options?.rest === 'string') rest = await startRestSurface(options.rest, source, auth);
    if (typeof options?.grpc === 'string') grpc = await startGrpcSurface(options.grpc, source, { ...auth, reflection });
  } catch (err) {
    await rest?.app.close();
    throw err;
  }
  return {
    grpc,
    addresses: () => ({ rest: rest?.address ?? null, grpc: grpc?.address ?? null }),
    async stop() {
      await Promise.all([rest?.app.close(), grpc?.stop()]);
    },
  };
}

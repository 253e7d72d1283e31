import { z } from 'zod';
import { TimestampSchema, named } from './common.js';

export const HealthCheckSchema = named(
  'HealthCheck',
  z.object({
    status: z.enum(['healthy', 'degraded', 'unhealthy', 'unknown']),
    message: z.string().nullable(),
    duration_ms: z.number(),
  }),
);

/** Body of /health, /health/live, /health/ready (also with 503) and /health/detailed. */
export const HealthResponseSchema = named(
  'Health',
  z.object({
    status: z.enum(['alive', 'healthy', 'ready', 'not_ready', 'degraded', 'unhealthy']),
    timestamp: TimestampSchema,
    checks: z.record(z.string(), HealthCheckSchema),
    info: z
      .object({
        version: z.string(),
        environment: z.string(),
        operational_state: z.enum(['startup', 'normal', 'graceful_shutdown', 'stopped']),
        pool_max: z.number().int(),
      })
      .nullable(),
  }),
);
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

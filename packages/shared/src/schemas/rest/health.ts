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

export const PoolUtilizationSchema = named(
  'PoolUtilization',
  z.object({
    active_connections: z.number().int(),
    waiting_queries: z.number().int(),
    max_connections: z.number().int(),
    utilization_percent: z.number(),
    total_acquires: z.number().int(),
    acquire_errors: z.number().int(),
  }),
  'Counted in process where every query and transaction passes: busy = calls in flight up to the pool size, waiting = beyond it',
);

export const QueueDepthReportSchema = named(
  'QueueDepthReport',
  z.object({
    measured_at: TimestampSchema,
    namespaces: z.record(
      z.string(),
      z.object({ depth: z.number().int(), limit: z.number().int(), throttled: z.boolean() }),
    ),
  }),
  'Unclaimed ready steps per namespace at the last count, against each namespace’s backpressure limit',
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
        circuit_breaker_state: z.enum(['closed', 'open', 'half_open', 'disabled']),
        pool_utilization: z.record(z.string(), PoolUtilizationSchema),
        queue_depth: QueueDepthReportSchema.nullable(),
      })
      .nullable(),
  }),
);
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

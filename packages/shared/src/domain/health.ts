import type { QueueDepthReport } from './backpressure.js';

export type CheckStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

export interface HealthCheck {
  status: CheckStatus;
  message: string | null;
  durationMs: number;
}

export type OperationalState = 'startup' | 'normal' | 'graceful_shutdown' | 'stopped';

/** The database circuit breaker (`disabled` when `database.circuit_breaker.enabled` is false). */
export const CIRCUIT_BREAKER_STATES = ['closed', 'open', 'half_open', 'disabled'] as const;
export type CircuitBreakerState = (typeof CIRCUIT_BREAKER_STATES)[number];

/**
 * Usage of one connection pool, counted in process where every query and transaction passes: a call holds a
 * connection from its start to its end, so busy connections are the calls in flight up to the pool size, and
 * the calls beyond it wait (queued or pipelined behind a busy connection).
 */
export interface PoolUtilization {
  activeConnections: number;
  /** Calls in flight beyond the pool size. */
  waitingQueries: number;
  maxConnections: number;
  /** activeConnections / maxConnections × 100. */
  utilizationPercent: number;
  /** Queries and transactions started since the process started. */
  totalAcquires: number;
  /** Of those, the ones that got no working connection: connection failures and refusals by the open circuit. */
  acquireErrors: number;
}

/** Shape shared by live / ready / detailed (REST and HealthService). */
export interface HealthReport {
  status: 'alive' | 'healthy' | 'ready' | 'not_ready' | 'degraded' | 'unhealthy';
  timestamp: Date;
  checks: Record<string, HealthCheck>;
  info: {
    version: string;
    environment: string;
    operationalState: OperationalState;
    /** Configured maximum connections of this process's pool. */
    poolMax: number;
    circuitBreakerState: CircuitBreakerState;
    /** By pool name; this process has one, `database`. */
    pools: Record<string, PoolUtilization>;
    /** Per-namespace queue depth as last counted; null before the first count. */
    queueDepth: QueueDepthReport | null;
  } | null;
}

export type CheckStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

export interface HealthCheck {
  status: CheckStatus;
  message: string | null;
  durationMs: number;
}

export type OperationalState = 'startup' | 'normal' | 'graceful_shutdown' | 'stopped';

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
  } | null;
}

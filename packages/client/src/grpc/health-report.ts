// CheckReadiness answers "not ready" with UNAVAILABLE whose details name the failing checks; REST answers 503
// with the full report. The SDK resolves ready() with a report on both transports.
import type { CheckStatus, HealthCheck, HealthReport } from '@tasker/shared';
import { isTaskerError } from '../errors.js';

const CHECK_STATUSES: readonly CheckStatus[] = ['healthy', 'degraded', 'unhealthy', 'unknown'];

function checkOf(value: unknown): HealthCheck | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { status, message } = value as { status?: unknown; message?: unknown };
  if (!CHECK_STATUSES.includes(status as CheckStatus)) return undefined;
  // The error details carry no timings: the duration is unknown over gRPC.
  return { status: status as CheckStatus, message: typeof message === 'string' ? message : null, durationMs: 0 };
}

/**
 * The not-ready report behind a readiness UNAVAILABLE (only the failing checks are named), or undefined when
 * the error is anything else (an unreachable server is not a not-ready report).
 */
export function notReadyReport(error: unknown, now: () => Date = () => new Date()): HealthReport | undefined {
  if (!isTaskerError(error, 'UNAVAILABLE')) return undefined;
  const checks = error.details?.checks;
  if (typeof checks !== 'object' || checks === null) return undefined;
  const decoded: Record<string, HealthCheck> = {};
  for (const [name, value] of Object.entries(checks)) {
    const check = checkOf(value);
    if (check !== undefined) decoded[name] = check;
  }
  return { status: 'not_ready', timestamp: now(), checks: decoded, info: null };
}

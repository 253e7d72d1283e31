// CheckReadiness answers "not ready" with UNAVAILABLE whose details are the full report in the REST body's shape
// (REST answers 503 with that same body). The SDK resolves ready() with the decoded report on both transports.
import type { HealthReport } from '@tasker/shared';
import { healthReportFromRest } from '@tasker/shared/convert/rest/index';
import { HealthResponseSchema } from '@tasker/shared/schemas/rest/index';
import { isTaskerError } from '../errors.js';

/**
 * The not-ready report carried by a readiness UNAVAILABLE, or undefined when the error is anything else (an
 * unreachable server, a server draining mid-call, an older server whose details are not a report).
 */
export function notReadyReport(error: unknown): HealthReport | undefined {
  if (!isTaskerError(error, 'UNAVAILABLE') || error.details === undefined) return undefined;
  const parsed = HealthResponseSchema.safeParse(error.details);
  return parsed.success ? healthReportFromRest(parsed.data) : undefined;
}

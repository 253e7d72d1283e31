// What the transports and the /metrics route call. Labels stay low-cardinality: routes are Fastify route
// patterns (`/v1/tasks/:task_uuid`), never raw URLs; gRPC methods are full method paths.
import { Status } from 'nice-grpc-common';
import type { TaskerMetrics } from './registry.js';

/** Label for requests that matched no route (404s), so unknown URLs can't explode the series count. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Records one REST request. `route`: the matched route pattern (Fastify `request.routeOptions.url`), if any. */
export function observeHttp(
  metrics: TaskerMetrics,
  r: { route: string | undefined; method: string; status: number; seconds: number },
): void {
  metrics.httpRequestDuration.observe(
    { route: r.route ?? UNMATCHED_ROUTE, method: r.method.toUpperCase(), status: String(r.status) },
    r.seconds,
  );
}

/** Records one gRPC call. `method`: the full path (`/tasker.v1.TaskService/CreateTask`); `code`: a Status or its name. */
export function observeGrpc(
  metrics: TaskerMetrics,
  r: { method: string; code: Status | string; seconds: number },
): void {
  const code = typeof r.code === 'number' ? (Status[r.code] ?? String(r.code)) : r.code;
  metrics.grpcRequestDuration.observe({ method: r.method, code }, r.seconds);
}

/** The Prometheus text exposition (runs the scrape-time collectors). */
export function metricsText(metrics: TaskerMetrics): Promise<string> {
  return metrics.registry.metrics();
}

/** Content-Type of {@link metricsText}'s output. */
export function metricsContentType(metrics: TaskerMetrics): string {
  return metrics.registry.contentType;
}

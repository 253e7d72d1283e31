// Latency per RPC and final status, outermost so it sees the status the errors middleware translated to.
// Streams are timed until they end (a StreamTaskStatus call lasts as long as its watch).
import { ServerError, Status, type CallContext, type ServerMiddleware, type ServerMiddlewareCall } from 'nice-grpc';
import { observeGrpc, type TaskerMetrics } from '../../metrics/index.js';

function statusOf(err: unknown): Status {
  if (err instanceof ServerError) return err.code;
  if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError')
    return Status.CANCELLED;
  return Status.UNKNOWN;
}

export function createMetricsMiddleware(metrics: TaskerMetrics): ServerMiddleware {
  return async function* metricsMiddleware<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ) {
    const started = performance.now();
    let code = Status.OK;
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      code = statusOf(err);
      throw err;
    } finally {
      observeGrpc(metrics, { method: call.method.path, code, seconds: (performance.now() - started) / 1000 });
    }
  };
}

// Call lifetime: each call gets one AbortSignal that fires when the client cancels, when its deadline passes
// (grpc-js cancels the call then) or when the server drains. Handlers pass it on to the services (claim's long
// poll, task event watches), so nothing keeps working for a caller that is gone, and shutdown can end every
// open stream before it waits for the server.
import { AppError } from '@tasker/shared/errors';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc';

export interface CallTracker {
  middleware: ServerMiddleware;
  /** Aborts every open call (and every call that starts from now on) with an UNAVAILABLE AppError. */
  drain(): void;
  /** Calls currently in flight. */
  openCalls(): number;
}

export const SHUTDOWN_REASON_MESSAGE = 'server is shutting down';

export function createCallTracker(): CallTracker {
  const open = new Set<AbortController>();
  let drainReason: AppError | undefined;

  async function* callLifetime<Request, Response>(call: ServerMiddlewareCall<Request, Response>, context: CallContext) {
    const controller = new AbortController();
    const forward = () => controller.abort(context.signal.reason);
    if (drainReason !== undefined) controller.abort(drainReason);
    else if (context.signal.aborted) forward();
    else context.signal.addEventListener('abort', forward, { once: true });
    open.add(controller);
    try {
      return yield* call.next(call.request, { ...context, signal: controller.signal });
    } finally {
      open.delete(controller);
      context.signal.removeEventListener('abort', forward);
    }
  }

  return {
    middleware: callLifetime,
    drain() {
      drainReason ??= new AppError('UNAVAILABLE', SHUTDOWN_REASON_MESSAGE);
      for (const controller of open) controller.abort(drainReason);
    },
    openCalls: () => open.size,
  };
}

// One attempt of one claimed step: build the handler's context, enforce the time limit, and turn whatever
// happens into an outcome the runtime reports (or deliberately does not).
import type { ClaimedStep, JsonValue, StepFailure } from '@tasker/shared';
import { PermanentError, StepAbortError, timeoutFailure, toStepFailure } from './errors.js';
import type { StepCheckpointer } from './checkpoints.js';
import type { Handler, StepAbortReason, StepContext, WorkerLogger } from './types.js';

export type StepOutcome =
  | { kind: 'completed'; result: JsonValue; durationMs: number }
  | { kind: 'failed'; failure: StepFailure; durationMs: number }
  /** Cancelled, lease lost or shutting down: nothing may be reported. */
  | { kind: 'abandoned'; reason: Exclude<StepAbortReason, 'timeout'>; durationMs: number };

export interface RunStepOptions {
  /** Time limit of this attempt. */
  timeoutMs: number;
  /** Aborted by the runtime on cancellation, lease loss or shutdown (reason: a StepAbortError). */
  controller: AbortController;
  logger: WorkerLogger;
  /** Records the handler's checkpoints; absent: a checkpoint call rejects (no orchestration to send it to). */
  checkpointer?: StepCheckpointer;
}

/** The step's own `timeout_seconds` wins over the worker-wide default: the template author knows the step. */
export function stepTimeoutMs(step: Pick<ClaimedStep, 'timeoutSeconds'>, handlerTimeoutMs: number): number {
  return step.timeoutSeconds !== null && step.timeoutSeconds > 0 ? step.timeoutSeconds * 1000 : handlerTimeoutMs;
}

export function buildStepContext(
  step: ClaimedStep,
  signal: AbortSignal,
  logger: WorkerLogger,
  checkpointer?: StepCheckpointer,
): StepContext {
  // The step's logger is bound on first use: most handlers never log, and a child logger per step is work.
  let bound: WorkerLogger | undefined;
  return {
    taskUuid: step.taskUuid,
    stepUuid: step.stepUuid,
    stepName: step.stepName,
    namespace: step.namespace,
    taskName: step.taskName,
    taskVersion: step.taskVersion,
    correlationId: step.correlationId,
    context: step.context,
    config: step.handler.initialization,
    parentResults: step.parentResults,
    attempt: step.attempt,
    maxAttempts: step.maxAttempts,
    method: step.handler.method,
    get logger() {
      bound ??= logger.child({
        task_uuid: step.taskUuid,
        step_uuid: step.stepUuid,
        step_name: step.stepName,
        namespace: step.namespace,
        correlation_id: step.correlationId,
        attempt: step.attempt,
      });
      return bound;
    },
    signal,
    get lastCheckpoint() {
      return checkpointer === undefined ? step.checkpoint : checkpointer.last;
    },
    checkpoint(input) {
      if (checkpointer === undefined) return Promise.reject(new Error('checkpoints need an orchestration connection'));
      return checkpointer.save(input);
    },
  };
}

/** JSON round trip: `undefined` becomes null; values JSON cannot carry (BigInt, cycles) are a handler bug. */
function toJsonResult(value: unknown): JsonValue {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new PermanentError(`handler result is not JSON: ${(err as Error).message}`, { errorType: 'invalid_result' });
  }
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

function abortReasonOf(signal: AbortSignal): StepAbortReason {
  const reason: unknown = signal.reason;
  return reason instanceof StepAbortError ? reason.reason : 'shutdown';
}

/**
 * Runs `handler` for `step`. Resolves as soon as the handler settles or the signal fires: a handler that
 * ignores its signal is left behind (its late result is dropped), so a stuck handler cannot hold a lease.
 */
export async function runStep(step: ClaimedStep, handler: Handler, options: RunStepOptions): Promise<StepOutcome> {
  const { controller, timeoutMs } = options;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timer = setTimeout(() => {
    controller.abort(new StepAbortError('timeout', `step timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const ctx = buildStepContext(step, controller.signal, options.logger, options.checkpointer);

  const aborted = new Promise<'aborted'>((resolve) => {
    if (controller.signal.aborted) resolve('aborted');
    else controller.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  const run = (async () => toJsonResult(await handler(ctx)))().then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );

  try {
    const settled = await Promise.race([run, aborted]);
    // An abort wins even when the handler settled in the same tick: a cancelled step must not report.
    if (settled === 'aborted' || controller.signal.aborted) {
      const reason = abortReasonOf(controller.signal);
      if (reason === 'timeout') return { kind: 'failed', failure: timeoutFailure(timeoutMs), durationMs: elapsed() };
      return { kind: 'abandoned', reason, durationMs: elapsed() };
    }
    if (settled.ok) return { kind: 'completed', result: settled.result, durationMs: elapsed() };
    return { kind: 'failed', failure: toStepFailure(settled.error), durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

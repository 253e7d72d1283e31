// tasks.watch for both transports: one connection at a time, resumed from the last event id after a transport
// failure, never yielding an event twice, ending after the task's terminal event.
import { TERMINAL_TASK_STATES, type TaskStatusEvent, type WatchOptions } from '@tasker/shared';
import { TaskerError } from './errors.js';
import type { RetryOptions } from './options.js';
import { sleep } from '@tasker/shared/resilience';
import { isRetryableFailure, retryDelay } from './retry.js';
import type { Transport } from './types.js';

/** What a transport provides: one stream connection, and a cheap state check. */
export interface WatchSource {
  transport: Transport;
  /**
   * Opens one connection yielding the task's events after `afterEventId` (all when undefined), and `null` for
   * each sign of life without an event (keepalives). Ends when the server ends the stream; throws TaskerError
   * when the connection fails.
   */
  open(
    taskUuid: string,
    afterEventId: number | undefined,
    includeSteps: boolean,
    signal: AbortSignal,
  ): AsyncIterable<TaskStatusEvent | null>;
  /** Whether the task is in a terminal state now (asked when a stream ends without its terminal event). */
  isTerminal(taskUuid: string, signal: AbortSignal): Promise<boolean>;
}

/** The event after which a task's stream ends: a task-level event entering a terminal state. */
export function isTerminalEvent(event: TaskStatusEvent): boolean {
  return event.type !== 'keepalive' && event.step === null && TERMINAL_TASK_STATES.includes(event.taskState);
}

/**
 * Watches a task: history after `afterEventId` (the whole history when absent or 0), then live events, ending
 * after the terminal task event. Keepalives are consumed, never yielded. After a transport failure it
 * reconnects with backoff from the last event id it yielded; `policy.maxAttempts` consecutive failures
 * without progress end the watch with the last error. Aborting `signal` ends the iteration quietly.
 */
export async function* watchTask(
  source: WatchSource,
  taskUuid: string,
  options: WatchOptions,
  policy: RetryOptions,
): AsyncGenerator<TaskStatusEvent, void, undefined> {
  const outer = options.signal;
  let cursor = options.afterEventId !== undefined && options.afterEventId > 0 ? options.afterEventId : undefined;
  let failures = 0;
  let lastError: TaskerError | undefined;
  // A function, not a narrowed property read: the signal can abort during any await below.
  const aborted = (): boolean => outer?.aborted === true;
  while (!aborted()) {
    const connection = new AbortController();
    const onAbort = (): void => connection.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    let received = false;
    let endedOnTerminal = false;
    try {
      for await (const event of source.open(taskUuid, cursor, options.includeSteps ?? false, connection.signal)) {
        received = true;
        failures = 0;
        if (event === null || event.type === 'keepalive') continue;
        if (cursor !== undefined && event.eventId <= cursor) continue;
        cursor = event.eventId;
        endedOnTerminal = isTerminalEvent(event);
        yield event;
        if (aborted()) return;
      }
      // The server decides where the stream ends (a replayed `error` that an operator's resume superseded does
      // not end it), so a clean end right after a terminal event is the end of the watch.
      if (endedOnTerminal) return;
      // The server ended the stream without the terminal event: it is shutting down, or the terminal event
      // lies behind the cursor the caller passed.
      if (!received && (await source.isTerminal(taskUuid, connection.signal))) return;
      lastError = new TaskerError({
        code: 'UNAVAILABLE',
        message: 'the task event stream ended early',
        transport: source.transport,
      });
    } catch (error) {
      if (aborted()) return;
      // Only transient failures are worth a reconnect; anything else (NOT_FOUND, PERMISSION_DENIED…) ends the watch.
      if (!isRetryableFailure(error)) throw error;
      lastError = error;
    } finally {
      outer?.removeEventListener('abort', onAbort);
      connection.abort();
    }
    failures += 1;
    if (failures >= policy.maxAttempts) throw lastError;
    // An abort ends the wait early; the loop condition then ends the watch.
    await sleep(retryDelay(lastError, failures, policy), outer);
  }
}

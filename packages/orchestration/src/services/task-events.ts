// Task event streams: replay a task's transitions (and, with steps, its expansions) after a cursor, then follow
// live ones. A `tasker_events`
// notification (sent by the writing transaction, payload = task uuid) only says "look again"; events always
// come from the history tables in event_id order, so there are no gaps and no duplicates. Every writer locks
// the task row before drawing event ids, so per task commit order is event_id order and `event_id > cursor`
// never skips a late commit (docs/engine.md).
import type { TaskEventType, TaskState, TaskStatusEvent, WatchOptions } from '@tasker/shared';
import { isTerminalTaskState } from '@tasker/shared';
import { canAccessNamespace, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import type { NotificationHub } from '../engine/notification-hub.js';
import type { TaskWatchRegistry } from '../engine/task-watch-registry.js';
import { findTaskStateAt, replayTaskEvents } from '../repositories/events.js';
import { findTask } from '../repositories/tasks.js';
import { assertUuid, taskNotFound } from './access.js';
import type { TaskEventService } from './types.js';

export interface TaskEventServiceDeps {
  sql: Sql;
  hub: NotificationHub;
  watches: TaskWatchRegistry;
  keepaliveMs: number;
  replayBatch: number;
  /** Aborted when the runtime stops: every stream ends. */
  shutdown: AbortSignal;
}

const TERMINAL_TYPES: Partial<Record<TaskState, TaskEventType>> = {
  complete: 'task_complete',
  error: 'task_error',
  cancelled: 'task_cancelled',
};

/** Resolves when `notified` is flagged, after `ms`, or on abort; the flag is consumed. */
function createSignalBox(): {
  flag(): void;
  wait(ms: number, signal: AbortSignal): Promise<'event' | 'timeout' | 'aborted'>;
} {
  let pending = false;
  let wake: (() => void) | undefined;
  return {
    flag() {
      pending = true;
      wake?.();
    },
    wait(ms, signal) {
      if (signal.aborted) return Promise.resolve('aborted');
      if (pending) {
        pending = false;
        return Promise.resolve('event');
      }
      return new Promise((resolve) => {
        const finish = (why: 'event' | 'timeout' | 'aborted'): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          wake = undefined;
          if (why === 'event') pending = false;
          resolve(why);
        };
        const onAbort = (): void => finish('aborted');
        const timer = setTimeout(() => finish('timeout'), Math.max(0, ms));
        wake = () => finish('event');
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

export function createTaskEventService(deps: TaskEventServiceDeps): TaskEventService {
  const { sql, hub } = deps;
  // Streams of one task woken by the same notification are usually at the same cursor: they share one read
  // instead of each running its own (100 watchers of a task: one query per event, not 100).
  const reads = new Map<string, ReturnType<typeof replayTaskEvents>>();
  function readEvents(args: Parameters<typeof replayTaskEvents>[1]): ReturnType<typeof replayTaskEvents> {
    const key = `${args.taskUuid}:${args.afterEventId}:${args.limit}:${args.includeSteps}`;
    const shared = reads.get(key);
    if (shared !== undefined) return shared;
    const read = replayTaskEvents(sql, args).finally(() => reads.delete(key));
    reads.set(key, read);
    return read;
  }

  /**
   * `error` ends a stream unless the history already holds an operator's resume after it: a replay of a resumed
   * task goes on to its final state instead of stopping at a superseded error.
   */
  async function resumedLater(taskUuid: string, state: TaskState, cursor: number): Promise<boolean> {
    if (state !== 'error') return false;
    const later = await readEvents({ taskUuid, afterEventId: cursor, limit: 1, includeSteps: false });
    return later.length > 0;
  }

  async function* stream(
    principal: Principal,
    taskUuid: string,
    options: WatchOptions,
  ): AsyncGenerator<TaskStatusEvent> {
    assertUuid(taskUuid, 'task_uuid');
    const task = await findTask(sql, taskUuid);
    if (task === undefined || !canAccessNamespace(principal, task.namespace)) throw taskNotFound(taskUuid);

    const stop = new AbortController();
    const abort = (): void => stop.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    deps.shutdown.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted || deps.shutdown.aborted) stop.abort();

    const box = createSignalBox();
    // Subscribed (in memory and in tasker.task_watchers) before the first replay: a transition committing
    // after the replay read is notified and flags the box.
    const unsubscribe = hub.onTaskEvent(taskUuid, () => box.flag());
    const unsubscribeReconnect = hub.onReconnect(() => box.flag());
    let registered = false;
    const includeSteps = options.includeSteps ?? false;
    let cursor = Math.max(0, options.afterEventId ?? 0);
    let taskState: TaskState = cursor > 0 ? ((await findTaskStateAt(sql, taskUuid, cursor)) ?? 'pending') : 'pending';
    let lastSentAt = Date.now();

    try {
      registered = true;
      if (!(await deps.watches.acquire(taskUuid))) throw taskNotFound(taskUuid);
      while (!stop.signal.aborted) {
        const rows = await readEvents({ taskUuid, afterEventId: cursor, limit: deps.replayBatch, includeSteps });
        for (const e of rows) {
          cursor = e.eventId;
          let event: TaskStatusEvent;
          if (e.kind === 'task') {
            taskState = e.toState;
            event = {
              eventId: e.eventId,
              type: TERMINAL_TYPES[taskState] ?? 'task_state_change',
              taskUuid,
              taskState,
              step: null,
              expansion: null,
              occurredAt: e.createdAt,
            };
          } else if (e.kind === 'expansion') {
            event = {
              eventId: e.eventId,
              type: e.type,
              taskUuid,
              taskState,
              step: null,
              expansion: e.expansion,
              occurredAt: e.createdAt,
            };
          } else {
            event = {
              eventId: e.eventId,
              type: e.kind === 'step' ? 'step_state_change' : 'batch.worker_checkpointed',
              taskUuid,
              taskState,
              step: { stepUuid: e.stepUuid, name: e.stepName, state: e.toState, attempt: e.attempt },
              expansion: null,
              occurredAt: e.createdAt,
            };
          }
          yield event;
          lastSentAt = Date.now();
          if (e.kind === 'task' && isTerminalTaskState(taskState) && !(await resumedLater(taskUuid, taskState, cursor)))
            return;
          if (stop.signal.aborted) return;
        }
        if (rows.length >= deps.replayBatch) continue;
        // Caught up. A task that is already finished at the cursor has nothing more to say.
        if (isTerminalTaskState(taskState)) return;
        const idleFor = Date.now() - lastSentAt;
        const why = await box.wait(deps.keepaliveMs - idleFor, stop.signal);
        if (why === 'aborted') return;
        if (why === 'timeout') {
          // Re-read first (a missed notification would show up here), then keep the connection alive.
          const more = await readEvents({ taskUuid, afterEventId: cursor, limit: 1, includeSteps });
          if (more.length > 0) continue;
          yield {
            eventId: 0,
            type: 'keepalive',
            taskUuid,
            taskState,
            step: null,
            expansion: null,
            occurredAt: new Date(),
          };
          lastSentAt = Date.now();
        }
      }
    } finally {
      if (registered) deps.watches.release(taskUuid);
      unsubscribe();
      unsubscribeReconnect();
      options.signal?.removeEventListener('abort', abort);
      deps.shutdown.removeEventListener('abort', abort);
    }
  }

  return {
    watch(principal, taskUuid, options) {
      return stream(principal, taskUuid, options);
    },
  };
}

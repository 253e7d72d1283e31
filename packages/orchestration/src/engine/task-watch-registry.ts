// Which tasks this process streams events of, registered in tasker.task_watchers so writers NOTIFY
// `tasker_events` only for watched tasks. One row per (task, process) however many local streams watch it.
// A finished stream leaves its row to expire (TTL) rather than deleting it, so a stream that starts right after
// another ended can never race a delete; rows of live streams are extended by a refresh loop.
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { deleteTaskWatchers, refreshTaskWatchers, watchTask } from '../repositories/task-watchers.js';
import type { EngineLogger } from './logger.js';
import { createLoop, type Loop } from './loop.js';

const TTL_SECONDS = 120;
const REFRESH_MS = 30_000;

export interface TaskWatchRegistry {
  readonly watcherId: string;
  /** Registers interest in `taskUuid` (waits for in-flight writers of the task); false when the task is gone. */
  acquire(taskUuid: string): Promise<boolean>;
  release(taskUuid: string): void;
  loop: Loop;
  /** Removes this process's registrations. */
  clear(): Promise<void>;
}

export function createTaskWatchRegistry(sql: Sql, logger: EngineLogger): TaskWatchRegistry {
  const watcherId = randomUUID();
  const active = new Map<string, { count: number; registered: Promise<boolean> }>();

  const loop = createLoop({
    name: 'task_watchers',
    intervalMs: REFRESH_MS,
    logger,
    run: async () => {
      // Nothing streamed here: no rows of ours to extend, and expired rows are ignored by writers
      // (notify_task_event checks expires_at); the next refresh with live streams deletes them.
      if (active.size === 0) return undefined;
      await refreshTaskWatchers(sql, watcherId, [...active.keys()], TTL_SECONDS);
      return undefined;
    },
  });

  return {
    watcherId,
    acquire(taskUuid) {
      const current = active.get(taskUuid);
      if (current !== undefined) {
        current.count += 1;
        return current.registered;
      }
      const registered = watchTask(sql, taskUuid, watcherId, TTL_SECONDS);
      const entry = { count: 1, registered };
      active.set(taskUuid, entry);
      registered.catch(() => {
        if (active.get(taskUuid) === entry) active.delete(taskUuid);
      });
      return registered;
    },
    release(taskUuid) {
      const current = active.get(taskUuid);
      if (current === undefined) return;
      current.count -= 1;
      if (current.count <= 0) active.delete(taskUuid);
    },
    loop,
    async clear() {
      active.clear();
      await deleteTaskWatchers(sql, watcherId).catch(() => undefined);
    },
  };
}

// tasker.task_watchers: which processes stream events of which tasks, so writers NOTIFY `tasker_events` only
// for watched tasks (migration functions watch_task and refresh_task_watchers). Rows expire after their TTL.
import type { Db } from './tasks.js';

/** Registers `watcherId`'s interest in the task (waits for in-flight writers of it); false when the task is gone. */
export async function watchTask(sql: Db, taskUuid: string, watcherId: string, ttlSeconds: number): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }[]>`SELECT tasker.watch_task(${taskUuid}, ${watcherId}, ${ttlSeconds}) AS ok`;
  return row?.ok === true;
}

/** Extends the watcher's rows of `taskUuids` by the TTL and removes every watcher's expired rows. */
export async function refreshTaskWatchers(
  sql: Db,
  watcherId: string,
  taskUuids: readonly string[],
  ttlSeconds: number,
): Promise<void> {
  await sql`SELECT tasker.refresh_task_watchers(${watcherId}, ${taskUuids as string[]}::uuid[], ${ttlSeconds})`;
}

export async function deleteTaskWatchers(sql: Db, watcherId: string): Promise<void> {
  await sql`DELETE FROM tasker.task_watchers WHERE watcher = ${watcherId}`;
}

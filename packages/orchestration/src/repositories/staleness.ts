// Staleness detection: one call into tasker.detect_stale_tasks (migration 0015).
import type { TaskState } from '@tasker/shared';
import type { Db } from './tasks.js';

export interface StaleTask {
  taskUuid: string;
  namespace: string;
  name: string;
  state: TaskState;
  minutesInState: number;
  taskAgeMinutes: number;
  thresholdMinutes: number;
  cause: 'time_in_state' | 'max_lifetime';
  /** false in a dry run. */
  moved: boolean;
}

export async function detectStaleTasks(
  sql: Db,
  args: {
    limit: number;
    dryRun: boolean;
    dependenciesMinutes: number;
    retryMinutes: number;
    inProcessMinutes: number;
    lifetimeHours: number;
  },
): Promise<StaleTask[]> {
  const rows = await sql<
    {
      task_uuid: string;
      namespace: string;
      name: string;
      state: TaskState;
      minutes_in_state: number;
      task_age_minutes: number;
      threshold_minutes: number;
      cause: StaleTask['cause'];
      moved: boolean;
    }[]
  >`SELECT * FROM tasker.detect_stale_tasks(${args.limit}, ${args.dryRun}, ${args.dependenciesMinutes},
      ${args.retryMinutes}, ${args.inProcessMinutes}, ${args.lifetimeHours})`;
  return rows.map((r) => ({
    taskUuid: r.task_uuid,
    namespace: r.namespace,
    name: r.name,
    state: r.state,
    minutesInState: r.minutes_in_state,
    taskAgeMinutes: r.task_age_minutes,
    thresholdMinutes: r.threshold_minutes,
    cause: r.cause,
    moved: r.moved,
  }));
}

// Staleness detection: one call into tasker.detect_stale_tasks (migration 0020).
import type { TaskState } from '@tasker/shared';
import type { Db } from './tasks.js';

/** What closing a stale task meant: entry + error, error without an entry, or an entry only (task left running). */
export type StaleTaskAction = 'dlq' | 'error' | 'entry_only';

export interface StaleTask {
  taskUuid: string;
  namespace: string;
  name: string;
  state: TaskState;
  minutesInState: number;
  /** Since the task's latest progress (events, live leases, retries still ahead); what its threshold measures. */
  minutesWithoutProgress: number;
  taskAgeMinutes: number;
  thresholdMinutes: number;
  cause: 'no_progress' | 'max_lifetime';
  /** From the template's lifecycle (staleness_action, auto_fail_on_timeout, auto_dlq_on_timeout). */
  action: StaleTaskAction;
  /** The task moved to error (false in a dry run and for `entry_only`). */
  moved: boolean;
  /** A DLQ entry staleness_timeout was opened (false in a dry run and for `error`). */
  entryOpened: boolean;
  /** Steps stopped with the task (running attempts ended as cancelled, enqueued and backing-off steps). */
  stepsStopped: number;
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
      minutes_without_progress: number;
      task_age_minutes: number;
      threshold_minutes: number;
      cause: StaleTask['cause'];
      action: StaleTaskAction;
      moved: boolean;
      entry_opened: boolean;
      steps_stopped: number;
    }[]
  >`SELECT * FROM tasker.detect_stale_tasks(${args.limit}, ${args.dryRun}, ${args.dependenciesMinutes},
      ${args.retryMinutes}, ${args.inProcessMinutes}, ${args.lifetimeHours})`;
  return rows.map((r) => ({
    taskUuid: r.task_uuid,
    namespace: r.namespace,
    name: r.name,
    state: r.state,
    minutesInState: r.minutes_in_state,
    minutesWithoutProgress: r.minutes_without_progress,
    taskAgeMinutes: r.task_age_minutes,
    thresholdMinutes: r.threshold_minutes,
    cause: r.cause,
    action: r.action,
    moved: r.moved,
    entryOpened: r.entry_opened,
    stepsStopped: r.steps_stopped,
  }));
}

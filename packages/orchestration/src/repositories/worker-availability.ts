// The worker_unavailable detector: one call into tasker.detect_worker_unavailable (migration 0022).
import type { TaskState } from '@tasker/shared';
import type { Db } from './tasks.js';

export interface WorkerUnavailableFinding {
  /** opened: a new worker_unavailable entry; closed: an open one whose condition is gone (as cancelled). */
  action: 'opened' | 'closed';
  taskUuid: string;
  namespace: string;
  name: string;
  state: TaskState;
  /** Enqueued steps of the task (opened only). */
  stepsWaiting: number | null;
  /** Since when the task's oldest enqueued step has had no live worker (opened only). */
  waitingSince: Date | null;
  /** When a worker of the namespace was last seen; null = never. */
  lastWorkerSeenAt: Date | null;
  dlqEntryUuid: string | null;
  notes: string;
  /** false in a dry run, or when another writer got there first. */
  applied: boolean;
}

export async function detectWorkerUnavailable(
  sql: Db,
  args: { afterSeconds: number; livenessSeconds: number; limit: number; dryRun: boolean },
): Promise<WorkerUnavailableFinding[]> {
  const rows = await sql<
    {
      action: WorkerUnavailableFinding['action'];
      task_uuid: string;
      namespace: string;
      name: string;
      state: TaskState;
      steps_waiting: number | null;
      waiting_since: Date | null;
      last_worker_seen_at: Date | null;
      dlq_entry_uuid: string | null;
      notes: string;
      applied: boolean;
    }[]
  >`SELECT * FROM tasker.detect_worker_unavailable(${args.afterSeconds}, ${args.livenessSeconds}, ${args.limit}, ${args.dryRun})`;
  return rows.map((r) => ({
    action: r.action,
    taskUuid: r.task_uuid,
    namespace: r.namespace,
    name: r.name,
    state: r.state,
    stepsWaiting: r.steps_waiting,
    waitingSince: r.waiting_since,
    lastWorkerSeenAt: r.last_worker_seen_at,
    dlqEntryUuid: r.dlq_entry_uuid,
    notes: r.notes,
    applied: r.applied,
  }));
}

// The engine pulse: one statement per pulse interval tells the replica everything its idle loops would
// otherwise poll for. Each part walks a small partial index: in-progress steps (steps_dispatched_idx, as many
// as workers run), the earliest backoff (steps_retry_due_idx), the earliest delayed start (tasks_pending_run_at_idx)
// and the enqueued steps per namespace
// (steps_claim_idx, leading column namespace).
import type { Db } from './tasks.js';

export interface EnginePulse {
  /** Earliest lease of an in-progress step, on any replica. */
  nextLeaseExpiry: Date | null;
  /** Earliest next_retry_at of a step in backoff. */
  nextRetryAt: Date | null;
  /** Earliest run_at of a task waiting for its start time. */
  nextRunAt: Date | null;
  /** Unclaimed ready steps by namespace (namespaces with none are absent). */
  queueDepth: Record<string, number>;
  /** Earliest next_fire_at of an unpaused schedule; now while one holds a buffered firing (schedules_due_idx). */
  nextScheduleAt: Date | null;
}

export async function readEnginePulse(sql: Db): Promise<EnginePulse> {
  const [row] = await sql<
    {
      next_lease_expiry: Date | null;
      next_retry_at: Date | null;
      next_run_at: Date | null;
      queue_depth: Record<string, number>;
      next_schedule_at: Date | null;
    }[]
  >`
    SELECT
      (SELECT min(lease_expires_at) FROM tasker.steps WHERE state = 'in_progress') AS next_lease_expiry,
      (SELECT min(next_retry_at) FROM tasker.steps WHERE state = 'waiting_for_retry') AS next_retry_at,
      (SELECT min(run_at) FROM tasker.tasks WHERE state = 'pending') AS next_run_at,
      (SELECT coalesce(jsonb_object_agg(q.namespace, q.n), '{}'::jsonb)
         FROM (SELECT namespace, count(*)::int AS n FROM tasker.steps WHERE state = 'enqueued' GROUP BY namespace) q) AS queue_depth,
      (SELECT min(least(next_fire_at, CASE WHEN buffered_fire_at IS NOT NULL THEN now() END))
         FROM tasker.schedules WHERE NOT paused) AS next_schedule_at`;
  return {
    nextLeaseExpiry: row?.next_lease_expiry ?? null,
    nextRetryAt: row?.next_retry_at ?? null,
    nextRunAt: row?.next_run_at ?? null,
    queueDepth: row?.queue_depth ?? {},
    nextScheduleAt: row?.next_schedule_at ?? null,
  };
}

-- Lean history, part 1 of 3: the tables. The rule (docs/engine.md, "History"): every state a task or step
-- RESTS in is recorded, with every attempt and every operator action; a state passed through inside one
-- transaction is part of the event that records where it came to rest, and the event names the path
-- (`complete_result>complete`, `step_completed>all_steps_successful`). A task whose resting state does not
-- change writes no task transition.
--
-- Where each event lives:
--   task_transitions  every task event (one row per resting-state change)
--   step_transitions  step events outside the dispatch cycle: creation of non-root steps, operator actions,
--                     cancellation of steps not running; and (before this migration) everything
--   step_attempts     one row per FINISHED attempt, written when it ends; it carries the three events of its
--                     dispatch cycle: the enqueue that made it claimable (when recorded here), the claim, and
--                     the finish (`complete_result>complete`, `fail_result>wait_for_retry`, `release`, …)
--   steps             the cycle in flight: enqueue_event_id / claim_event_id of a step now enqueued or running
-- tasker.step_events (part 3) is the one view over all of it. A completed step of a linear task therefore
-- writes its step row twice (claim, result), one attempt row, its child's row and the task row (counters, HOT).

-- Task counters: enqueued and running steps share one counter (steps_active). A claim then leaves the task
-- row alone; the split, where a reader wants it, is counted from the steps (repositories/tasks.ts). The two
-- *_for_orchestration states are only passed through now, so nothing rests in them to count.
ALTER TABLE tasker.tasks
  DROP CONSTRAINT tasks_step_counts_nonnegative,
  DROP CONSTRAINT tasks_step_counts_sum,
  ADD COLUMN steps_active integer NOT NULL DEFAULT 0;
UPDATE tasker.tasks SET steps_active = steps_enqueued + steps_in_progress + steps_enqueued_for_orchestration
                                       + steps_enqueued_as_error_for_orchestration
WHERE steps_enqueued + steps_in_progress + steps_enqueued_for_orchestration + steps_enqueued_as_error_for_orchestration > 0;
-- last_event_id went with every event; claims no longer touch the task row, so it could not stay true.
ALTER TABLE tasker.tasks
  DROP COLUMN steps_enqueued,
  DROP COLUMN steps_in_progress,
  DROP COLUMN steps_enqueued_for_orchestration,
  DROP COLUMN steps_enqueued_as_error_for_orchestration,
  DROP COLUMN last_event_id,
  ADD CONSTRAINT tasks_step_counts_nonnegative CHECK (
    steps_total >= 0 AND steps_pending >= 0 AND steps_active >= 0 AND steps_waiting_for_retry >= 0
    AND steps_complete >= 0 AND steps_error >= 0 AND steps_cancelled >= 0 AND steps_resolved_manually >= 0),
  ADD CONSTRAINT tasks_step_counts_sum CHECK (
    steps_pending + steps_active + steps_waiting_for_retry + steps_complete + steps_error + steps_cancelled
    + steps_resolved_manually = steps_total);

-- Steps: the dispatch cycle in flight, and indexes that let heartbeats be HOT updates (nothing indexed changes
-- when only lease_expires_at does). The lease sweeper and event replay find dispatched steps through one small
-- partial index; lease_expires_at itself is no longer indexed.
ALTER TABLE tasker.steps
  ADD COLUMN enqueue_event_id bigint,
  -- Where the step came from into enqueued: NULL = created enqueued (a root), pending, waiting_for_retry.
  ADD COLUMN enqueue_from text CONSTRAINT steps_enqueue_from_check CHECK (enqueue_from IN ('pending', 'waiting_for_retry')),
  ADD COLUMN claim_event_id bigint,
  ADD CONSTRAINT steps_cycle_events_check CHECK (
    (enqueue_event_id IS NULL OR state IN ('enqueued', 'in_progress'))
    AND (claim_event_id IS NULL OR state = 'in_progress')
    AND (enqueue_from IS NULL OR enqueue_event_id IS NOT NULL));
DROP INDEX tasker.steps_lease_expiry_idx;
CREATE INDEX steps_dispatched_idx ON tasker.steps (state, task_uuid) WHERE state IN ('enqueued', 'in_progress');
-- Heartbeats and counter-free updates stay on their page.
ALTER TABLE tasker.steps SET (fillfactor = 85);

-- Attempts are written when they end. A running attempt is the step row itself (lease_token, leased_by,
-- last_attempted_at = claimed_at, claim_event_id), so open attempt rows of older versions go: their claim is
-- already in step_transitions and the lease on the step.
DELETE FROM tasker.step_attempts WHERE finished_at IS NULL;
DROP INDEX tasker.step_attempts_one_open_per_step;
ALTER TABLE tasker.step_attempts
  ALTER COLUMN finished_at SET NOT NULL,
  ALTER COLUMN outcome SET NOT NULL,
  DROP CONSTRAINT step_attempts_finished_check,
  -- Where the attempt left the step, and the path that took it there from in_progress.
  ADD COLUMN to_state text CONSTRAINT step_attempts_to_state_check CHECK (to_state IN (
    'enqueued', 'waiting_for_retry', 'complete', 'error', 'cancelled')),
  ADD COLUMN finish_event text,
  ADD COLUMN finished_by text,
  ADD COLUMN metadata jsonb CONSTRAINT step_attempts_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  -- The backoff a failed attempt was given before its step may run again.
  ADD COLUMN retry_delay_ms bigint CONSTRAINT step_attempts_retry_delay_ms_check CHECK (retry_delay_ms >= 0),
  ADD COLUMN enqueue_event_id bigint,
  ADD COLUMN enqueue_from text CONSTRAINT step_attempts_enqueue_from_check CHECK (enqueue_from IN ('pending', 'waiting_for_retry')),
  ADD COLUMN enqueued_at timestamptz,
  ADD COLUMN claim_event_id bigint,
  ADD COLUMN finish_event_id bigint,
  -- Rows of this version carry their events; older rows (finish_event_id NULL) have theirs in step_transitions.
  ADD CONSTRAINT step_attempts_events_check CHECK (
    finish_event_id IS NULL
    OR (to_state IS NOT NULL AND finish_event IS NOT NULL
        AND (claim_event_id IS NULL OR claim_event_id < finish_event_id)
        AND (enqueue_event_id IS NULL OR enqueue_event_id < coalesce(claim_event_id, finish_event_id))));
-- Event replay of a task: every attempt holding an event after the cursor (its events are ≤ finish_event_id).
-- Also the one index for a task's or a step's attempts (audit, analytics): a task's attempts are few, so
-- (task_uuid, step_uuid, claimed_at) is not worth a second index entry per attempt.
CREATE INDEX step_attempts_events_idx ON tasker.step_attempts (task_uuid, finish_event_id);
DROP INDEX tasker.step_attempts_step_idx;
-- A step's own transitions are found within its task's (primary key (task_uuid, event_id)): one index entry
-- fewer per transition.
DROP INDEX tasker.step_transitions_step_idx;

-- Events may name a path: steps joined by '>' (e.g. create>start>ready_steps_found>steps_enqueued).
ALTER TABLE tasker.task_transitions
  DROP CONSTRAINT task_transitions_event_check,
  ADD CONSTRAINT task_transitions_event_check CHECK (event ~ '^[a-z][a-z0-9_]*(>[a-z][a-z0-9_]*)*$');
ALTER TABLE tasker.step_transitions
  DROP CONSTRAINT step_transitions_event_check,
  ADD CONSTRAINT step_transitions_event_check CHECK (event ~ '^[a-z][a-z0-9_]*(>[a-z][a-z0-9_]*)*$');

-- Staleness measures lack of progress, never a long step (docs/engine.md, "Staleness"). A task's staleness
-- clock runs from its latest progress: a task event (state change, step result, enqueue: state_entered_at and
-- updated_at of the task row), a step claimed or released (the step's updated_at), a lease still live within
-- its step's timeout (heartbeats extend it: progress lasts until the lease ends), a retry whose next_retry_at is
-- still ahead. The maximum lifetime stays an absolute cap. A task closed as stale stops what runs under it in
-- the same transaction, and its template's lifecycle chooses what closing means (staleness_action,
-- auto_fail_on_timeout, auto_dlq_on_timeout). Nothing here is indexed or written by heartbeats: they stay HOT.

-- ---------------------------------------------------------------------------------------------------------
-- The step machine: the detector closing a stale task stops every step that could still run. They go to error
-- (not cancelled, which is terminal) so the operator's way back stays the documented one: reset the step,
-- resume the task. A running step's attempt ends with outcome `cancelled`, so its worker's heartbeat answers
-- `cancelled` and a late result is refused as cancelled. Same rows as packages/shared/src/domain/step-machine.ts.
CREATE OR REPLACE FUNCTION tasker.step_next_state(p_from text, p_event text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN CASE p_from || '/' || p_event
    WHEN 'pending/enqueue' THEN 'enqueued'
    WHEN 'pending/cancel' THEN 'cancelled'
    WHEN 'pending/resolve_manually' THEN 'resolved_manually'
    WHEN 'pending/complete_manually' THEN 'complete'
    WHEN 'enqueued/claim' THEN 'in_progress'
    WHEN 'enqueued/cancel' THEN 'cancelled'
    WHEN 'enqueued/resolve_manually' THEN 'resolved_manually'
    WHEN 'enqueued/complete_manually' THEN 'complete'
    WHEN 'enqueued/staleness_timeout' THEN 'error'
    WHEN 'in_progress/complete_result' THEN 'enqueued_for_orchestration'
    WHEN 'in_progress/fail_result' THEN 'enqueued_as_error_for_orchestration'
    WHEN 'in_progress/lease_expired' THEN 'enqueued_as_error_for_orchestration'
    WHEN 'in_progress/release' THEN 'enqueued'
    WHEN 'in_progress/cancel' THEN 'cancelled'
    WHEN 'in_progress/staleness_timeout' THEN 'error'
    WHEN 'enqueued_for_orchestration/complete' THEN 'complete'
    WHEN 'enqueued_for_orchestration/cancel' THEN 'cancelled'
    WHEN 'enqueued_as_error_for_orchestration/wait_for_retry' THEN 'waiting_for_retry'
    WHEN 'enqueued_as_error_for_orchestration/fail' THEN 'error'
    WHEN 'enqueued_as_error_for_orchestration/cancel' THEN 'cancelled'
    WHEN 'waiting_for_retry/retry' THEN 'enqueued'
    WHEN 'waiting_for_retry/cancel' THEN 'cancelled'
    WHEN 'waiting_for_retry/resolve_manually' THEN 'resolved_manually'
    WHEN 'waiting_for_retry/complete_manually' THEN 'complete'
    WHEN 'waiting_for_retry/staleness_timeout' THEN 'error'
    WHEN 'error/cancel' THEN 'cancelled'
    WHEN 'error/reset_for_retry' THEN 'pending'
    WHEN 'error/resolve_manually' THEN 'resolved_manually'
    WHEN 'error/complete_manually' THEN 'complete'
  END;
END $$;

-- An attempt the detector stops is `cancelled` and leaves its step in error. NOT VALID: every existing row
-- satisfied the stricter constraint this one replaces, so there is nothing to re-check in a large table.
ALTER TABLE tasker.step_attempts
  DROP CONSTRAINT step_attempts_machine_check,
  ADD CONSTRAINT step_attempts_machine_check CHECK (
    finish_event_id IS NULL OR (
      tasker.step_transition_allowed('in_progress', finish_event, to_state)
      AND CASE outcome
        WHEN 'completed' THEN to_state = 'complete'
        WHEN 'failed' THEN to_state IN ('waiting_for_retry', 'error')
        WHEN 'lease_expired' THEN to_state IN ('waiting_for_retry', 'error')
        WHEN 'cancelled' THEN to_state IN ('cancelled', 'error')
        WHEN 'released' THEN to_state = 'enqueued'
      END)) NOT VALID;

-- ---------------------------------------------------------------------------------------------------------
-- Progress.

-- The latest progress one step shows by itself, or NULL (pending and finished steps show none): a running step
-- progresses until its lease ends (never past its timeout), a step in backoff until its retry is due, and a
-- claim, release or enqueue is progress when it happens (updated_at). One expression: inlined by the planner.
CREATE FUNCTION tasker.step_progress_at(
  p_state text, p_updated_at timestamptz, p_lease_expires_at timestamptz, p_next_retry_at timestamptz,
  p_last_attempted_at timestamptz, p_timeout_seconds integer) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE p_state
    WHEN 'in_progress' THEN greatest(p_updated_at, CASE WHEN p_timeout_seconds IS NULL THEN p_lease_expires_at
                                     ELSE least(p_lease_expires_at, p_last_attempted_at + p_timeout_seconds * interval '1 second') END)
    WHEN 'waiting_for_retry' THEN greatest(p_updated_at, p_next_retry_at)
    WHEN 'enqueued' THEN p_updated_at
  END
$$;

-- The latest progress of a task: its own latest event (state_entered_at, updated_at: every state change, step
-- result and counter change writes the row) or the latest progress of a step that could run. May lie in the
-- future (a live lease, a retry not yet due). Shared by the detector and the staleness monitoring.
CREATE FUNCTION tasker.task_progress_at(p_task uuid) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT greatest(t.state_entered_at, t.updated_at, (
             SELECT max(tasker.step_progress_at(s.state, s.updated_at, s.lease_expires_at, s.next_retry_at,
                                                s.last_attempted_at, s.timeout_seconds))
             FROM tasker.steps s
             WHERE s.task_uuid = p_task AND s.state IN ('enqueued', 'in_progress', 'waiting_for_retry')))
    FROM tasker.tasks t WHERE t.task_uuid = p_task);
END $$;

COMMENT ON FUNCTION tasker.task_progress_at(uuid) IS
  'Latest progress of a task (its events, live leases, retries still ahead); the staleness clock runs from it.';

-- ---------------------------------------------------------------------------------------------------------
-- What closing means, from the template's stored lifecycle (snake_case keys as in template YAML, or the
-- camelCase of the normalised domain object, like tasker.lifecycle_override_minutes). Mirrors stalenessEffectOf
-- in packages/shared/src/domain/staleness.ts: staleness_action decides when given (dlq: entry, and error unless
-- auto_fail_on_timeout is false; error: error only; none: nothing); without it each flag defaults to true.

CREATE FUNCTION tasker.lifecycle_flag(p_definition jsonb, p_key text, p_camel_key text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(coalesce(p_definition -> 'lifecycle' -> p_key, p_definition -> 'lifecycle' -> p_camel_key)) = 'boolean'
    THEN (coalesce(p_definition -> 'lifecycle' -> p_key, p_definition -> 'lifecycle' -> p_camel_key))::boolean
  END
$$;

CREATE FUNCTION tasker.lifecycle_staleness_action(p_definition jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(coalesce(p_definition -> 'lifecycle' -> 'staleness_action', p_definition -> 'lifecycle' -> 'stalenessAction')) = 'string'
    THEN coalesce(p_definition -> 'lifecycle' -> 'staleness_action', p_definition -> 'lifecycle' -> 'stalenessAction') #>> '{}'
  END
$$;

-- Whether a stale task of this template is moved to error (stopping its steps).
CREATE FUNCTION tasker.staleness_fails_task(p_definition jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE tasker.lifecycle_staleness_action(p_definition)
    WHEN 'none' THEN false
    WHEN 'error' THEN true
    ELSE coalesce(tasker.lifecycle_flag(p_definition, 'auto_fail_on_timeout', 'autoFailOnTimeout'), true)
  END
$$;

-- Whether a stale task of this template gets a DLQ entry staleness_timeout.
CREATE FUNCTION tasker.staleness_opens_entry(p_definition jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE tasker.lifecycle_staleness_action(p_definition)
    WHEN 'none' THEN false
    WHEN 'error' THEN false
    WHEN 'dlq' THEN true
    ELSE coalesce(tasker.lifecycle_flag(p_definition, 'auto_dlq_on_timeout', 'autoDlqOnTimeout'), true)
  END
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Detection. Candidates: unfinished tasks resting in a watched state without a pending DLQ entry, whose template
-- acts on staleness, that are older than their maximum lifetime, or have shown no progress for their state's
-- threshold (time in state ≥ threshold first: the index, then progress for those only). Each is locked (SKIP
-- LOCKED; replicas are safe). Closing one (the action fails the task): its steps that could still run are
-- locked too — SKIP LOCKED, and a task with one held elsewhere (a claim, a heartbeat, a result in flight: work
-- happening) is left for the next round — progress is measured again under those locks, then, in this
-- transaction: the DLQ entry (if the action opens one; snapshot taken before anything moves), each running
-- attempt ended as `cancelled` (event staleness_timeout → error), each enqueued or backing-off step moved to
-- error, the counters, and the task's own transition last (a watcher's stream ends at it). An action that only
-- opens an entry leaves the task and its steps alone. A dry run reports and writes nothing.
--   action: dlq (entry + error), error (error, no entry), entry_only (entry, the task keeps running).
DROP FUNCTION tasker.detect_stale_tasks(integer, boolean, integer, integer, integer, integer);

CREATE FUNCTION tasker.detect_stale_tasks(
  p_limit integer, p_dry_run boolean, p_dependencies_minutes integer, p_retry_minutes integer,
  p_in_process_minutes integer, p_lifetime_hours integer)
RETURNS TABLE (
  task_uuid uuid, namespace text, name text, state text, minutes_in_state double precision,
  minutes_without_progress double precision, task_age_minutes double precision, threshold_minutes double precision,
  cause text, action text, moved boolean, entry_opened boolean, steps_stopped integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  s tasker.steps;
  v_progress timestamptz;
  v_quiet double precision;
  v_ids uuid[];
  v_reason text;
  v_error jsonb;
  v_inserted integer;
  c_running constant text[] := ARRAY['enqueued', 'in_progress', 'waiting_for_retry'];
BEGIN
  FOR r IN
    SELECT t.task_uuid AS tid, t.namespace AS ns, t.name AS tname, t.state AS st,
           extract(epoch FROM now() - t.state_entered_at) / 60 AS in_state,
           extract(epoch FROM now() - t.created_at) / 60 AS age,
           lim.state_limit, lim.age_limit, lim.fails, lim.entry
    FROM tasker.tasks t
    JOIN tasker.templates tp ON tp.template_uuid = t.template_uuid
    CROSS JOIN LATERAL (
      SELECT tasker.staleness_threshold_minutes(t.state, tp.definition, p_dependencies_minutes, p_retry_minutes,
                                                p_in_process_minutes) AS state_limit,
             tasker.task_max_lifetime_minutes(tp.definition, p_lifetime_hours) AS age_limit,
             tasker.staleness_fails_task(tp.definition) AS fails,
             tasker.staleness_opens_entry(tp.definition) AS entry
    ) lim
    WHERE t.state IN ('waiting_for_dependencies', 'waiting_for_retry', 'steps_in_process')
      AND (lim.fails OR lim.entry)
      AND (t.created_at <= now() - lim.age_limit * interval '1 minute'
           OR (t.state_entered_at <= now() - lim.state_limit * interval '1 minute'
               AND tasker.task_progress_at(t.task_uuid) <= now() - lim.state_limit * interval '1 minute'))
      AND NOT EXISTS (SELECT 1 FROM tasker.dlq_entries d
                      WHERE d.task_uuid = t.task_uuid AND d.resolution_status = 'pending')
    ORDER BY t.state_entered_at
    LIMIT p_limit
    FOR UPDATE OF t SKIP LOCKED
  LOOP
    v_ids := '{}';
    IF r.fails AND NOT p_dry_run THEN
      v_ids := ARRAY(SELECT x.step_uuid FROM tasker.steps x
                     WHERE x.task_uuid = r.tid AND x.state = ANY (c_running)
                     ORDER BY x.step_uuid FOR UPDATE SKIP LOCKED);
      CONTINUE WHEN cardinality(v_ids) <> (SELECT count(*) FROM tasker.steps x
                                           WHERE x.task_uuid = r.tid AND x.state = ANY (c_running));
    END IF;
    -- Measured again now that the task (and its running steps) are ours: a heartbeat or result that committed
    -- since the candidates were read counts.
    v_progress := tasker.task_progress_at(r.tid);
    v_quiet := greatest(extract(epoch FROM now() - v_progress) / 60, 0);
    CONTINUE WHEN v_quiet < r.state_limit AND r.age < r.age_limit;

    task_uuid := r.tid;
    namespace := r.ns;
    name := r.tname;
    state := r.st;
    minutes_in_state := r.in_state;
    minutes_without_progress := v_quiet;
    task_age_minutes := r.age;
    cause := CASE WHEN v_quiet >= r.state_limit THEN 'no_progress' ELSE 'max_lifetime' END;
    threshold_minutes := CASE WHEN cause = 'no_progress' THEN r.state_limit ELSE r.age_limit END;
    action := CASE WHEN r.fails AND r.entry THEN 'dlq' WHEN r.fails THEN 'error' ELSE 'entry_only' END;
    moved := false;
    entry_opened := false;
    steps_stopped := 0;
    IF NOT p_dry_run THEN
      v_reason := CASE WHEN cause = 'no_progress'
                    THEN format('no progress for %s min in %s (limit %s min)', round(v_quiet::numeric, 1), r.st, threshold_minutes)
                    ELSE format('alive for %s min (limit %s min)', round(r.age::numeric, 1), threshold_minutes) END;
      IF r.entry THEN
        INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, task_snapshot)
        VALUES (r.tid, r.st, 'staleness_timeout', tasker.task_snapshot(r.tid, jsonb_build_object('staleness', jsonb_build_object(
                  'state', r.st, 'cause', cause, 'action', action, 'minutes_in_state', round(r.in_state::numeric, 2),
                  'minutes_without_progress', round(v_quiet::numeric, 2), 'last_progress_at', v_progress,
                  'task_age_minutes', round(r.age::numeric, 2), 'threshold_minutes', threshold_minutes,
                  'detected_at', now()))))
        ON CONFLICT (task_uuid) WHERE resolution_status = 'pending' DO NOTHING;
        GET DIAGNOSTICS v_inserted = ROW_COUNT;
        entry_opened := v_inserted > 0;
        -- Entry only, and another replica opened it first: nothing left to do or report.
        CONTINUE WHEN NOT r.fails AND NOT entry_opened;
      END IF;
      IF r.fails THEN
        v_error := jsonb_build_object('message', 'stopped: the staleness detector closed the task (' || v_reason || ')',
                                      'error_type', 'staleness_timeout', 'retryable', false, 'status_code', NULL);
        FOR s IN SELECT * FROM tasker.steps x WHERE x.step_uuid = ANY (v_ids) ORDER BY x.step_uuid LOOP
          IF s.state = 'in_progress' THEN
            PERFORM tasker.record_attempt(s, 'cancelled', 'staleness_timeout', 'error', 'staleness_detector', NULL, v_error);
          ELSE
            PERFORM tasker.flush_enqueue_event(s);
            PERFORM tasker.insert_step_transition(r.tid, s.step_uuid, s.state, 'error', 'staleness_timeout', s.attempts,
                                                  'staleness_detector', v_reason);
          END IF;
        END LOOP;
        UPDATE tasker.steps x SET state = 'error', last_error = v_error, last_failure_at = now(), lease_token = NULL,
                                  lease_expires_at = NULL, leased_by = NULL, next_retry_at = NULL,
                                  enqueue_event_id = NULL, enqueue_from = NULL, claim_event_id = NULL, updated_at = now()
        WHERE x.step_uuid = ANY (v_ids);
        steps_stopped := cardinality(v_ids);
        -- The task's own transition last: a watcher's stream ends at it, after every step event.
        PERFORM tasker.insert_task_transition(r.tid, r.st, 'error', 'staleness_timeout', 'staleness_detector', v_reason,
                  jsonb_build_object('cause', cause, 'threshold_minutes', threshold_minutes, 'steps_stopped', steps_stopped,
                                     'dlq_entry', entry_opened));
        -- Every step that could run was stopped: none is active or backing off any more.
        UPDATE tasker.tasks x SET state = 'error', state_entered_at = now(), completed_at = now(), updated_at = now(),
                                  steps_error = x.steps_error + x.steps_active + x.steps_waiting_for_retry,
                                  steps_active = 0, steps_waiting_for_retry = 0
        WHERE x.task_uuid = r.tid;
        PERFORM tasker.notify_task_event(r.tid);
        moved := true;
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;

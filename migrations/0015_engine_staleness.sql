-- Engine: staleness detection (domain.md §8). A task resting in waiting_for_dependencies, waiting_for_retry or
-- steps_in_process longer than its threshold, or older than its maximum lifetime, gets a DLQ entry
-- `staleness_timeout` and moves to error (resumable by an operator). Thresholds come from config, overridden
-- per template by `lifecycle` (tasker.staleness_threshold_minutes, shared with the monitoring query). SKIP LOCKED and the one-pending-entry
-- index make concurrent runs on several replicas safe; a dry run only reports.
CREATE FUNCTION tasker.detect_stale_tasks(
  p_limit integer, p_dry_run boolean, p_dependencies_minutes integer, p_retry_minutes integer,
  p_in_process_minutes integer, p_lifetime_hours integer)
RETURNS TABLE (
  task_uuid uuid, namespace text, name text, state text, minutes_in_state double precision,
  task_age_minutes double precision, threshold_minutes double precision, cause text, moved boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  v_last bigint;
BEGIN
  FOR r IN
    SELECT t.task_uuid AS tid, t.namespace AS ns, t.name AS tname, t.state AS st,
           extract(epoch FROM now() - t.state_entered_at) / 60 AS in_state,
           extract(epoch FROM now() - t.created_at) / 60 AS age,
           lim.state_limit, lim.age_limit
    FROM tasker.tasks t
    JOIN tasker.templates tp ON tp.template_uuid = t.template_uuid
    CROSS JOIN LATERAL (
      SELECT tasker.staleness_threshold_minutes(t.state, tp.definition, p_dependencies_minutes, p_retry_minutes,
                                                p_in_process_minutes) AS state_limit,
             tasker.task_max_lifetime_minutes(tp.definition, p_lifetime_hours) AS age_limit
    ) lim
    WHERE t.state IN ('waiting_for_dependencies', 'waiting_for_retry', 'steps_in_process')
      AND (t.state_entered_at <= now() - lim.state_limit * interval '1 minute'
           OR t.created_at <= now() - lim.age_limit * interval '1 minute')
      AND NOT EXISTS (SELECT 1 FROM tasker.dlq_entries d
                      WHERE d.task_uuid = t.task_uuid AND d.resolution_status = 'pending')
    ORDER BY t.state_entered_at
    LIMIT p_limit
    FOR UPDATE OF t SKIP LOCKED
  LOOP
    task_uuid := r.tid;
    namespace := r.ns;
    name := r.tname;
    state := r.st;
    minutes_in_state := r.in_state;
    task_age_minutes := r.age;
    cause := CASE WHEN r.in_state >= r.state_limit THEN 'time_in_state' ELSE 'max_lifetime' END;
    threshold_minutes := CASE WHEN cause = 'time_in_state' THEN r.state_limit ELSE r.age_limit END;
    moved := false;
    IF NOT p_dry_run THEN
      INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, task_snapshot)
      VALUES (r.tid, r.st, 'staleness_timeout', tasker.task_snapshot(r.tid, jsonb_build_object('staleness', jsonb_build_object(
                'state', r.st, 'cause', cause, 'minutes_in_state', round(r.in_state::numeric, 2),
                'task_age_minutes', round(r.age::numeric, 2), 'threshold_minutes', threshold_minutes,
                'detected_at', now()))))
      ON CONFLICT (task_uuid) WHERE resolution_status = 'pending' DO NOTHING;
      v_last := tasker.insert_task_transition(r.tid, r.st, 'error', 'staleness_timeout', 'staleness_detector',
                  format('%s for %s min (limit %s min)',
                         CASE WHEN cause = 'time_in_state' THEN r.st ELSE 'alive' END,
                         round(CASE WHEN cause = 'time_in_state' THEN r.in_state ELSE r.age END::numeric, 1),
                         threshold_minutes),
                  jsonb_build_object('cause', cause, 'threshold_minutes', threshold_minutes));
      UPDATE tasker.tasks x SET state = 'error', state_entered_at = now(), completed_at = now(),
                                last_event_id = v_last, updated_at = now()
      WHERE x.task_uuid = r.tid;
      PERFORM tasker.notify_task_event(r.tid);
      moved := true;
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;

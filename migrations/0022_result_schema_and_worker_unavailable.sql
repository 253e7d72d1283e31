-- DLQ reason worker_unavailable: tasks whose enqueued steps have waited too long in a namespace no live worker
-- serves get an investigation entry (the task itself is not changed), closed again by the detector once the
-- condition is gone. result_schema enforcement (the other half of this change) needs no SQL: a violating
-- result reaches report_results as an ordinary non-retryable failure.

-- Open worker_unavailable entries, oldest first: what the detector re-examines every round.
CREATE INDEX dlq_entries_open_worker_unavailable_idx ON tasker.dlq_entries (dlq_timestamp)
  WHERE resolution_status = 'pending' AND reason = 'worker_unavailable';

-- A task that gives up while its worker_unavailable entry is still open (a worker came back, ran a step that
-- failed for good, before the detector's next round closed the entry) must not lose its max_retries_exceeded
-- entry to the one-open-entry-per-task index: the worker_unavailable entry is closed first, as superseded.
CREATE OR REPLACE FUNCTION tasker.open_give_up_entry(p_task uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tasker.dlq_entries d
  SET resolution_status = 'cancelled', resolution_timestamp = now(), resolved_by = 'engine',
      resolution_notes = 'superseded: the task gave up (max_retries_exceeded)', updated_at = now()
  WHERE d.task_uuid = p_task AND d.resolution_status = 'pending' AND d.reason = 'worker_unavailable';
  INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, task_snapshot)
  VALUES (p_task, 'blocked_by_failures', 'max_retries_exceeded', tasker.task_snapshot(p_task))
  ON CONFLICT (task_uuid) WHERE resolution_status = 'pending' DO NOTHING;
END $$;

-- When a worker serving p_namespace was last seen (NULL = never). A worker registered with no namespaces
-- claims from every namespace, so it serves this one too. The registry is small: one row per worker id.
CREATE FUNCTION tasker.namespace_last_served_at(p_namespace text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT max(w.last_seen_at) FROM tasker.workers w WHERE w.namespaces = '{}' OR p_namespace = ANY (w.namespaces)
$$;

-- One round of the worker_unavailable detector (engine/background.ts). First closes open worker_unavailable
-- entries whose condition is gone (a worker of the namespace is live again, or the task no longer has an
-- enqueued step) as `cancelled`; then opens one entry per task that has a step enqueued for at least
-- p_after_seconds in a namespace whose workers were all last live (seen within p_liveness_seconds) at least
-- p_after_seconds ago — the step has waited that long with nobody to claim it. A namespace with a live worker,
-- however busy, opens nothing. Tasks are taken FOR NO KEY UPDATE SKIP LOCKED (another replica's round, or a
-- writer, holds them: the next round sees them), entries FOR UPDATE SKIP LOCKED, at most p_limit of each; the
-- one-open-entry-per-task index keeps a task at one entry whatever runs at once. Cheap when nothing waits: the
-- skip scan of namespaces with enqueued steps plus the partial index of open worker_unavailable entries.
-- p_dry_run reports the same rows and writes nothing.
CREATE FUNCTION tasker.detect_worker_unavailable(
  p_after_seconds integer, p_liveness_seconds integer, p_limit integer, p_dry_run boolean)
RETURNS TABLE (
  action text, task_uuid uuid, namespace text, name text, state text, steps_waiting integer,
  waiting_since timestamptz, last_worker_seen_at timestamptz, dlq_entry_uuid uuid, notes text, applied boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  v_terminal constant text[] := ARRAY['complete', 'error', 'cancelled', 'resolved_manually'];
BEGIN
  FOR r IN
    SELECT d.dlq_entry_uuid AS eid, t.task_uuid AS tid, t.namespace AS ns, t.name AS tname, t.state AS st,
           lw.seen, t.state = ANY (v_terminal) AS ended,
           lw.seen > now() - make_interval(secs => p_liveness_seconds) AS served
    FROM tasker.dlq_entries d
    JOIN tasker.tasks t ON t.task_uuid = d.task_uuid
    CROSS JOIN LATERAL (SELECT tasker.namespace_last_served_at(t.namespace) AS seen) lw
    WHERE d.resolution_status = 'pending' AND d.reason = 'worker_unavailable'
      AND (lw.seen > now() - make_interval(secs => p_liveness_seconds)
           OR t.state = ANY (v_terminal)
           OR NOT EXISTS (SELECT 1 FROM tasker.steps s WHERE s.task_uuid = t.task_uuid AND s.state = 'enqueued'))
    ORDER BY d.dlq_timestamp
    LIMIT p_limit
    FOR UPDATE OF d SKIP LOCKED
  LOOP
    action := 'closed';
    task_uuid := r.tid;
    namespace := r.ns;
    name := r.tname;
    state := r.st;
    steps_waiting := NULL;
    waiting_since := NULL;
    last_worker_seen_at := r.seen;
    dlq_entry_uuid := r.eid;
    notes := CASE WHEN r.served THEN 'a worker became available'
                  WHEN r.ended THEN format('the task ended (%s)', r.st)
                  ELSE format('the task no longer waits for a worker (%s)', r.st) END;
    applied := false;
    IF NOT p_dry_run THEN
      UPDATE tasker.dlq_entries d
      SET resolution_status = 'cancelled', resolution_timestamp = now(), resolved_by = 'worker_unavailable_detector',
          resolution_notes = notes, updated_at = now()
      WHERE d.dlq_entry_uuid = r.eid AND d.resolution_status = 'pending';
      applied := FOUND;
    END IF;
    RETURN NEXT;
  END LOOP;

  FOR r IN
    WITH unserved AS (
      SELECT ns.name AS ns, tasker.namespace_last_served_at(ns.name) AS seen
      FROM unnest(tasker.namespaces_with_enqueued_steps()) AS ns(name)
    ),
    waiting AS (
      SELECT s.task_uuid AS tid, u.ns, u.seen, min(s.enqueued_at) AS oldest, count(*)::int AS n
      FROM unserved u
      JOIN tasker.steps s ON s.state = 'enqueued' AND s.namespace = u.ns
      WHERE (u.seen IS NULL OR u.seen <= now() - make_interval(secs => p_liveness_seconds + p_after_seconds))
        AND s.enqueued_at <= now() - make_interval(secs => p_after_seconds)
      GROUP BY s.task_uuid, u.ns, u.seen
    )
    SELECT w.tid, w.ns, t.name AS tname, t.state AS st, w.n, w.seen,
           greatest(w.oldest, w.seen + make_interval(secs => p_liveness_seconds)) AS since
    FROM waiting w
    JOIN tasker.tasks t ON t.task_uuid = w.tid
    WHERE t.state <> ALL (v_terminal)
      AND NOT EXISTS (SELECT 1 FROM tasker.dlq_entries d WHERE d.task_uuid = w.tid AND d.resolution_status = 'pending')
    ORDER BY w.oldest, w.tid
    LIMIT p_limit
    FOR NO KEY UPDATE OF t SKIP LOCKED
  LOOP
    action := 'opened';
    task_uuid := r.tid;
    namespace := r.ns;
    name := r.tname;
    state := r.st;
    steps_waiting := r.n;
    waiting_since := r.since;
    last_worker_seen_at := r.seen;
    dlq_entry_uuid := NULL;
    notes := format('%s step(s) waiting since %s with no live worker for namespace %s', r.n, r.since, r.ns);
    applied := false;
    IF NOT p_dry_run THEN
      INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, task_snapshot)
      VALUES (r.tid, r.st, 'worker_unavailable', tasker.task_snapshot(r.tid, jsonb_build_object('worker_unavailable', jsonb_build_object(
                'namespace', r.ns, 'steps_waiting', r.n, 'waiting_since', r.since, 'last_worker_seen_at', r.seen,
                'after_seconds', p_after_seconds, 'liveness_seconds', p_liveness_seconds, 'detected_at', now()))))
      ON CONFLICT (task_uuid) WHERE resolution_status = 'pending' DO NOTHING
      RETURNING dlq_entries.dlq_entry_uuid INTO dlq_entry_uuid;
      applied := dlq_entry_uuid IS NOT NULL;
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;

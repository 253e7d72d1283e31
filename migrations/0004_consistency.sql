-- tasker.task_invariant_violations(task_uuid): every way one task's rows disagree with each other, as
-- readable lines; none = consistent. It recounts everything the hot path keeps incrementally (per-state
-- counters, parent counters, last_event_id, current state vs. history, leases vs. attempts), so it costs
-- O(task size): for tests and operator diagnostics, never for the hot path.

CREATE FUNCTION tasker.task_invariant_violations(p_task_uuid uuid) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  WITH t AS (
    SELECT * FROM tasker.tasks WHERE task_uuid = p_task_uuid
  ),
  s AS (
    SELECT * FROM tasker.steps WHERE task_uuid = p_task_uuid
  ),
  actual AS (
    SELECT state, count(*) AS n FROM s GROUP BY state
  ),
  parents AS (
    SELECT e.child_step_uuid AS step_uuid,
           count(*) AS total,
           count(*) FILTER (WHERE p.state NOT IN ('complete', 'resolved_manually')) AS unsatisfied
    FROM tasker.step_edges e
    JOIN s p ON p.step_uuid = e.parent_step_uuid
    WHERE e.task_uuid = p_task_uuid
    GROUP BY e.child_step_uuid
  ),
  task_history AS (
    SELECT event_id, from_state, to_state,
           lag(to_state) OVER (ORDER BY event_id) AS previous_to_state,
           row_number() OVER (ORDER BY event_id DESC) AS recency
    FROM tasker.task_transitions WHERE task_uuid = p_task_uuid
  ),
  step_history AS (
    SELECT step_uuid, event_id, from_state, to_state,
           lag(to_state) OVER (PARTITION BY step_uuid ORDER BY event_id) AS previous_to_state,
           row_number() OVER (PARTITION BY step_uuid ORDER BY event_id DESC) AS recency
    FROM tasker.step_transitions WHERE task_uuid = p_task_uuid
  )
  SELECT format('task %s does not exist', p_task_uuid)
  WHERE NOT EXISTS (SELECT 1 FROM t)

  UNION ALL
  SELECT format('tasks.steps_total is %s, but the task has %s steps', t.steps_total, (SELECT count(*) FROM s))
  FROM t WHERE t.steps_total <> (SELECT count(*) FROM s)

  UNION ALL
  SELECT format('tasks.steps_%s is %s, but %s steps are %s', c.state, c.counter, coalesce(a.n, 0), c.state)
  FROM t
  CROSS JOIN LATERAL (VALUES
    ('pending', t.steps_pending), ('enqueued', t.steps_enqueued), ('in_progress', t.steps_in_progress),
    ('enqueued_for_orchestration', t.steps_enqueued_for_orchestration),
    ('enqueued_as_error_for_orchestration', t.steps_enqueued_as_error_for_orchestration),
    ('waiting_for_retry', t.steps_waiting_for_retry), ('complete', t.steps_complete), ('error', t.steps_error),
    ('cancelled', t.steps_cancelled), ('resolved_manually', t.steps_resolved_manually)
  ) AS c(state, counter)
  LEFT JOIN actual a ON a.state = c.state
  WHERE c.counter <> coalesce(a.n, 0)

  UNION ALL
  SELECT format('step %s: total_parents is %s, but it has %s parents', s.name, s.total_parents, coalesce(p.total, 0))
  FROM s LEFT JOIN parents p USING (step_uuid)
  WHERE s.total_parents <> coalesce(p.total, 0)

  UNION ALL
  SELECT format('step %s: unsatisfied_parents is %s, but %s parents are not complete/resolved_manually',
                s.name, s.unsatisfied_parents, coalesce(p.unsatisfied, 0))
  FROM s LEFT JOIN parents p USING (step_uuid)
  WHERE s.unsatisfied_parents <> coalesce(p.unsatisfied, 0)

  UNION ALL
  SELECT format('step %s: namespace/priority %s/%s differ from the task''s %s/%s',
                s.name, s.namespace, s.priority, t.namespace, t.priority)
  FROM s CROSS JOIN t
  WHERE s.namespace <> t.namespace OR s.priority <> t.priority

  UNION ALL
  SELECT format('task is %s, but its latest transition enters %s', t.state, coalesce(h.to_state, '(no transition)'))
  FROM t LEFT JOIN task_history h ON h.recency = 1
  WHERE h.to_state IS DISTINCT FROM t.state

  UNION ALL
  SELECT format('task transition %s leaves %s, but the task was %s', h.event_id,
                coalesce(h.from_state, '(nothing)'), coalesce(h.previous_to_state, '(nothing)'))
  FROM task_history h
  WHERE h.from_state IS DISTINCT FROM h.previous_to_state

  UNION ALL
  SELECT format('step %s is %s, but its latest transition enters %s', s.name, s.state, coalesce(h.to_state, '(no transition)'))
  FROM s LEFT JOIN step_history h ON h.step_uuid = s.step_uuid AND h.recency = 1
  WHERE h.to_state IS DISTINCT FROM s.state

  UNION ALL
  SELECT format('step %s: transition %s leaves %s, but the step was %s', s.name, h.event_id,
                coalesce(h.from_state, '(nothing)'), coalesce(h.previous_to_state, '(nothing)'))
  FROM step_history h JOIN s USING (step_uuid)
  WHERE h.from_state IS DISTINCT FROM h.previous_to_state

  UNION ALL
  SELECT format('tasks.last_event_id is %s, but the latest transition of the task is %s', t.last_event_id, m.latest)
  FROM t CROSS JOIN LATERAL (
    SELECT greatest(
      (SELECT max(event_id) FROM tasker.task_transitions WHERE task_uuid = p_task_uuid),
      (SELECT max(event_id) FROM tasker.step_transitions WHERE task_uuid = p_task_uuid),
      0) AS latest
  ) m
  WHERE t.last_event_id <> m.latest

  UNION ALL
  SELECT format('step %s is in_progress with lease %s, which is not its open attempt', s.name, s.lease_token)
  FROM s
  WHERE s.state = 'in_progress'
    AND NOT EXISTS (SELECT 1 FROM tasker.step_attempts a
                    WHERE a.lease_token = s.lease_token AND a.step_uuid = s.step_uuid AND a.finished_at IS NULL)

  UNION ALL
  SELECT format('step %s is %s, but attempt %s (lease %s) is still open', s.name, s.state, a.attempt, a.lease_token)
  FROM tasker.step_attempts a JOIN s USING (step_uuid)
  WHERE a.task_uuid = p_task_uuid AND a.finished_at IS NULL
    AND (s.state <> 'in_progress' OR s.lease_token IS DISTINCT FROM a.lease_token)
$$;

COMMENT ON FUNCTION tasker.task_invariant_violations(uuid) IS
  'Every inconsistency among one task''s rows (counters, parents, history, leases); empty = consistent. O(task size).';

-- Checkpoints: a running step's worker records how far it got (cursor, items processed, partial results), fenced
-- by its lease token. The checkpoint lives on the step row (steps.checkpoint) and outlives the attempt: the
-- next claim hands it to the retried attempt, which resumes from it. Writing one is progress: it extends the
-- lease like a heartbeat and moves steps.updated_at, which tasker.step_progress_at (0020) counts, so staleness
-- sees it. Each checkpoint is an event of the task's stream (`batch.worker_checkpointed`): it draws an event id
-- under the task's row lock and keeps it in the bounded history ring, where event replay reads it
-- (repositories/events.ts). tasker.step_events stays the history of state changes (a checkpoint changes none).
--
-- steps.checkpoint: {cursor, items_processed, accumulated_results, attempt, timestamp,
--                    history: [{cursor, timestamp, attempt, event_id}, ...]} (oldest first, this one last).

ALTER TABLE tasker.steps ADD COLUMN checkpoint jsonb
  CONSTRAINT steps_checkpoint_check CHECK (checkpoint IS NULL OR jsonb_typeof(checkpoint) = 'object');

COMMENT ON COLUMN tasker.steps.checkpoint IS
  'The last checkpoint of the step''s worker (kept across attempts) with a bounded history ring; NULL before any.';

-- Records a checkpoint of the attempt holding p_token. p_checkpoint: {cursor, items_processed,
-- accumulated_results} (sizes checked by the caller). The history ring keeps at most p_history entries and at most
-- p_history_bytes of them (newest kept first), so the column stays bounded whatever the cursors are.
-- outcome: ok | not_found (unknown step, or outside p_namespaces) | lease_lost | cancelled; nothing is written
-- unless ok. Lock order: the task row, then the step (as results and cancel_task).
CREATE FUNCTION tasker.checkpoint_step(
  p_worker text, p_step uuid, p_token uuid, p_checkpoint jsonb, p_history integer, p_history_bytes integer,
  p_lease_ms integer, p_namespaces text[])
RETURNS TABLE (outcome text, lease_expires_at timestamptz, checkpoint jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_task uuid;
  s tasker.steps;
  v_ev bigint;
  v_hist jsonb;
BEGIN
  SELECT x.task_uuid INTO v_task FROM tasker.steps x
  WHERE x.step_uuid = p_step AND (p_namespaces IS NULL OR x.namespace = ANY (p_namespaces));
  IF v_task IS NULL THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::timestamptz, NULL::jsonb;
    RETURN;
  END IF;
  PERFORM tasker.touch_worker(p_worker, NULL, NULL);
  PERFORM 1 FROM tasker.tasks t WHERE t.task_uuid = v_task FOR NO KEY UPDATE;
  SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = p_step FOR UPDATE;
  IF s.state <> 'in_progress' OR s.lease_token IS DISTINCT FROM p_token THEN
    RETURN QUERY SELECT tasker.lease_refusal(p_step, p_token), NULL::timestamptz, NULL::jsonb;
    RETURN;
  END IF;

  v_ev := nextval('tasker.event_id_seq');
  v_hist := coalesce(s.checkpoint->'history', '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
    'cursor', p_checkpoint->'cursor', 'timestamp', now(), 'attempt', s.attempts, 'event_id', v_ev));
  -- Newest first: keep entries while the count and the running size stay within the bounds (the newest always).
  SELECT coalesce(jsonb_agg(k.e ORDER BY k.o), '[]'::jsonb) INTO v_hist FROM (
    SELECT h.e, h.o, row_number() OVER w AS n, sum(octet_length(h.e::text)) OVER w AS bytes
    FROM jsonb_array_elements(v_hist) WITH ORDINALITY AS h(e, o)
    WINDOW w AS (ORDER BY h.o DESC)
  ) k
  WHERE k.n = 1 OR (k.n <= p_history AND k.bytes <= p_history_bytes);

  RETURN QUERY
  UPDATE tasker.steps x SET
    checkpoint = jsonb_build_object(
      'cursor', p_checkpoint->'cursor',
      'items_processed', coalesce((p_checkpoint->>'items_processed')::bigint, 0),
      'accumulated_results', coalesce(p_checkpoint->'accumulated_results', 'null'::jsonb),
      'attempt', s.attempts, 'timestamp', now(), 'history', v_hist),
    lease_expires_at = CASE
        WHEN x.timeout_seconds IS NULL THEN now() + make_interval(secs => p_lease_ms / 1000.0)
        ELSE least(now() + make_interval(secs => p_lease_ms / 1000.0),
                   x.last_attempted_at + make_interval(secs => x.timeout_seconds)) END,
    updated_at = now()
  WHERE x.step_uuid = p_step
  RETURNING 'ok'::text, x.lease_expires_at, x.checkpoint;
  PERFORM tasker.notify_task_event(v_task);
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Claims hand the step's last checkpoint to the attempt (a retried attempt resumes from it). Same statements
-- as 0019 with one more returned column: the claimed row's own value, no extra read.
DROP FUNCTION tasker.report_and_claim(text, jsonb, double precision, text[], integer, text[], text[], integer);
DROP FUNCTION tasker.claim_steps(text, text[], text[], integer, integer, boolean);

-- Claims up to p_max enqueued steps (p_namespaces / p_handlers NULL = any) for p_worker: in_progress,
-- attempts + 1, a fresh lease token (the fencing token), a lease of min(p_lease_ms, timeout_seconds) and the
-- claim's event id, all on the step row. Nothing else is written: the attempt row comes when it ends, and the
-- task's counters do not change (enqueued and running are both `active`). Returns what the handler needs,
-- the step's last checkpoint included.
-- p_skip_busy_tasks: leave steps whose task another transaction holds (a claim made in a transaction that
-- already locked other tasks, report_and_claim, must not wait for a task lock out of order).
CREATE FUNCTION tasker.claim_steps(
  p_worker text, p_namespaces text[], p_handlers text[], p_max integer, p_lease_ms integer,
  p_skip_busy_tasks boolean DEFAULT false)
RETURNS TABLE (
  task_uuid uuid, step_uuid uuid, step_name text, namespace text, task_name text, task_version text,
  handler_callable text, handler_method text, initialization jsonb, context jsonb, parent_results jsonb,
  attempt integer, max_attempts integer, lease_token uuid, lease_expires_at timestamptz, timeout_seconds integer,
  correlation_id uuid, checkpoint jsonb)
LANGUAGE plpgsql
-- Generic plans: every statement here is driven by primary-key arrays or the claim index, and re-planning
-- them per call (custom plans) cost more than the statements themselves.
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
  v_ids uuid[];
  v_tasks uuid[];
BEGIN
  -- One ordered walk of steps_claim_idx per namespace (all that have work when p_namespaces is NULL), then
  -- the best p_max overall.
  SELECT array_agg(x.step_uuid), array_agg(DISTINCT x.task_uuid) INTO v_ids, v_tasks FROM (
    SELECT c.step_uuid, c.task_uuid FROM unnest(coalesce(p_namespaces, tasker.namespaces_with_enqueued_steps())) AS ns(name)
    CROSS JOIN LATERAL (
      SELECT s.step_uuid, s.task_uuid, s.priority, s.enqueued_at FROM tasker.steps s
      WHERE s.state = 'enqueued' AND s.namespace = ns.name
        AND (p_handlers IS NULL OR s.handler_callable = ANY (p_handlers))
      ORDER BY s.priority DESC, s.enqueued_at, s.step_uuid
      LIMIT p_max FOR UPDATE SKIP LOCKED) c
    ORDER BY c.priority DESC, c.enqueued_at, c.step_uuid
    LIMIT p_max) x;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;
  -- Event ids of a task are drawn under its row lock.
  IF p_skip_busy_tasks THEN
    v_tasks := ARRAY(SELECT t.task_uuid FROM tasker.tasks t WHERE t.task_uuid = ANY (v_tasks)
                     ORDER BY t.task_uuid FOR NO KEY UPDATE SKIP LOCKED);
    v_ids := ARRAY(SELECT s.step_uuid FROM tasker.steps s WHERE s.step_uuid = ANY (v_ids) AND s.task_uuid = ANY (v_tasks));
    IF cardinality(v_ids) = 0 THEN
      RETURN;
    END IF;
  ELSE
    PERFORM 1 FROM tasker.tasks t WHERE t.task_uuid = ANY (v_tasks) ORDER BY t.task_uuid FOR NO KEY UPDATE;
  END IF;

  RETURN QUERY
  WITH moved AS (
    UPDATE tasker.steps s SET
      state = 'in_progress', attempts = s.attempts + 1, lease_token = gen_random_uuid(), leased_by = p_worker,
      lease_expires_at = now() + make_interval(secs => least(p_lease_ms, coalesce(s.timeout_seconds * 1000, p_lease_ms)) / 1000.0),
      last_attempted_at = now(), next_retry_at = NULL, claim_event_id = nextval('tasker.event_id_seq'), updated_at = now()
    WHERE s.step_uuid = ANY (v_ids)
    RETURNING s.*
  )
  -- LATERAL: each step's task by its primary key, whatever the planner thinks of the CTE's size.
  SELECT m.task_uuid, m.step_uuid, m.name, m.namespace, t.name, t.version, m.handler_callable, m.handler_method,
         m.initialization, t.context,
         coalesce((SELECT jsonb_object_agg(p.name, p.results)
                   FROM tasker.step_edges e JOIN tasker.steps p ON p.step_uuid = e.parent_step_uuid
                   WHERE e.child_step_uuid = m.step_uuid), '{}'::jsonb),
         m.attempts, m.max_attempts, m.lease_token, m.lease_expires_at, m.timeout_seconds, t.correlation_id,
         m.checkpoint
  FROM moved m CROSS JOIN LATERAL (SELECT * FROM tasker.tasks x WHERE x.task_uuid = m.task_uuid) t
  ORDER BY m.priority DESC, m.enqueued_at, m.step_uuid;

  PERFORM tasker.notify_task_event(x) FROM unnest(v_tasks) AS x;
END $$;

-- Results and the claim riding along with them, in one call and one transaction: tasker.report_results, then
-- up to p_claim_max steps for p_worker (tasks other transactions hold are skipped: this transaction already
-- locked the results' tasks). One row per result (kind 'result', in input order), then one per claimed step
-- (kind 'claim').
CREATE FUNCTION tasker.report_and_claim(
  p_worker text, p_results jsonb, p_multiplier double precision, p_namespaces text[],
  p_claim_max integer, p_claim_namespaces text[], p_claim_handlers text[], p_lease_ms integer)
RETURNS TABLE (
  kind text, step_uuid uuid, outcome text, step_state text, task_state text, next_retry_at timestamptz,
  task_uuid uuid, step_name text, namespace text, task_name text, task_version text, handler_callable text,
  handler_method text, initialization jsonb, context jsonb, parent_results jsonb, attempt integer,
  max_attempts integer, lease_token uuid, lease_expires_at timestamptz, timeout_seconds integer, correlation_id uuid,
  checkpoint jsonb)
LANGUAGE plpgsql
-- Generic plans: every statement here is driven by primary-key arrays or the claim index, and re-planning
-- them per call (custom plans) cost more than the statements themselves.
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
  v_tasks uuid[];
  r record;
BEGIN
  IF jsonb_array_length(p_results) > 0 THEN
    RETURN QUERY
    SELECT 'result'::text, r.step_uuid, r.outcome, r.step_state, r.task_state, r.next_retry_at,
           NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb, NULL::jsonb,
           NULL::jsonb, NULL::integer, NULL::integer, NULL::uuid, NULL::timestamptz, NULL::integer, NULL::uuid,
           NULL::jsonb
    FROM tasker.report_results(p_worker, p_results, p_multiplier, p_namespaces, false) r;
  END IF;
  IF p_claim_max > 0 THEN
    RETURN QUERY
    SELECT 'claim'::text, c.step_uuid, NULL::text, NULL::text, NULL::text, NULL::timestamptz,
           c.task_uuid, c.step_name, c.namespace, c.task_name, c.task_version, c.handler_callable, c.handler_method,
           c.initialization, c.context, c.parent_results, c.attempt, c.max_attempts, c.lease_token, c.lease_expires_at,
           c.timeout_seconds, c.correlation_id, c.checkpoint
    FROM tasker.claim_steps(p_worker, p_claim_namespaces, p_claim_handlers, p_claim_max, p_lease_ms, true) c;
  END IF;
  -- Wake claimers only for what the results made claimable and this call did not take itself: those steps
  -- entered enqueued in this transaction (enqueued_at = now()) in the results' tasks.
  v_tasks := ARRAY(SELECT DISTINCT x.task_uuid FROM tasker.steps x
                   WHERE x.step_uuid = ANY (ARRAY(SELECT (e->>'step_uuid')::uuid FROM jsonb_array_elements(p_results) AS e)));
  FOR r IN
    SELECT x.namespace AS ns, array_agg(x.handler_callable) AS handlers FROM tasker.steps x
    WHERE x.state = 'enqueued' AND x.task_uuid = ANY (v_tasks) AND x.enqueued_at = now()
    GROUP BY x.namespace
  LOOP
    PERFORM tasker.notify_steps_ready(r.ns, r.handlers);
  END LOOP;
END $$;

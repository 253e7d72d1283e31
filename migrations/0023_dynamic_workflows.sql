-- Dynamic workflows (docs/dynamic-workflows.md): decision points, deferred convergence and batches, grown by
-- the same call that applies the result which triggers them.
--
-- 1. tasker.task_plans: per task of a template with dynamic steps, the template steps SQL needs later (built by
--    engine/dynamic-plan.ts). Static templates write no row and create_task costs what it did.
-- 2. steps gain template_step (a batch worker instance's template, NULL otherwise), created_by_step_uuid (the
--    decision or batchable whose expansion created the step) and held: units of total_parents and
--    unsatisfied_parents that are not edges but holds — a deferred_convergence step waiting for parents that
--    may still appear, or a batch worker waiting for a slot under its batch's parallelism. Readiness is
--    unchanged: a step is dispatched when unsatisfied_parents reaches 0.
-- 3. tasker.task_expansions: the per-task expansion ledger, one row per decision or batchable step that
--    expanded (its idempotency key) and the task event that records it (decision.branches_created,
--    batch.workers_created), its event id drawn under the task lock like every other event.
-- 4. expand_step (validation + steps, edges, counters, ledger), plan_possible, refresh_convergence_holds;
--    report_results calls them; create_task stores the plan. A bad outcome fails the step permanently in the
--    same call (invalid_outcome, unknown_branch, limit_exceeded).
-- 5. Batch workers ending in error follow their batch's failure_strategy in report_results and in the lease
--    sweeper; parallelism holds are recomputed per batch (refresh_batch_slots) whenever a worker finishes,
--    fails, is reset, resolved or completed by an operator, or is stopped by the staleness detector.
-- 6. Operator actions on decision and batchable steps: complete_manually expands, resolve_manually closes
--    without expanding (apply_step_action gains a detail column). task_invariant_violations covers holds
--    and the ledger.

CREATE TABLE tasker.task_plans (
  task_uuid uuid NOT NULL,
  plan jsonb NOT NULL,
  CONSTRAINT task_plans_pkey PRIMARY KEY (task_uuid),
  CONSTRAINT task_plans_task_uuid_fkey FOREIGN KEY (task_uuid) REFERENCES tasker.tasks (task_uuid) ON DELETE CASCADE,
  CONSTRAINT task_plans_plan_check CHECK (jsonb_typeof(plan) = 'object')
);

ALTER TABLE tasker.steps
  ADD COLUMN template_step text,
  ADD COLUMN created_by_step_uuid uuid,
  ADD COLUMN held smallint NOT NULL DEFAULT 0;
-- NOT VALID: existing rows have held = 0; new and updated rows are checked. A step holding nothing is left
-- to steps_parents_check (a negative counter is reported as that).
ALTER TABLE tasker.steps
  ADD CONSTRAINT steps_held_check CHECK (held >= 0 AND (held = 0 OR held <= unsatisfied_parents)) NOT VALID;

CREATE TABLE tasker.task_expansions (
  task_uuid uuid NOT NULL,
  trigger_step_uuid uuid NOT NULL,
  event_id bigint NOT NULL DEFAULT nextval('tasker.event_id_seq'),
  event text NOT NULL,
  outcome_type text NOT NULL,
  trigger_name text NOT NULL,
  worker_template text,
  created_steps text[] NOT NULL,
  batch_ids text[],
  depth integer NOT NULL,
  lease_token uuid,
  actor text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT task_expansions_pkey PRIMARY KEY (task_uuid, trigger_step_uuid),
  CONSTRAINT task_expansions_event_key UNIQUE (task_uuid, event_id),
  CONSTRAINT task_expansions_step_fkey FOREIGN KEY (task_uuid, trigger_step_uuid)
    REFERENCES tasker.steps (task_uuid, step_uuid) ON DELETE CASCADE,
  CONSTRAINT task_expansions_event_check CHECK (event IN ('decision.branches_created', 'batch.workers_created')),
  CONSTRAINT task_expansions_outcome_type_check CHECK (outcome_type IN ('create_steps', 'no_branches', 'create_batches', 'no_batches')),
  CONSTRAINT task_expansions_depth_check CHECK (depth >= 1)
);
COMMENT ON TABLE tasker.task_expansions IS 'Expansion ledger: one row per decision or batchable step that created steps (or chose none); also the task event that records it.';

-- A permanent, classified failure of a decision or batchable step whose outcome cannot be applied.
CREATE FUNCTION tasker.dynamic_error(p_type text, p_message text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('error_type', p_type, 'message', p_message, 'retryable', false)
$$;

-- The template steps of a task that exist (o_existing: names, a batch worker counted by its template) and
-- those that exist or may still appear (o_possible). A decision or batchable step is open while it exists,
-- has not expanded and is not finished; it may still create its segment (decision) or its workers (batch).
-- A deferred_convergence step may appear when one of its dependencies may; another step when all of its
-- dependencies may and one of them may appear through a step that is not a decision, or it is in the
-- segment of an open (or still possible) decision. Least fixpoint over the plan (small: the template).
CREATE FUNCTION tasker.plan_possible(p_task uuid, p_plan jsonb, OUT o_existing text[], OUT o_possible text[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_open text[];
  v_changed boolean := true;
  v_add boolean;
  r record;
BEGIN
  o_existing := ARRAY(SELECT DISTINCT coalesce(s.template_step, s.name) FROM tasker.steps s WHERE s.task_uuid = p_task);
  v_open := ARRAY(
    SELECT s.name FROM tasker.steps s
    WHERE s.task_uuid = p_task AND s.step_type IN ('decision', 'batchable')
      AND s.state NOT IN ('complete', 'cancelled', 'resolved_manually')
      AND NOT EXISTS (SELECT 1 FROM tasker.task_expansions x WHERE x.task_uuid = p_task AND x.trigger_step_uuid = s.step_uuid));
  o_possible := o_existing;
  WHILE v_changed LOOP
    v_changed := false;
    FOR r IN SELECT e.key AS name, e.value AS p FROM jsonb_each(p_plan->'steps') AS e WHERE NOT (e.key = ANY (o_possible)) LOOP
      IF r.p->>'type' = 'batch_worker' THEN
        v_add := (r.p->'deps'->>0) = ANY (v_open)
                 OR ((r.p->'deps'->>0) = ANY (o_possible) AND NOT ((r.p->'deps'->>0) = ANY (o_existing)));
      ELSIF r.p->>'type' = 'deferred_convergence' THEN
        v_add := EXISTS (SELECT 1 FROM jsonb_array_elements_text(r.p->'deps') AS d(n)
                         WHERE d.n = ANY (o_possible) AND NOT (d.n = ANY (o_existing)));
      ELSE
        v_add := NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(r.p->'deps') AS d(n) WHERE NOT (d.n = ANY (o_possible)))
          AND (EXISTS (SELECT 1 FROM jsonb_array_elements_text(r.p->'deps') AS d(n)
                       WHERE d.n = ANY (o_possible) AND NOT (d.n = ANY (o_existing))
                         AND p_plan->'steps'->d.n->>'type' <> 'decision')
               OR EXISTS (SELECT 1 FROM jsonb_each(p_plan->'steps') AS dd
                          WHERE dd.value->>'type' = 'decision' AND dd.value->'segment' ? r.name
                            AND (dd.key = ANY (v_open) OR (dd.key = ANY (o_possible) AND NOT (dd.key = ANY (o_existing))))));
      END IF;
      IF v_add THEN
        o_possible := o_possible || r.name;
        v_changed := true;
      END IF;
    END LOOP;
  END LOOP;
END $$;

-- Each pending deferred_convergence step of the task holds one unit (held = 1, counted in its parents) while
-- a declared dependency that does not exist may still appear, and none once none can. Does not enqueue: the
-- caller does, for steps whose unsatisfied_parents reached 0.
CREATE FUNCTION tasker.refresh_convergence_holds(p_task uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_plan jsonb;
  pp record;
BEGIN
  SELECT x.plan INTO v_plan FROM tasker.task_plans x WHERE x.task_uuid = p_task;
  IF v_plan IS NULL THEN
    RETURN;
  END IF;
  pp := tasker.plan_possible(p_task, v_plan);
  UPDATE tasker.steps s SET held = w.want, total_parents = s.total_parents - s.held + w.want,
                            unsatisfied_parents = s.unsatisfied_parents - s.held + w.want, updated_at = now()
  FROM (SELECT c.step_uuid,
               CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(v_plan->'steps'->c.name->'deps') AS d(n)
                                 WHERE d.n = ANY (pp.o_possible) AND NOT (d.n = ANY (pp.o_existing))) THEN 1 ELSE 0 END AS want
        FROM tasker.steps c
        WHERE c.task_uuid = p_task AND c.step_type = 'deferred_convergence' AND c.state = 'pending') w
  WHERE s.step_uuid = w.step_uuid AND s.held <> w.want;
END $$;

-- Applies the outcome of a completing decision or batchable step (still in_progress: report_results completes it
-- after this): validates it against the task's plan and creates the steps, their edges (from every existing or
-- created step they declare, pre-existing static ones included; a deferred_convergence step that already exists
-- gets edges from the new ones), the task counters, the create events and the ledger row, then refreshes the
-- convergence holds. Returns NULL when applied (or already applied: the ledger has the step), else the error
-- the step fails with; nothing is written then.
CREATE FUNCTION tasker.expand_step(p_step uuid, p_result jsonb, p_token uuid, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  s tasker.steps;
  v_plan jsonb;
  v_me jsonb;
  v_limit integer;
  v_depth integer;
  o jsonb;
  v_event text;
  v_type text;
  v_req text[];
  v_bad text[];
  v_existing text[];
  v_names text[] := '{}';
  v_templates text[] := '{}';
  v_inits jsonb[] := '{}';
  v_held smallint[] := '{}';
  v_batch_ids text[];
  v_w text;
  v_wp jsonb;
  v_configs jsonb;
  v_noop boolean := false;
  v_total numeric;
  v_size numeric;
  v_maxw numeric;
  v_n integer;
  v_name text;
  v_changed boolean;
  v_base uuid;
  r record;
BEGIN
  SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = p_step;
  IF EXISTS (SELECT 1 FROM tasker.task_expansions x WHERE x.task_uuid = s.task_uuid AND x.trigger_step_uuid = p_step) THEN
    RETURN NULL;
  END IF;
  SELECT x.plan INTO v_plan FROM tasker.task_plans x WHERE x.task_uuid = s.task_uuid;
  v_me := v_plan->'steps'->coalesce(s.template_step, s.name);
  IF v_me IS NULL THEN
    RETURN tasker.dynamic_error('invalid_outcome', format('step %s has no plan (its task was created without one)', s.name));
  END IF;
  v_depth := 1 + coalesce((SELECT x.depth FROM tasker.task_expansions x
                           WHERE x.task_uuid = s.task_uuid AND x.trigger_step_uuid = s.created_by_step_uuid), 0);
  IF v_depth > (v_plan->'limits'->>'max_expansion_depth')::integer THEN
    RETURN tasker.dynamic_error('limit_exceeded', format('expansion depth %s exceeds max_expansion_depth %s',
                                v_depth, v_plan->'limits'->>'max_expansion_depth'));
  END IF;
  v_existing := ARRAY(SELECT coalesce(x.template_step, x.name) FROM tasker.steps x WHERE x.task_uuid = s.task_uuid);

  IF s.step_type = 'decision' THEN
    v_event := 'decision.branches_created';
    o := CASE WHEN jsonb_typeof(p_result) = 'object' THEN p_result->'decision_point_outcome' END;
    IF o IS NULL OR jsonb_typeof(o) <> 'object' THEN
      RETURN tasker.dynamic_error('invalid_outcome', 'a decision step''s result needs decision_point_outcome: '
        '{"type": "create_steps", "step_names": [...]} or {"type": "no_branches"}');
    END IF;
    v_type := o->>'type';
    IF v_type = 'no_branches' THEN
      v_req := '{}';
    ELSIF v_type = 'create_steps' THEN
      IF jsonb_typeof(o->'step_names') IS DISTINCT FROM 'array' OR jsonb_array_length(o->'step_names') = 0
         OR EXISTS (SELECT 1 FROM jsonb_array_elements(o->'step_names') AS e(v) WHERE jsonb_typeof(e.v) <> 'string') THEN
        RETURN tasker.dynamic_error('invalid_outcome', 'decision_point_outcome.step_names must be a non-empty list of step names '
          '(use {"type": "no_branches"} to create none)');
      END IF;
      v_req := ARRAY(SELECT DISTINCT e.n FROM jsonb_array_elements_text(o->'step_names') AS e(n));
      IF cardinality(v_req) <> jsonb_array_length(o->'step_names') THEN
        RETURN tasker.dynamic_error('invalid_outcome', 'decision_point_outcome.step_names names a step twice');
      END IF;
      v_limit := (v_plan->'limits'->>'max_steps_per_decision')::integer;
      IF cardinality(v_req) > v_limit THEN
        RETURN tasker.dynamic_error('limit_exceeded', format('decision %s names %s steps; max_steps_per_decision is %s',
                                    s.name, cardinality(v_req), v_limit));
      END IF;
      v_bad := ARRAY(SELECT n FROM unnest(v_req) AS n
                     WHERE NOT (v_me->'segment' ? n) ORDER BY n);
      IF cardinality(v_bad) > 0 THEN
        RETURN tasker.dynamic_error('unknown_branch', format('decision %s cannot create %s; its branches are: %s', s.name,
          array_to_string(v_bad, ', '), coalesce((SELECT string_agg(b, ', ') FROM jsonb_array_elements_text(v_me->'segment') AS b), 'none')));
      END IF;
    ELSE
      RETURN tasker.dynamic_error('invalid_outcome', 'decision_point_outcome.type must be create_steps or no_branches');
    END IF;
    FOREACH v_name IN ARRAY v_req LOOP
      IF NOT (v_name = ANY (v_existing)) THEN
        v_names := v_names || v_name; v_templates := v_templates || v_name; v_inits := v_inits || NULL::jsonb;
        v_held := v_held || 0::smallint;
      END IF;
    END LOOP;
    FOR r IN SELECT n, d FROM unnest(v_names) AS n CROSS JOIN LATERAL jsonb_array_elements_text(v_plan->'steps'->n->'deps') AS d
             WHERE NOT (d = ANY (v_existing)) AND NOT (d = ANY (v_names)) LIMIT 1 LOOP
      RETURN tasker.dynamic_error('invalid_outcome', format('%s depends on %s, which neither exists nor is created by this outcome', r.n, r.d));
    END LOOP;
  ELSE
    v_event := 'batch.workers_created';
    o := CASE WHEN jsonb_typeof(p_result) = 'object' THEN p_result->'batch_processing_outcome' END;
    IF o IS NULL OR jsonb_typeof(o) <> 'object' OR o->>'type' IS NULL OR o->>'type' NOT IN ('create_batches', 'no_batches') THEN
      RETURN tasker.dynamic_error('invalid_outcome', 'a batchable step''s result needs batch_processing_outcome: '
        '{"type": "create_batches", ...} or {"type": "no_batches"}');
    END IF;
    v_type := o->>'type';
    v_w := coalesce(o->>'worker_template_name', s.initialization->>'worker_template_name', v_me->>'worker_template');
    v_wp := CASE WHEN v_w IS NOT NULL THEN v_plan->'steps'->v_w END;
    IF v_wp IS NULL OR v_wp->>'type' <> 'batch_worker' OR v_wp->'deps'->>0 IS DISTINCT FROM coalesce(s.template_step, s.name) THEN
      RETURN tasker.dynamic_error('invalid_outcome', format('worker_template_name %s is not a batch_worker step of %s',
                                  coalesce(v_w, '(none given)'), s.name));
    END IF;
    v_limit := (v_plan->'limits'->>'max_workers_per_batch')::integer;
    IF v_type = 'create_batches' AND (o->'cursor_configs' IS NULL OR jsonb_typeof(o->'cursor_configs') = 'null') THEN
      -- The server-side cursor generator: ids 001…, [start, end) zero-based.
      IF jsonb_typeof(o->'total_items') IS DISTINCT FROM 'number' OR (o->>'total_items')::numeric < 0
         OR (o->>'total_items')::numeric <> trunc((o->>'total_items')::numeric) THEN
        RETURN tasker.dynamic_error('invalid_outcome', 'create_batches needs cursor_configs, or total_items (an integer >= 0) '
          'for the server to generate them');
      END IF;
      v_total := (o->>'total_items')::numeric;
      v_size := CASE WHEN jsonb_typeof(coalesce(o->'batch_size', s.initialization->'batch_size')) = 'number'
                     THEN (coalesce(o->'batch_size', s.initialization->'batch_size'))::text::numeric
                     ELSE (v_wp->'batch'->>'batch_size')::numeric END;
      v_maxw := CASE WHEN jsonb_typeof(coalesce(o->'max_workers', s.initialization->'max_workers')) = 'number'
                     THEN (coalesce(o->'max_workers', s.initialization->'max_workers'))::text::numeric END;
      IF v_size < 1 OR v_size <> trunc(v_size) OR (v_maxw IS NOT NULL AND (v_maxw < 1 OR v_maxw <> trunc(v_maxw))) THEN
        RETURN tasker.dynamic_error('invalid_outcome', 'batch_size and max_workers must be integers >= 1');
      END IF;
      IF v_total = 0 THEN
        v_noop := true;
      ELSE
        v_n := ceil(v_total / v_size);
        IF v_maxw IS NOT NULL AND v_n > v_maxw THEN
          v_size := ceil(v_total / v_maxw);
          v_n := ceil(v_total / v_size);
        END IF;
        IF v_n > v_limit THEN
          RETURN tasker.dynamic_error('limit_exceeded', format('%s workers exceed max_workers_per_batch %s', v_n, v_limit));
        END IF;
        v_configs := (SELECT jsonb_agg(jsonb_build_object('batch_id', lpad(i::text, 3, '0'), 'start_cursor', (i - 1) * v_size,
                                         'end_cursor', least(i * v_size, v_total),
                                         'batch_size', least(i * v_size, v_total) - (i - 1) * v_size) ORDER BY i)
                      FROM generate_series(1, v_n) AS i);
      END IF;
    ELSIF v_type = 'create_batches' THEN
      v_configs := o->'cursor_configs';
      IF jsonb_typeof(v_configs) <> 'array' OR jsonb_array_length(v_configs) = 0 THEN
        RETURN tasker.dynamic_error('invalid_outcome', 'cursor_configs must be a non-empty list (use {"type": "no_batches"} for none)');
      END IF;
      IF jsonb_array_length(v_configs) > v_limit THEN
        RETURN tasker.dynamic_error('limit_exceeded', format('%s workers exceed max_workers_per_batch %s', jsonb_array_length(v_configs), v_limit));
      END IF;
      IF o ? 'worker_count' AND o->'worker_count' <> to_jsonb(jsonb_array_length(v_configs)) THEN
        RETURN tasker.dynamic_error('invalid_outcome', format('worker_count %s does not match the %s cursor_configs',
                                    o->'worker_count', jsonb_array_length(v_configs)));
      END IF;
      FOR r IN SELECT e.c, e.i FROM jsonb_array_elements(v_configs) WITH ORDINALITY AS e(c, i) LOOP
        IF jsonb_typeof(r.c) <> 'object' OR jsonb_typeof(r.c->'batch_id') IS DISTINCT FROM 'string'
           OR NOT (r.c->>'batch_id' ~ '^[A-Za-z0-9_-]{1,64}$') THEN
          RETURN tasker.dynamic_error('invalid_outcome', format('cursor_configs[%s].batch_id must be 1-64 letters, digits, _ or -', r.i - 1));
        END IF;
        IF coalesce(jsonb_typeof(r.c->'start_cursor'), 'null') = 'null' OR coalesce(jsonb_typeof(r.c->'end_cursor'), 'null') = 'null' THEN
          RETURN tasker.dynamic_error('invalid_outcome', format('cursor_configs[%s] needs start_cursor and end_cursor', r.i - 1));
        END IF;
        IF jsonb_typeof(r.c->'start_cursor') = 'number' AND jsonb_typeof(r.c->'end_cursor') = 'number'
           AND ((r.c->>'start_cursor')::numeric < 0 OR (r.c->>'end_cursor')::numeric <= (r.c->>'start_cursor')::numeric) THEN
          RETURN tasker.dynamic_error('invalid_outcome', format('cursor_configs[%s]: the range [%s, %s) is empty, reversed or negative',
                                      r.i - 1, r.c->'start_cursor', r.c->'end_cursor'));
        END IF;
        IF r.c ? 'batch_size' AND (jsonb_typeof(r.c->'batch_size') <> 'number' OR (r.c->>'batch_size')::numeric < 0
                                   OR (r.c->>'batch_size')::numeric <> trunc((r.c->>'batch_size')::numeric)) THEN
          RETURN tasker.dynamic_error('invalid_outcome', format('cursor_configs[%s].batch_size must be an integer >= 0', r.i - 1));
        END IF;
      END LOOP;
      v_bad := ARRAY(SELECT c->>'batch_id' FROM jsonb_array_elements(v_configs) AS c GROUP BY 1 HAVING count(*) > 1 ORDER BY 1);
      IF cardinality(v_bad) > 0 THEN
        RETURN tasker.dynamic_error('invalid_outcome', format('cursor_configs repeat batch_id %s', array_to_string(v_bad, ', ')));
      END IF;
    ELSE
      v_noop := true;
    END IF;
    IF v_noop THEN
      v_configs := '[{"batch_id": "000", "start_cursor": 0, "end_cursor": 0, "batch_size": 0}]';
    END IF;
    FOR r IN SELECT e.c, e.i FROM jsonb_array_elements(v_configs) WITH ORDINALITY AS e(c, i) LOOP
      v_name := v_w || '_' || (r.c->>'batch_id');
      IF v_plan->'steps' ? v_name OR EXISTS (SELECT 1 FROM tasker.steps x WHERE x.task_uuid = s.task_uuid AND x.name = v_name) THEN
        RETURN tasker.dynamic_error('invalid_outcome', format('worker name %s is already a step of this task or template', v_name));
      END IF;
      v_names := v_names || v_name;
      v_templates := v_templates || v_w;
      v_inits := v_inits || (coalesce(v_wp->'spec'->'initialization', '{}') || jsonb_build_object(
        'cursor', r.c,
        'batch_metadata', jsonb_build_object('cursor_field', v_wp->'batch'->>'cursor_field',
                                             'failure_strategy', v_wp->'batch'->>'failure_strategy'),
        'is_no_op', v_noop, '__template_step_name', v_w));
      -- Workers beyond the batch's parallelism wait for a slot (released as earlier workers finish).
      v_held := v_held || (CASE WHEN r.i > (v_wp->'batch'->>'parallelism')::integer THEN 1 ELSE 0 END)::smallint;
    END LOOP;
    v_batch_ids := ARRAY(SELECT c->>'batch_id' FROM jsonb_array_elements(v_configs) AS c);
  END IF;

  -- The steps that come with these: a deferred_convergence step with a dependency created now, any other step
  -- (not a batch worker) whose dependencies all exist and one of them, not a decision, is created now.
  LOOP
    v_changed := false;
    FOR r IN SELECT e.key AS name, e.value AS p FROM jsonb_each(v_plan->'steps') AS e
             WHERE NOT (e.key = ANY (v_existing)) AND NOT (e.key = ANY (v_templates)) AND e.value->>'type' <> 'batch_worker'
             ORDER BY (e.value->>'ord')::integer LOOP
      IF (r.p->>'type' = 'deferred_convergence'
          AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(r.p->'deps') AS d(n) WHERE d.n = ANY (v_templates)))
         OR (r.p->>'type' <> 'deferred_convergence'
             AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(r.p->'deps') AS d(n)
                             WHERE NOT (d.n = ANY (v_existing)) AND NOT (d.n = ANY (v_templates)))
             AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(r.p->'deps') AS d(n)
                         WHERE d.n = ANY (v_templates) AND v_plan->'steps'->d.n->>'type' <> 'decision')) THEN
        v_names := v_names || r.name; v_templates := v_templates || r.name; v_inits := v_inits || NULL::jsonb;
        v_held := v_held || 0::smallint;
        v_changed := true;
      END IF;
    END LOOP;
    EXIT WHEN NOT v_changed;
  END LOOP;

  IF EXISTS (SELECT 1 FROM tasker.steps c
             WHERE c.task_uuid = s.task_uuid AND c.step_type = 'deferred_convergence' AND c.state <> 'pending'
               AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(v_plan->'steps'->c.name->'deps') AS d(n) WHERE d.n = ANY (v_templates))) THEN
    RAISE EXCEPTION 'task %: a deferred_convergence step started before all of its parents appeared', s.task_uuid;
  END IF;

  v_base := tasker.uuid_generate_v7();
  INSERT INTO tasker.steps (step_uuid, task_uuid, name, state, namespace, priority, step_type, handler_callable,
                            handler_method, initialization, retryable, max_attempts, backoff_kind, backoff_base_ms,
                            backoff_max_ms, backoff_jitter, timeout_seconds, total_parents, unsatisfied_parents, held,
                            template_step, created_by_step_uuid)
  SELECT tasker.uuid_v7_ordered(v_base, u.i::integer), s.task_uuid, u.name, 'pending', s.namespace, s.priority,
         sp->>'step_type', sp->>'handler_callable', sp->>'handler_method', coalesce(u.init, sp->'initialization', '{}'),
         (sp->>'retryable')::boolean, (sp->>'max_attempts')::integer, sp->>'backoff_kind', (sp->>'backoff_base_ms')::integer,
         (sp->>'backoff_max_ms')::integer, (sp->>'backoff_jitter')::double precision, (sp->>'timeout_seconds')::integer,
         u.held, u.held, u.held, CASE WHEN u.tmpl <> u.name THEN u.tmpl END, p_step
  FROM unnest(v_names, v_templates, v_inits, v_held) WITH ORDINALITY AS u(name, tmpl, init, held, i)
  CROSS JOIN LATERAL (SELECT v_plan->'steps'->u.tmpl->'spec' AS sp) x
  ORDER BY u.i;

  -- Edges into the new steps and into pending convergence steps, from every step of a declared dependency
  -- (every instance of a batch worker template); then their parent counts from scratch (parents completing in
  -- this call are still in_progress: report_results counts them down afterwards like any child's).
  INSERT INTO tasker.step_edges (task_uuid, parent_step_uuid, child_step_uuid)
  SELECT DISTINCT s.task_uuid, p.step_uuid, c.step_uuid
  FROM tasker.steps c
  CROSS JOIN LATERAL jsonb_array_elements_text(v_plan->'steps'->coalesce(c.template_step, c.name)->'deps') AS d(n)
  JOIN tasker.steps p ON p.task_uuid = c.task_uuid AND coalesce(p.template_step, p.name) = d.n
  WHERE c.task_uuid = s.task_uuid
    AND (c.name = ANY (v_names) OR (c.step_type = 'deferred_convergence' AND c.state = 'pending' AND p.name = ANY (v_names)))
  ON CONFLICT DO NOTHING;
  UPDATE tasker.steps c SET total_parents = c.held + k.n, unsatisfied_parents = c.held + k.u, updated_at = now()
  FROM (SELECT e.child_step_uuid AS sid, count(*)::integer AS n,
               count(*) FILTER (WHERE p.state NOT IN ('complete', 'resolved_manually'))::integer AS u
        FROM tasker.step_edges e JOIN tasker.steps p ON p.step_uuid = e.parent_step_uuid
        WHERE e.child_step_uuid IN (SELECT x.step_uuid FROM tasker.steps x
                                    WHERE x.task_uuid = s.task_uuid
                                      AND (x.name = ANY (v_names) OR (x.step_type = 'deferred_convergence' AND x.state = 'pending')))
        GROUP BY e.child_step_uuid) k
  WHERE c.step_uuid = k.sid;

  UPDATE tasker.tasks t SET steps_total = t.steps_total + cardinality(v_names), steps_pending = t.steps_pending + cardinality(v_names),
                            updated_at = now()
  WHERE t.task_uuid = s.task_uuid;
  INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event, attempt, actor)
  SELECT s.task_uuid, x.step_uuid, NULL, 'pending', 'create', 0, p_actor
  FROM tasker.steps x WHERE x.task_uuid = s.task_uuid AND x.name = ANY (v_names) ORDER BY x.step_uuid;
  INSERT INTO tasker.task_expansions (task_uuid, trigger_step_uuid, event, outcome_type, trigger_name, worker_template,
                                      created_steps, batch_ids, depth, lease_token, actor)
  VALUES (s.task_uuid, p_step, v_event, v_type, s.name, v_w, v_names, v_batch_ids, v_depth, p_token, p_actor);
  PERFORM tasker.refresh_convergence_holds(s.task_uuid);
  RETURN NULL;
END $$;

-- create_task: unchanged for a template without dynamic steps; with a plan, stores it and sets the holds of
-- the convergence steps the task starts with.
CREATE OR REPLACE FUNCTION tasker.create_task(p_task jsonb, p_steps jsonb)
 RETURNS tasker.tasks
 LANGUAGE plpgsql
AS $$
DECLARE
  t tasker.tasks;
  v_n integer := jsonb_array_length(p_steps);
  v_roots integer;
  v_actor text := p_task->>'initiator';
  v_base uuid := tasker.uuid_generate_v7();
BEGIN
  IF p_task ? 'template_hash' AND NOT EXISTS (
       SELECT 1 FROM tasker.templates
       WHERE template_uuid = (p_task->>'template_uuid')::uuid AND content_hash = p_task->>'template_hash') THEN
    RAISE EXCEPTION 'template % changed since it was cached', p_task->>'template_uuid' USING ERRCODE = 'TK001';
  END IF;
  SELECT count(*) INTO v_roots FROM jsonb_array_elements(p_steps) AS e(value) WHERE jsonb_array_length(e.value->'parents') = 0;

  INSERT INTO tasker.tasks (template_uuid, namespace, name, version, state, context, initiator, source_system, reason,
                            priority, tags, correlation_id, parent_correlation_id, identity_hash, idempotency_key,
                            options, steps_total, steps_pending, steps_active)
  VALUES ((p_task->>'template_uuid')::uuid, p_task->>'namespace', p_task->>'name', p_task->>'version', 'steps_in_process',
          p_task->'context', p_task->>'initiator', p_task->>'source_system', p_task->>'reason',
          coalesce((p_task->>'priority')::integer, 0),
          coalesce(ARRAY(SELECT jsonb_array_elements_text(p_task->'tags')), '{}'),
          coalesce((p_task->>'correlation_id')::uuid, tasker.uuid_generate_v7()),
          (p_task->>'parent_correlation_id')::uuid, p_task->>'identity_hash', p_task->>'idempotency_key',
          p_task->'options', v_n, v_n - v_roots, v_roots)
  RETURNING * INTO t;

  -- The task's event first: a watcher replaying from the start sees the task before its steps.
  PERFORM tasker.insert_task_transition(t.task_uuid, NULL, 'steps_in_process', 'create>start>ready_steps_found>steps_enqueued',
            v_actor, t.reason, jsonb_build_object('count', v_roots));

  WITH spec AS (
    SELECT s.*, o.ord, jsonb_array_length(s.parents) AS np
    FROM jsonb_array_elements(p_steps) WITH ORDINALITY AS o(value, ord)
    CROSS JOIN LATERAL jsonb_to_record(o.value) AS s(
      name text, step_type text, handler_callable text, handler_method text, initialization jsonb,
      retryable boolean, max_attempts integer, backoff_kind text, backoff_base_ms integer, backoff_max_ms integer,
      backoff_jitter double precision, timeout_seconds integer, parents jsonb)
  ), ins AS (
    INSERT INTO tasker.steps (step_uuid, task_uuid, name, state, namespace, priority, step_type, handler_callable,
                              handler_method, initialization, retryable, max_attempts, backoff_kind, backoff_base_ms,
                              backoff_max_ms, backoff_jitter, timeout_seconds, total_parents, unsatisfied_parents,
                              enqueued_at, enqueue_event_id)
    SELECT tasker.uuid_v7_ordered(v_base, spec.ord::integer), t.task_uuid, spec.name,
           CASE WHEN spec.np = 0 THEN 'enqueued' ELSE 'pending' END, t.namespace, t.priority, spec.step_type,
           spec.handler_callable, spec.handler_method, coalesce(spec.initialization, '{}'), spec.retryable,
           spec.max_attempts, spec.backoff_kind, spec.backoff_base_ms, spec.backoff_max_ms, spec.backoff_jitter,
           spec.timeout_seconds, spec.np, spec.np,
           CASE WHEN spec.np = 0 THEN now() END,
           CASE WHEN spec.np = 0 THEN nextval('tasker.event_id_seq') END
    FROM spec ORDER BY spec.ord
    RETURNING step_uuid, name, state
  ), edges AS (
    INSERT INTO tasker.step_edges (task_uuid, parent_step_uuid, child_step_uuid)
    SELECT t.task_uuid, p.step_uuid, c.step_uuid
    FROM spec
    JOIN ins c ON c.name = spec.name
    CROSS JOIN LATERAL jsonb_array_elements_text(spec.parents) AS pn(name)
    JOIN ins p ON p.name = pn.name
  )
  INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event, attempt, actor)
  SELECT t.task_uuid, ins.step_uuid, NULL, 'pending', 'create', 0, v_actor
  FROM ins WHERE ins.state = 'pending' ORDER BY ins.step_uuid;

  IF p_task ? 'plan' THEN
    INSERT INTO tasker.task_plans (task_uuid, plan) VALUES (t.task_uuid, p_task->'plan');
    PERFORM tasker.refresh_convergence_holds(t.task_uuid);
  END IF;

  PERFORM tasker.notify_steps_ready(t.namespace, ARRAY(
    SELECT e.value->>'handler_callable' FROM jsonb_array_elements(p_steps) AS e(value)
    WHERE jsonb_array_length(e.value->'parents') = 0));
  RETURN t;
END $$;

-- report_results (migration 0019, 0022): a completing decision or batchable step expands first (a bad outcome
-- fails it instead); batch workers in error follow their failure_strategy; finished workers free parallelism
-- slots; steps made ready by those are enqueued before the task settles.
CREATE OR REPLACE FUNCTION tasker.report_results(p_worker text, p_results jsonb, p_multiplier double precision, p_namespaces text[], p_notify boolean DEFAULT true)
 RETURNS TABLE(step_uuid uuid, outcome text, step_state text, task_state text, next_retry_at timestamp with time zone)
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $$
#variable_conflict use_column
DECLARE
  s tasker.steps;
  f record;
  v jsonb;
  v_n integer := jsonb_array_length(p_results);
  v_ids uuid[];
  v_tokens uuid[];
  v_tasks uuid[];
  -- Per input position.
  v_task_of uuid[];
  v_verdict text[];
  v_step_state text[];
  v_next timestamptz[];
  v_outcome text[];
  v_type text[];
  v_err jsonb;
  -- Completions, failures, and their tasks.
  v_cids uuid[] := '{}';
  v_cords integer[] := '{}';
  v_move_tasks uuid[] := '{}';
  v_move_to text[] := '{}';
  v_hold uuid[];
  v_enq_tasks uuid[];
  v_enq_counts integer[];
  v_settled uuid[];
  v_settled_states text[];
  v_gave_up uuid[];
  -- Dynamic workflows: completions whose children are released (v_cids plus batch workers completed by
  -- continue_on_failure), batch workers that ended in error (and their place in v_move_to), tasks to sweep for
  -- steps that became ready without a parent completing (new steps, released holds).
  v_release uuid[];
  v_bw_failed uuid[] := '{}';
  v_bw_pos integer[] := '{}';
  v_finished uuid[] := '{}';
  v_sweep uuid[] := '{}';
  v_strategy text;
  r record;
BEGIN
  IF v_n = 0 THEN
    RETURN;
  END IF;
  -- Every lookup goes through a primary key (= ANY of an array, or an index join from a small unnest).
  SELECT array_agg((e.v->>'step_uuid')::uuid ORDER BY e.o), array_agg((e.v->>'lease_token')::uuid ORDER BY e.o)
  INTO v_ids, v_tokens FROM jsonb_array_elements(p_results) WITH ORDINALITY AS e(v, o);
  v_tasks := ARRAY(SELECT DISTINCT x.task_uuid FROM tasker.steps x WHERE x.step_uuid = ANY (v_ids) ORDER BY 1);
  PERFORM 1 FROM tasker.tasks x WHERE x.task_uuid = ANY (v_tasks) ORDER BY x.task_uuid FOR UPDATE;
  PERFORM 1 FROM tasker.steps x WHERE x.step_uuid = ANY (v_ids) ORDER BY x.task_uuid, x.step_uuid FOR UPDATE;

  -- What each result is: not_found, lease_lost (a step reported twice: its lease went with the first), refused
  -- (stale token), complete or fail.
  SELECT array_agg(CASE WHEN k.visible THEN k.task_uuid END ORDER BY k.ord),
         array_agg(CASE
           WHEN NOT k.visible THEN 'not_found'
           WHEN k.nth > 1 THEN 'lease_lost'
           WHEN k.state <> 'in_progress' OR k.lease_token IS DISTINCT FROM k.tok THEN 'refused'
           WHEN p_results->(k.ord::integer - 1)->>'status' = 'completed' THEN 'complete'
           ELSE 'fail' END ORDER BY k.ord),
         array_agg(CASE WHEN k.visible THEN k.state END ORDER BY k.ord),
         array_agg(CASE WHEN k.visible THEN k.next_retry_at END ORDER BY k.ord),
         array_agg(CASE WHEN k.visible THEN k.step_type END ORDER BY k.ord)
  INTO v_task_of, v_verdict, v_step_state, v_next, v_type
  FROM (
    SELECT i.ord, i.tok, i.nth, x.task_uuid, x.state, x.lease_token, x.next_retry_at, x.step_type,
           x.step_uuid IS NOT NULL AND (p_namespaces IS NULL OR x.namespace = ANY (p_namespaces)) AS visible
    FROM (SELECT u.*, row_number() OVER (PARTITION BY u.sid ORDER BY u.ord) AS nth
          FROM unnest(v_ids, v_tokens) WITH ORDINALITY AS u(sid, tok, ord)) i
    LEFT JOIN LATERAL (SELECT * FROM tasker.steps y WHERE y.step_uuid = i.sid LIMIT 1) x ON true
  ) k;

  v_outcome := array_fill(NULL::text, ARRAY[v_n]);
  FOR i IN 1..v_n LOOP
    CASE v_verdict[i]
      WHEN 'not_found', 'lease_lost' THEN
        v_outcome[i] := v_verdict[i];
      WHEN 'refused' THEN
        -- A decision's or batchable's result applied before (the ledger has its lease) answers as it did.
        IF v_type[i] IN ('decision', 'batchable') AND EXISTS (
             SELECT 1 FROM tasker.task_expansions x
             WHERE x.task_uuid = v_task_of[i] AND x.trigger_step_uuid = v_ids[i] AND x.lease_token = v_tokens[i]) THEN
          v_outcome[i] := 'ok';
        ELSE
          v_outcome[i] := tasker.lease_refusal(v_ids[i], v_tokens[i]);
        END IF;
      WHEN 'complete' THEN
        v_err := CASE WHEN v_type[i] IN ('decision', 'batchable')
                      THEN tasker.expand_step(v_ids[i], p_results->(i - 1)->'result', v_tokens[i], p_worker) END;
        IF v_err IS NOT NULL THEN
          -- An outcome that cannot be applied fails the step for good, in this call.
          SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = v_ids[i];
          f := tasker.fail_running_step(s, 'fail_result', v_err, false, NULL, p_multiplier, p_worker,
                 (p_results->(i - 1)->>'execution_time_ms')::integer);
          v_outcome[i] := 'ok';
          v_step_state[i] := f.o_state;
          v_next[i] := NULL;
          v_move_tasks := v_move_tasks || v_task_of[i];
          v_move_to := v_move_to || f.o_state;
          CONTINUE;
        END IF;
        IF v_type[i] IN ('decision', 'batchable') THEN
          v_sweep := v_sweep || v_task_of[i];
        END IF;
        IF v_type[i] = 'batch_worker' THEN
          v_finished := v_finished || v_ids[i];
        END IF;
        v_outcome[i] := 'ok';
        v_step_state[i] := 'complete';
        v_next[i] := NULL;
        v_cids := v_cids || v_ids[i];
        v_cords := v_cords || i;
        v_move_tasks := v_move_tasks || v_task_of[i];
        v_move_to := v_move_to || 'complete'::text;
      ELSE
        v := p_results->(i - 1);
        SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = v_ids[i];
        f := tasker.fail_running_step(s, 'fail_result', v->'error', coalesce((v->>'retryable')::boolean, true),
               (v->>'retry_after_ms')::bigint, p_multiplier, p_worker, (v->>'execution_time_ms')::integer);
        v_outcome[i] := 'ok';
        v_step_state[i] := f.o_state;
        v_next[i] := f.o_next_retry_at;
        v_move_tasks := v_move_tasks || v_task_of[i];
        v_move_to := v_move_to || f.o_state;
        IF v_type[i] = 'batch_worker' AND f.o_state = 'error' THEN
          v_bw_failed := v_bw_failed || v_ids[i];
          v_bw_pos := v_bw_pos || cardinality(v_move_to);
        END IF;
    END CASE;
  END LOOP;

  IF cardinality(v_move_tasks) > 0 THEN
    -- Every completion: its attempt row (carrying the cycle's enqueue and claim events and the finish event drawn
    -- now) and its step row, in one statement (the attempt reads the step as it was).
    IF cardinality(v_cids) > 0 THEN
      WITH c AS (
        SELECT x.*, p_results->(i.ord - 1) AS r
        FROM unnest(v_cids, v_cords) AS i(sid, ord)
        CROSS JOIN LATERAL (SELECT * FROM tasker.steps y WHERE y.step_uuid = i.sid LIMIT 1) x
      ), att AS (
        INSERT INTO tasker.step_attempts (lease_token, task_uuid, step_uuid, attempt, worker_id, claimed_at, finished_at,
                                          outcome, execution_time_ms, error, to_state, finish_event, finished_by, metadata,
                                          enqueue_event_id, enqueue_from, enqueued_at, claim_event_id, finish_event_id)
        SELECT c.lease_token, c.task_uuid, c.step_uuid, c.attempts, c.leased_by, c.last_attempted_at, now(),
               'completed', (c.r->>'execution_time_ms')::integer, NULL, 'complete', 'complete_result>complete', p_worker,
               nullif(c.r->'metadata', 'null'::jsonb), c.enqueue_event_id, c.enqueue_from, c.enqueued_at, c.claim_event_id,
               nextval('tasker.event_id_seq')
        FROM c
      )
      UPDATE tasker.steps x SET state = 'complete', results = c.r->'result', completed_at = now(), lease_token = NULL,
                                lease_expires_at = NULL, leased_by = NULL, next_retry_at = NULL, enqueue_event_id = NULL,
                                enqueue_from = NULL, claim_event_id = NULL, updated_at = now()
      FROM c WHERE x.step_uuid = c.step_uuid AND x.step_uuid = ANY (v_cids);
    END IF;
    v_release := v_cids;

    -- Batch workers that ended in error follow their batch's failure_strategy (tasker.apply_failure_strategy);
    -- one completed by continue_on_failure releases its children like any completion.
    FOR i IN 1..cardinality(v_bw_failed) LOOP
      v_strategy := tasker.apply_failure_strategy(v_bw_failed[i], 'engine');
      v_finished := v_finished || v_bw_failed[i];
      IF v_strategy = 'complete' THEN
        v_move_to[v_bw_pos[i]] := 'complete';
        v_step_state[array_position(v_ids, v_bw_failed[i])] := 'complete';
        v_release := v_release || v_bw_failed[i];
      END IF;
    END LOOP;

    -- Parallelism: the batches of workers that finished or failed here give their free slots to waiting siblings.
    IF cardinality(v_finished) > 0 THEN
      FOR r IN SELECT DISTINCT x.task_uuid AS tid, x.created_by_step_uuid AS b, x.template_step AS tmpl
               FROM tasker.steps x WHERE x.step_uuid = ANY (v_finished) LOOP
        IF tasker.refresh_batch_slots(r.tid, r.b, r.tmpl) THEN
          v_sweep := v_sweep || r.tid;
        END IF;
      END LOOP;
    END IF;

    IF cardinality(v_release) > 0 THEN
      -- Their children, in one statement: each counts down its parents completed here; a pending child whose
      -- last parent this was is enqueued (its enqueue event drawn now) unless its task holds children back.
      v_hold := ARRAY(
        SELECT t.task_uuid FROM tasker.tasks t WHERE t.task_uuid = ANY (v_move_tasks)
          AND (t.state IN ('blocked_by_failures', 'error') OR t.steps_error > 0
               OR t.task_uuid = ANY (SELECT m.t FROM unnest(v_move_tasks, v_move_to) AS m(t, s) WHERE m.s = 'error')));
      FOR r IN
        WITH k AS (
          SELECT x.step_uuid AS sid, e.n,
                 (x.unsatisfied_parents = e.n AND x.state = 'pending' AND NOT (x.task_uuid = ANY (v_hold))) AS go
          FROM (SELECT d.child_step_uuid, count(*)::integer AS n FROM tasker.step_edges d
                WHERE d.parent_step_uuid = ANY (v_release) GROUP BY d.child_step_uuid) e
          CROSS JOIN LATERAL (SELECT * FROM tasker.steps y WHERE y.step_uuid = e.child_step_uuid LIMIT 1) x
        ), moved AS (
          UPDATE tasker.steps x SET
            unsatisfied_parents = x.unsatisfied_parents - k.n,
            state = CASE WHEN k.go THEN 'enqueued' ELSE x.state END,
            enqueued_at = CASE WHEN k.go THEN now() ELSE x.enqueued_at END,
            enqueue_event_id = CASE WHEN k.go THEN nextval('tasker.event_id_seq') ELSE x.enqueue_event_id END,
            enqueue_from = CASE WHEN k.go THEN 'pending' ELSE x.enqueue_from END,
            updated_at = now()
          FROM k WHERE x.step_uuid = k.sid AND k.go AND x.step_uuid = ANY (ARRAY(SELECT k.sid FROM k WHERE k.go))
          RETURNING x.task_uuid, x.namespace, x.handler_callable
        ), counted AS (
          UPDATE tasker.steps x SET unsatisfied_parents = x.unsatisfied_parents - k.n, updated_at = now()
          FROM k WHERE x.step_uuid = k.sid AND NOT k.go AND x.step_uuid = ANY (ARRAY(SELECT k.sid FROM k WHERE NOT k.go))
        )
        SELECT m.task_uuid, m.namespace, array_agg(m.handler_callable) AS handlers, count(*)::integer AS n
        FROM moved m GROUP BY m.task_uuid, m.namespace
      LOOP
        v_enq_tasks := coalesce(v_enq_tasks, '{}') || r.task_uuid;
        v_enq_counts := coalesce(v_enq_counts, '{}') || r.n;
        IF p_notify THEN PERFORM tasker.notify_steps_ready(r.namespace, r.handlers); END IF;
      END LOOP;
    END IF;

    -- Steps that became ready without a parent completing here: created with every parent satisfied, a
    -- convergence step whose last possible parent can no longer appear, a worker given a slot. A held task
    -- dispatches nothing new, except batch workers of an isolate batch (the others finish).
    IF cardinality(v_sweep) > 0 THEN
      FOR r IN
        WITH held_tasks AS (
          SELECT t.task_uuid, t.state FROM tasker.tasks t WHERE t.task_uuid = ANY (v_sweep)
            AND (t.state IN ('blocked_by_failures', 'error') OR t.steps_error > 0
                 OR t.task_uuid = ANY (SELECT m.t FROM unnest(v_move_tasks, v_move_to) AS m(t, s) WHERE m.s = 'error'))
        ), moved AS (
          UPDATE tasker.steps x SET state = 'enqueued', enqueued_at = now(), enqueue_event_id = nextval('tasker.event_id_seq'),
                                    enqueue_from = 'pending', updated_at = now()
          WHERE x.task_uuid = ANY (v_sweep) AND x.state = 'pending' AND x.unsatisfied_parents = 0
            AND (NOT EXISTS (SELECT 1 FROM held_tasks h WHERE h.task_uuid = x.task_uuid)
                 OR (x.step_type = 'batch_worker' AND x.initialization->'batch_metadata'->>'failure_strategy' = 'isolate'
                     AND NOT EXISTS (SELECT 1 FROM held_tasks h WHERE h.task_uuid = x.task_uuid AND h.state = 'error')))
          RETURNING x.task_uuid, x.namespace, x.handler_callable
        )
        SELECT m.task_uuid, m.namespace, array_agg(m.handler_callable) AS handlers, count(*)::integer AS n
        FROM moved m GROUP BY m.task_uuid, m.namespace
      LOOP
        v_enq_tasks := coalesce(v_enq_tasks, '{}') || r.task_uuid;
        v_enq_counts := coalesce(v_enq_counts, '{}') || r.n;
        IF p_notify THEN PERFORM tasker.notify_steps_ready(r.namespace, r.handlers); END IF;
      END LOOP;
    END IF;

    -- Every task settles once: the counters after its moves, one decision, one transition when its resting
    -- state changes, one update of its row.
    WITH m AS (
      SELECT u.t AS task_uuid,
             count(*)::integer AS n_done,
             count(*) FILTER (WHERE u.s = 'complete')::integer AS n_complete,
             count(*) FILTER (WHERE u.s = 'waiting_for_retry')::integer AS n_retry,
             count(*) FILTER (WHERE u.s = 'error')::integer AS n_error,
             bool_or(u.s <> 'complete') AS any_failed
      FROM unnest(v_move_tasks, v_move_to) AS u(t, s) GROUP BY u.t
    ), d AS (
      SELECT t.task_uuid, t.state AS from_state, t.completed_at, cc.c, coalesce(q.n, 0) AS n_enq, dec.*
      FROM m CROSS JOIN LATERAL (SELECT * FROM tasker.tasks y WHERE y.task_uuid = m.task_uuid LIMIT 1) t
      LEFT JOIN (SELECT q0.t, sum(q0.n)::integer AS n FROM unnest(v_enq_tasks, v_enq_counts) AS q0(t, n) GROUP BY q0.t) q
        ON q.t = m.task_uuid
      CROSS JOIN LATERAL (SELECT ROW(t.steps_pending - coalesce(q.n, 0), t.steps_active - m.n_done + coalesce(q.n, 0),
                                     t.steps_waiting_for_retry + m.n_retry, t.steps_complete + m.n_complete,
                                     t.steps_error + m.n_error, t.steps_cancelled, t.steps_resolved_manually
                                 )::tasker.step_counts AS c) cc
      CROSS JOIN LATERAL tasker.settle_decision(t.state, cc.c, t.steps_total,
                           CASE WHEN m.any_failed THEN 'step_failed' ELSE 'step_completed' END, coalesce(q.n, 0)) dec
    ), tr AS (
      INSERT INTO tasker.task_transitions (task_uuid, from_state, to_state, event, actor, reason, metadata)
      SELECT d.task_uuid, d.from_state, d.o_state, d.o_path, p_worker, d.o_reason,
             CASE WHEN d.n_enq > 0 THEN jsonb_build_object('count', d.n_enq) ELSE '{}'::jsonb END
      FROM d WHERE d.o_state <> d.from_state
    ), up AS (
      UPDATE tasker.tasks t SET
        steps_pending = (d.c).pending, steps_active = (d.c).active, steps_waiting_for_retry = (d.c).waiting_for_retry,
        steps_complete = (d.c).complete, steps_error = (d.c).error, state = d.o_state,
        state_entered_at = CASE WHEN d.o_state <> d.from_state THEN now() ELSE t.state_entered_at END,
        completed_at = tasker.completed_at_after(t.completed_at, d.from_state, d.o_state),
        updated_at = now()
      FROM d WHERE t.task_uuid = d.task_uuid AND t.task_uuid = ANY (v_move_tasks)
    )
    SELECT array_agg(d.task_uuid), array_agg(d.o_state),
           array_agg(d.task_uuid) FILTER (WHERE d.o_state = 'error' AND d.from_state <> 'error')
    INTO v_settled, v_settled_states, v_gave_up FROM d;

    PERFORM tasker.open_give_up_entry(x) FROM unnest(v_gave_up) AS x;
    PERFORM tasker.notify_task_event(x) FROM unnest(v_settled) AS x;
  END IF;

  RETURN QUERY
  SELECT i.sid, v_outcome[i.ord], v_step_state[i.ord],
         CASE WHEN v_task_of[i.ord] IS NULL THEN NULL
              ELSE coalesce(v_settled_states[array_position(v_settled, v_task_of[i.ord])],
                            (SELECT t.state FROM tasker.tasks t WHERE t.task_uuid = v_task_of[i.ord])) END,
         v_next[i.ord]
  FROM unnest(v_ids) WITH ORDINALITY AS i(sid, ord)
  ORDER BY i.ord;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Batch workers on every path: failure strategies, parallelism holds, operator actions, expired leases and
-- staleness.

-- The parallelism holds of one batch (the workers of p_template that the batchable step p_batch created),
-- recomputed exactly from its workers' states: running = enqueued, in_progress or waiting_for_retry; of the
-- pending workers in step_uuid order the first (parallelism − running) hold nothing and the others hold one
-- unit each. A worker in error does not run (isolate parks it while the others go on); reset_for_retry makes
-- it pending again and it waits for a slot like the rest. Returns whether a hold was released (the caller
-- dispatches what became ready); releases dispatch nothing themselves.
CREATE FUNCTION tasker.refresh_batch_slots(p_task uuid, p_batch uuid, p_template text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_cap integer;
  v_released integer;
BEGIN
  SELECT (x.plan->'steps'->p_template->'batch'->>'parallelism')::integer INTO v_cap
  FROM tasker.task_plans x WHERE x.task_uuid = p_task;
  IF v_cap IS NULL THEN
    RETURN false;
  END IF;
  WITH w AS (
    SELECT x.step_uuid, x.state FROM tasker.steps x
    WHERE x.task_uuid = p_task AND x.created_by_step_uuid = p_batch AND x.template_step = p_template
  ), want AS (
    SELECT w.step_uuid,
           CASE WHEN row_number() OVER (ORDER BY w.step_uuid)
                     <= greatest(v_cap - (SELECT count(*) FROM w WHERE w.state IN ('enqueued', 'in_progress', 'waiting_for_retry')), 0)
                THEN 0 ELSE 1 END::smallint AS h
    FROM w WHERE w.state = 'pending'
  ), up AS (
    UPDATE tasker.steps x SET held = want.h, total_parents = x.total_parents - x.held + want.h,
                              unsatisfied_parents = x.unsatisfied_parents - x.held + want.h, updated_at = now()
    FROM want WHERE x.step_uuid = want.step_uuid AND x.held <> want.h
    RETURNING want.h
  )
  SELECT count(*) FILTER (WHERE up.h = 0) INTO v_released FROM up;
  RETURN v_released > 0;
END $$;

-- A batch worker that has just come to rest in error (a failure reported without a retry left, or an expired
-- lease on its last attempt), by its batch's failure_strategy: continue_on_failure completes it with
-- {failed: true, error} as its result (the aggregator receives it by name); fail_fast cancels its unfinished
-- siblings, running ones fenced (counted on the task row here; the task then fails as after any permanent
-- failure); isolate leaves it in error for an operator. Returns the worker's state, complete or error; the
-- caller counts the worker's own move, releases its children when complete and refreshes the batch's slots.
CREATE FUNCTION tasker.apply_failure_strategy(p_step uuid, p_actor text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  w tasker.steps;
  s tasker.steps;
  r record;
  v_strategy text;
  v_counts tasker.step_counts := ROW(0, 0, 0, 0, 0, 0, 0)::tasker.step_counts;
BEGIN
  SELECT * INTO w FROM tasker.steps x WHERE x.step_uuid = p_step;
  v_strategy := coalesce(w.initialization->'batch_metadata'->>'failure_strategy', 'continue_on_failure');
  IF v_strategy = 'continue_on_failure' THEN
    PERFORM tasker.insert_step_transition(w.task_uuid, w.step_uuid, 'error', 'complete', 'complete_manually', w.attempts,
              p_actor, 'failure_strategy continue_on_failure', jsonb_build_object('failure_strategy', v_strategy));
    UPDATE tasker.steps x SET state = 'complete', results = jsonb_build_object('failed', true, 'error', w.last_error),
                              completed_at = now(), updated_at = now()
    WHERE x.step_uuid = w.step_uuid;
    RETURN 'complete';
  END IF;
  IF v_strategy = 'fail_fast' THEN
    FOR r IN
      SELECT * FROM tasker.steps x
      WHERE x.task_uuid = w.task_uuid AND x.created_by_step_uuid = w.created_by_step_uuid
        AND x.template_step = w.template_step AND x.step_uuid <> w.step_uuid
        AND x.state IN ('pending', 'enqueued', 'in_progress', 'waiting_for_retry')
      ORDER BY x.step_uuid FOR UPDATE
    LOOP
      SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = r.step_uuid;
      IF r.state = 'in_progress' THEN
        PERFORM tasker.record_attempt(s, 'cancelled', 'cancel', 'cancelled', p_actor, NULL,
                  jsonb_build_object('message', format('fail_fast: batch worker %s failed', w.name)));
      ELSE
        PERFORM tasker.flush_enqueue_event(s);
        PERFORM tasker.insert_step_transition(w.task_uuid, r.step_uuid, r.state, 'cancelled', 'cancel', r.attempts, p_actor,
                  format('fail_fast: batch worker %s failed', w.name));
      END IF;
      v_counts := tasker.counts_move(v_counts, r.state, 'cancelled');
    END LOOP;
    UPDATE tasker.steps x SET state = 'cancelled', completed_at = now(), lease_token = NULL, lease_expires_at = NULL,
                              leased_by = NULL, next_retry_at = NULL, enqueue_event_id = NULL, enqueue_from = NULL,
                              claim_event_id = NULL, held = 0, unsatisfied_parents = x.unsatisfied_parents - x.held,
                              total_parents = x.total_parents - x.held, updated_at = now()
    WHERE x.task_uuid = w.task_uuid AND x.created_by_step_uuid = w.created_by_step_uuid
      AND x.template_step = w.template_step AND x.step_uuid <> w.step_uuid
      AND x.state IN ('pending', 'enqueued', 'in_progress', 'waiting_for_retry');
    UPDATE tasker.tasks t SET steps_pending = t.steps_pending + (v_counts).pending, steps_active = t.steps_active + (v_counts).active,
                              steps_waiting_for_retry = t.steps_waiting_for_retry + (v_counts).waiting_for_retry,
                              steps_cancelled = t.steps_cancelled + (v_counts).cancelled, updated_at = now()
    WHERE t.task_uuid = w.task_uuid AND (v_counts).cancelled > 0;
  END IF;
  RETURN 'error';
END $$;

-- Enqueues the task's pending steps whose parents are all satisfied without one completing now (created ready,
-- a hold released). A held task (p_hold: a step in error, or the task blocked) dispatches only batch workers
-- of an isolate batch (the others finish), and none once it has given up (p_state error).
CREATE FUNCTION tasker.dispatch_ready_steps(p_task uuid, p_hold boolean, p_state text,
                                            OUT o_enqueued integer, OUT o_handlers text[])
LANGUAGE plpgsql AS $$
BEGIN
  WITH moved AS (
    UPDATE tasker.steps x SET state = 'enqueued', enqueued_at = now(), enqueue_event_id = nextval('tasker.event_id_seq'),
                              enqueue_from = 'pending', updated_at = now()
    WHERE x.task_uuid = p_task AND x.state = 'pending' AND x.unsatisfied_parents = 0
      AND (NOT p_hold OR (p_state <> 'error' AND x.step_type = 'batch_worker'
                          AND x.initialization->'batch_metadata'->>'failure_strategy' = 'isolate'))
    RETURNING x.handler_callable
  )
  SELECT count(*)::integer, coalesce(array_agg(moved.handler_callable), '{}') INTO o_enqueued, o_handlers FROM moved;
END $$;

-- Expired leases (0019), and for a batch worker whose last attempt this was, its batch's failure_strategy as
-- after a reported failure: the strategy, its children when it completes, the batch's slots, what became
-- ready, one settle of the task.
CREATE OR REPLACE FUNCTION tasker.sweep_expired_leases(p_limit integer, p_multiplier double precision)
RETURNS TABLE (step_uuid uuid, task_uuid uuid, error_type text, step_state text, next_retry_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  t tasker.tasks;
  s tasker.steps;
  f record;
  c tasker.step_counts;
  rel record;
  d record;
  v_to text;
  v_hold boolean;
  v_n integer;
  v_timeout boolean;
BEGIN
  FOR r IN
    SELECT x.step_uuid AS sid, x.task_uuid AS tid FROM tasker.steps x
    WHERE x.state = 'in_progress' AND x.lease_expires_at < now()
    ORDER BY x.lease_expires_at LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  LOOP
    SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = r.tid FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = r.sid;
    CONTINUE WHEN s.state <> 'in_progress';
    v_timeout := s.timeout_seconds IS NOT NULL AND now() >= s.last_attempted_at + make_interval(secs => s.timeout_seconds);
    error_type := CASE WHEN v_timeout THEN 'timeout' ELSE 'lease_expired' END;
    f := tasker.fail_running_step(s, 'lease_expired',
           jsonb_build_object(
             'message', CASE WHEN v_timeout THEN format('the step ran longer than its timeout of %s s', s.timeout_seconds)
                             ELSE format('the lease of worker %s expired without a result or heartbeat', s.leased_by) END,
             'error_type', error_type, 'retryable', true, 'status_code', NULL),
           true, NULL, p_multiplier, 'lease_sweeper', NULL);
    v_to := f.o_state;
    IF s.step_type = 'batch_worker' AND f.o_state = 'error' THEN
      v_to := tasker.apply_failure_strategy(r.sid, 'lease_sweeper');
      -- fail_fast counted its cancellations on the task row.
      SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = r.tid;
      c := tasker.counts_move(tasker.counts_of(t), 'in_progress', v_to);
      v_hold := c.error > 0 OR t.state IN ('blocked_by_failures', 'error');
      v_n := 0;
      IF v_to = 'complete' THEN
        rel := tasker.release_children(r.sid, v_hold);
        v_n := rel.o_enqueued;
        IF rel.o_enqueued > 0 THEN PERFORM tasker.notify_steps_ready(s.namespace, rel.o_handlers); END IF;
      END IF;
      PERFORM tasker.refresh_batch_slots(r.tid, s.created_by_step_uuid, s.template_step);
      d := tasker.dispatch_ready_steps(r.tid, v_hold, t.state);
      IF d.o_enqueued > 0 THEN PERFORM tasker.notify_steps_ready(s.namespace, d.o_handlers); END IF;
      v_n := v_n + d.o_enqueued;
      PERFORM tasker.settle_task(t, tasker.counts_move(c, 'pending', 'enqueued', v_n),
                                 CASE WHEN v_to = 'complete' THEN 'step_completed' ELSE 'step_failed' END, v_n, 'lease_sweeper');
    ELSE
      PERFORM tasker.settle_task(t, tasker.counts_move(tasker.counts_of(t), 'in_progress', f.o_state), 'step_failed', 0,
                                 'lease_sweeper');
    END IF;
    PERFORM tasker.notify_task_event(r.tid);
    step_uuid := r.sid;
    task_uuid := r.tid;
    step_state := v_to;
    next_retry_at := f.o_next_retry_at;
    RETURN NEXT;
  END LOOP;
END $$;

-- Operator actions (0019) on dynamic steps. complete_manually of a decision or batchable step applies the
-- result's outcome exactly as a worker's would, in this call (an outcome that cannot be applied refuses the
-- action: outcome invalid_outcome, detail = the error, nothing written); resolve_manually closes it without
-- expanding, so the convergence steps waiting for what it could have created stop holding; on a batch worker
-- any action refreshes its batch's slots (reset_for_retry: the worker waits for a slot like its pending
-- siblings). What became ready is dispatched before the task settles. New column: detail.
DROP FUNCTION tasker.apply_step_action(uuid, uuid, text, text, text, jsonb, jsonb, text[]);
CREATE FUNCTION tasker.apply_step_action(
  p_task uuid, p_step uuid, p_action text, p_actor text, p_reason text, p_result jsonb, p_audit jsonb,
  p_namespaces text[])
RETURNS TABLE (outcome text, step_state text, task_state text, detail text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  t tasker.tasks;
  s tasker.steps;
  c tasker.step_counts;
  rel record;
  d record;
  v_err jsonb;
  v_hold boolean;
  v_to text;
  v_state text;
BEGIN
  SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = p_task FOR UPDATE;
  IF NOT FOUND OR (p_namespaces IS NOT NULL AND NOT (t.namespace = ANY (p_namespaces))) THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text, NULL::text;
    RETURN;
  END IF;
  SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = p_step AND x.task_uuid = p_task FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, t.state, NULL::text;
    RETURN;
  END IF;
  v_to := tasker.step_next_state(s.state, p_action);
  IF v_to IS NULL OR p_action NOT IN ('reset_for_retry', 'resolve_manually', 'complete_manually') THEN
    RETURN QUERY SELECT 'invalid_state'::text, s.state, t.state, NULL::text;
    RETURN;
  END IF;
  IF p_action = 'complete_manually' AND s.step_type IN ('decision', 'batchable') THEN
    -- The expansion first, as on a worker's result: its steps are created before the step completes.
    v_err := tasker.expand_step(p_step, p_result, NULL, p_actor);
    IF v_err IS NOT NULL THEN
      RETURN QUERY SELECT 'invalid_outcome'::text, s.state, t.state, format('%s: %s', v_err->>'error_type', v_err->>'message');
      RETURN;
    END IF;
    -- Its counters moved with the created steps.
    SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = p_task;
  END IF;

  IF s.state = 'enqueued' THEN
    PERFORM tasker.flush_enqueue_event(s);
  END IF;
  PERFORM tasker.insert_step_transition(p_task, p_step, s.state, v_to, p_action,
            CASE WHEN p_action = 'reset_for_retry' THEN 0 ELSE s.attempts END, p_actor, p_reason,
            coalesce(jsonb_build_object('payload', p_audit), '{}'::jsonb));
  c := tasker.counts_move(tasker.counts_of(t), s.state, v_to);
  IF p_action = 'reset_for_retry' THEN
    UPDATE tasker.steps x SET state = 'pending', attempts = 0, next_retry_at = NULL, backoff_request_seconds = NULL,
                              updated_at = now()
    WHERE x.step_uuid = p_step;
    -- Nothing is dispatched (the task waits for resume); the worker may have to wait for a slot.
    IF s.step_type = 'batch_worker' THEN
      PERFORM tasker.refresh_batch_slots(p_task, s.created_by_step_uuid, s.template_step);
    END IF;
    v_state := tasker.settle_task(t, c, NULL, 0, p_actor);
  ELSE
    -- A pending step closed by hand gives up its holds (a waiting worker's slot, a convergence hold).
    UPDATE tasker.steps x SET state = v_to,
                              results = CASE WHEN p_action = 'complete_manually' THEN p_result ELSE x.results END,
                              completed_at = now(), next_retry_at = NULL, enqueue_event_id = NULL, enqueue_from = NULL,
                              held = 0, total_parents = x.total_parents - x.held,
                              unsatisfied_parents = x.unsatisfied_parents - x.held, updated_at = now()
    WHERE x.step_uuid = p_step;
    v_hold := c.error > 0 OR t.state IN ('blocked_by_failures', 'error');
    rel := tasker.release_children(p_step, v_hold);
    c := tasker.counts_move(c, 'pending', 'enqueued', rel.o_enqueued);
    IF rel.o_enqueued > 0 THEN PERFORM tasker.notify_steps_ready(t.namespace, rel.o_handlers); END IF;
    IF s.step_type IN ('decision', 'batchable', 'batch_worker') THEN
      IF s.step_type = 'batch_worker' THEN
        PERFORM tasker.refresh_batch_slots(p_task, s.created_by_step_uuid, s.template_step);
      ELSE
        PERFORM tasker.refresh_convergence_holds(p_task);
      END IF;
      d := tasker.dispatch_ready_steps(p_task, v_hold, t.state);
      c := tasker.counts_move(c, 'pending', 'enqueued', d.o_enqueued);
      IF d.o_enqueued > 0 THEN PERFORM tasker.notify_steps_ready(t.namespace, d.o_handlers); END IF;
      v_state := tasker.settle_task(t, c, 'step_completed', rel.o_enqueued + d.o_enqueued, p_actor);
    ELSE
      v_state := tasker.settle_task(t, c, 'step_completed', rel.o_enqueued, p_actor);
    END IF;
  END IF;
  PERFORM tasker.notify_task_event(p_task);
  RETURN QUERY SELECT 'ok'::text, v_to, v_state, NULL::text;
END $$;

-- Staleness (0020): a task closed as stale stops its batch workers like its other steps (no failure_strategy:
-- the task is closed as a whole); their batches' parallelism holds are refreshed in the same transaction.
CREATE OR REPLACE FUNCTION tasker.detect_stale_tasks(
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
        -- Stopped batch workers run no more: their batches' holds follow (released ones wait for resume).
        PERFORM tasker.refresh_batch_slots(r.tid, b.created_by_step_uuid, b.template_step)
        FROM (SELECT DISTINCT x.created_by_step_uuid, x.template_step FROM tasker.steps x
              WHERE x.step_uuid = ANY (v_ids) AND x.step_type = 'batch_worker') b;
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

-- task_invariant_violations (0019) with the dynamic parts: parent counters include holds; holds only where a
-- hold means something; each batch's parallelism holds exactly as refresh_batch_slots computes them and never
-- more workers running than its parallelism; each pending convergence step held exactly while a missing
-- dependency may still appear; the expansion ledger and the steps it created agree, and a decision or
-- batchable step is complete exactly when it expanded.
CREATE OR REPLACE FUNCTION tasker.task_invariant_violations(p_task_uuid uuid) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  WITH t AS (
    SELECT * FROM tasker.tasks WHERE task_uuid = p_task_uuid
  ),
  s AS (
    SELECT * FROM tasker.steps WHERE task_uuid = p_task_uuid
  ),
  actual AS (
    SELECT CASE WHEN state IN ('enqueued', 'in_progress') THEN 'active' ELSE state END AS bucket, count(*) AS n
    FROM s GROUP BY 1
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
  plan AS (
    SELECT x.plan, pp.o_existing, pp.o_possible FROM tasker.task_plans x
    CROSS JOIN LATERAL tasker.plan_possible(x.task_uuid, x.plan) pp
    WHERE x.task_uuid = p_task_uuid
  ),
  batch AS (
    SELECT s.step_uuid, s.name, s.state, s.held,
           (plan.plan->'steps'->s.template_step->'batch'->>'parallelism')::integer AS cap,
           count(*) FILTER (WHERE s.state IN ('enqueued', 'in_progress', 'waiting_for_retry'))
             OVER (PARTITION BY s.created_by_step_uuid, s.template_step) AS running,
           CASE WHEN s.state = 'pending'
                THEN count(*) FILTER (WHERE s.state = 'pending')
                       OVER (PARTITION BY s.created_by_step_uuid, s.template_step ORDER BY s.step_uuid) END AS queued
    FROM s CROSS JOIN plan WHERE s.step_type = 'batch_worker'
  ),
  task_history AS (
    SELECT event_id, from_state, to_state,
           lag(to_state) OVER (ORDER BY event_id) AS previous_to_state,
           row_number() OVER (ORDER BY event_id DESC) AS recency
    FROM tasker.task_transitions WHERE task_uuid = p_task_uuid
  ),
  step_history AS (
    SELECT step_uuid, event_id, from_state, to_state, event,
           lag(to_state) OVER (PARTITION BY step_uuid ORDER BY event_id) AS previous_to_state,
           row_number() OVER (PARTITION BY step_uuid ORDER BY event_id DESC) AS recency,
           count(*) OVER (PARTITION BY event_id) AS same_id
    FROM tasker.step_events WHERE task_uuid = p_task_uuid
  )
  SELECT format('task %s does not exist', p_task_uuid)
  WHERE NOT EXISTS (SELECT 1 FROM t)

  UNION ALL
  SELECT format('tasks.steps_total is %s, but the task has %s steps', t.steps_total, (SELECT count(*) FROM s))
  FROM t WHERE t.steps_total <> (SELECT count(*) FROM s)

  UNION ALL
  SELECT format('tasks.steps_%s is %s, but %s steps are %s', c.bucket, c.counter, coalesce(a.n, 0), c.bucket)
  FROM t
  CROSS JOIN LATERAL (VALUES
    ('pending', t.steps_pending), ('active', t.steps_active), ('waiting_for_retry', t.steps_waiting_for_retry),
    ('complete', t.steps_complete), ('error', t.steps_error), ('cancelled', t.steps_cancelled),
    ('resolved_manually', t.steps_resolved_manually)
  ) AS c(bucket, counter)
  LEFT JOIN actual a ON a.bucket = c.bucket
  WHERE c.counter <> coalesce(a.n, 0)

  UNION ALL
  SELECT format('step %s rests in %s, which only a transaction may pass through', s.name, s.state)
  FROM s WHERE s.state IN ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration')

  UNION ALL
  SELECT format('step %s: total_parents is %s, but it has %s parents and %s held', s.name, s.total_parents,
                coalesce(p.total, 0), s.held)
  FROM s LEFT JOIN parents p USING (step_uuid)
  WHERE s.total_parents <> coalesce(p.total, 0) + s.held

  UNION ALL
  SELECT format('step %s: unsatisfied_parents is %s, but %s parents are not complete/resolved_manually and %s held',
                s.name, s.unsatisfied_parents, coalesce(p.unsatisfied, 0), s.held)
  FROM s LEFT JOIN parents p USING (step_uuid)
  WHERE s.unsatisfied_parents <> coalesce(p.unsatisfied, 0) + s.held

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
  SELECT format('step %s is %s, but its latest event enters %s', s.name, s.state, coalesce(h.to_state, '(no event)'))
  FROM s LEFT JOIN step_history h ON h.step_uuid = s.step_uuid AND h.recency = 1
  WHERE h.to_state IS DISTINCT FROM s.state

  UNION ALL
  SELECT format('step %s: event %s leaves %s, but the step was %s', s.name, h.event_id,
                coalesce(h.from_state, '(nothing)'), coalesce(h.previous_to_state, '(nothing)'))
  FROM step_history h JOIN s USING (step_uuid)
  WHERE h.from_state IS DISTINCT FROM h.previous_to_state

  UNION ALL
  SELECT format('step %s: event %s (%s) is not allowed from %s to %s', s.name, h.event_id, h.event,
                coalesce(h.from_state, '(nothing)'), h.to_state)
  FROM step_history h JOIN s USING (step_uuid)
  WHERE NOT tasker.step_transition_allowed(h.from_state, h.event, h.to_state)

  UNION ALL
  SELECT DISTINCT format('event id %s is recorded %s times', h.event_id, h.same_id)
  FROM step_history h WHERE h.same_id > 1

  UNION ALL
  SELECT format('step %s is in_progress with lease %s, but attempt %s of it already ended', s.name, s.lease_token, a.attempt)
  FROM s JOIN tasker.step_attempts a ON a.lease_token = s.lease_token
  WHERE s.state = 'in_progress'
  UNION ALL
  SELECT format('step %s holds %s unit(s) in state %s (only pending batch_worker and deferred_convergence steps hold)',
                s.name, s.held, s.state)
  FROM s WHERE s.held > 0 AND (s.state NOT IN ('pending', 'cancelled') OR s.step_type NOT IN ('batch_worker', 'deferred_convergence'))

  UNION ALL
  SELECT format('step %s holds %s parallelism unit(s), but with %s of its batch running under parallelism %s it should hold %s',
                b.name, b.held, b.running, b.cap, CASE WHEN b.queued <= greatest(b.cap - b.running, 0) THEN 0 ELSE 1 END)
  FROM batch b
  WHERE b.state = 'pending' AND b.held <> CASE WHEN b.queued <= greatest(b.cap - b.running, 0) THEN 0 ELSE 1 END

  UNION ALL
  SELECT DISTINCT format('the batch of %s has %s workers running, over its parallelism %s', b.name, b.running, b.cap)
  FROM batch b WHERE b.running > b.cap

  UNION ALL
  SELECT format('step %s holds %s, but %s', s.name, s.held,
                CASE WHEN s.held = 0 THEN 'a dependency that does not exist may still appear'
                     ELSE 'no dependency that does not exist can still appear' END)
  FROM s CROSS JOIN plan
  WHERE s.step_type = 'deferred_convergence' AND s.state = 'pending'
    AND s.held <> CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(plan.plan->'steps'->s.name->'deps') AS d(n)
                                    WHERE d.n = ANY (plan.o_possible) AND NOT (d.n = ANY (plan.o_existing))) THEN 1 ELSE 0 END

  UNION ALL
  SELECT format('step %s is complete, but its expansion is not in tasker.task_expansions', s.name)
  FROM s WHERE s.step_type IN ('decision', 'batchable') AND s.state = 'complete'
    AND NOT EXISTS (SELECT 1 FROM tasker.task_expansions x WHERE x.task_uuid = p_task_uuid AND x.trigger_step_uuid = s.step_uuid)

  UNION ALL
  SELECT format('step %s expanded, but it is %s', s.name, s.state)
  FROM s JOIN tasker.task_expansions x ON x.task_uuid = p_task_uuid AND x.trigger_step_uuid = s.step_uuid
  WHERE s.state <> 'complete'

  UNION ALL
  SELECT format('expansion of %s lists %s, which is not a step it created', x.trigger_name, n)
  FROM tasker.task_expansions x CROSS JOIN LATERAL unnest(x.created_steps) AS n
  WHERE x.task_uuid = p_task_uuid
    AND NOT EXISTS (SELECT 1 FROM s WHERE s.name = n AND s.created_by_step_uuid = x.trigger_step_uuid)

  UNION ALL
  SELECT format('step %s was created by %s, whose expansion does not list it', s.name, coalesce(c.name, s.created_by_step_uuid::text))
  FROM s LEFT JOIN s c ON c.step_uuid = s.created_by_step_uuid
  WHERE s.created_by_step_uuid IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM tasker.task_expansions x WHERE x.task_uuid = p_task_uuid
                      AND x.trigger_step_uuid = s.created_by_step_uuid AND s.name = ANY (x.created_steps))
$$;

-- Staleness thresholds in one place, so the detector (engine) and the monitoring query (GET /v1/dlq/staleness)
-- classify a task against the same numbers (the reference's monitoring view hard-coded 60/30/30 while detection
-- used the configured values). Defaults come from config (staleness.thresholds) as arguments; a template
-- overrides them in `definition.lifecycle` (snake_case keys as in template YAML, or the camelCase of the
-- normalised domain object). Only positive numbers override; anything else falls back to the default.

-- Each function is one expression (no FROM), so the planner inlines them into the calling query instead of
-- running a function call per task row.
CREATE FUNCTION tasker.lifecycle_override_minutes(p_definition jsonb, p_key text, p_camel_key text)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(coalesce(p_definition -> 'lifecycle' -> p_key, p_definition -> 'lifecycle' -> p_camel_key)) = 'number'
     AND coalesce(p_definition -> 'lifecycle' -> p_key, p_definition -> 'lifecycle' -> p_camel_key)::float8 > 0
    THEN coalesce(p_definition -> 'lifecycle' -> p_key, p_definition -> 'lifecycle' -> p_camel_key)::float8
  END
$$;

-- Minutes a task may rest in `p_state` before it is stale; NULL for states staleness does not watch.
CREATE FUNCTION tasker.staleness_threshold_minutes(
  p_state text,
  p_definition jsonb,
  p_waiting_for_dependencies_minutes integer,
  p_waiting_for_retry_minutes integer,
  p_steps_in_process_minutes integer
) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_state
    WHEN 'waiting_for_dependencies' THEN coalesce(
      tasker.lifecycle_override_minutes(p_definition, 'max_waiting_for_dependencies_minutes', 'maxWaitingForDependenciesMinutes'),
      p_waiting_for_dependencies_minutes)
    WHEN 'waiting_for_retry' THEN coalesce(
      tasker.lifecycle_override_minutes(p_definition, 'max_waiting_for_retry_minutes', 'maxWaitingForRetryMinutes'),
      p_waiting_for_retry_minutes)
    WHEN 'steps_in_process' THEN coalesce(
      tasker.lifecycle_override_minutes(p_definition, 'max_steps_in_process_minutes', 'maxStepsInProcessMinutes'),
      p_steps_in_process_minutes)
  END
$$;

-- Longest age (minutes since created_at) of an unfinished task: lifecycle.max_duration_minutes, else the default.
CREATE FUNCTION tasker.task_max_lifetime_minutes(p_definition jsonb, p_default_hours integer)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(tasker.lifecycle_override_minutes(p_definition, 'max_duration_minutes', 'maxDurationMinutes'),
                  p_default_hours * 60.0)
$$;

COMMENT ON FUNCTION tasker.staleness_threshold_minutes(text, jsonb, integer, integer, integer) IS
  'Staleness threshold of a task state: config default, overridden by the template''s lifecycle. Shared by detection and monitoring.';

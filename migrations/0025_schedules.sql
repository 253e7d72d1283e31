-- Schedules: a template, a context and a trigger (a cron expression in a time zone, or a fixed interval). The
-- engine's scheduler (engine/scheduler.ts) computes fire times with croner, claims due schedules with
-- FOR UPDATE SKIP LOCKED and, per firing, in one transaction: inserts the firing, creates the task through the
-- tasks service, advances next_fire_at. A firing is keyed by (schedule_uuid, fire_at), so a tick creates its task
-- at most once whatever the number of replicas.

CREATE TABLE tasker.schedules (
  schedule_uuid     uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  namespace         text NOT NULL,
  name              text NOT NULL,
  version           text NOT NULL,
  context           jsonb NOT NULL DEFAULT '{}'::jsonb,
  cron_expression   text,
  time_zone         text,
  interval_seconds  integer,
  -- Interval ticks fall on whole multiples of interval_seconds after this moment (creation or trigger change).
  trigger_anchor_at timestamptz NOT NULL DEFAULT now(),
  overlap_policy    text NOT NULL DEFAULT 'allow',
  catch_up_policy   text NOT NULL DEFAULT 'skip_missed',
  catch_up_cap      integer NOT NULL DEFAULT 100,
  paused            boolean NOT NULL DEFAULT false,
  next_fire_at      timestamptz,
  last_fire_at      timestamptz,
  -- buffer_one: the fire time of the one firing waiting for the previous task to finish.
  buffered_fire_at  timestamptz,
  created_by        text NOT NULL,
  updated_by        text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT schedules_context_check CHECK (jsonb_typeof(context) = 'object'),
  CONSTRAINT schedules_trigger_check CHECK (
    (cron_expression IS NOT NULL AND time_zone IS NOT NULL AND interval_seconds IS NULL)
    OR (cron_expression IS NULL AND time_zone IS NULL AND interval_seconds IS NOT NULL)),
  CONSTRAINT schedules_interval_check CHECK (interval_seconds IS NULL OR interval_seconds >= 1),
  CONSTRAINT schedules_overlap_policy_check CHECK (overlap_policy IN ('allow', 'skip', 'buffer_one')),
  CONSTRAINT schedules_catch_up_policy_check CHECK (catch_up_policy IN ('skip_missed', 'run_once', 'run_all')),
  CONSTRAINT schedules_catch_up_cap_check CHECK (catch_up_cap >= 1)
);

COMMENT ON TABLE tasker.schedules IS
  'Recurring task creation: template + context + trigger (cron in a time zone, or interval), with overlap and catch-up policies.';

-- The scheduler's due scan: unpaused schedules by next fire time, and those holding a buffered firing.
CREATE INDEX schedules_due_idx ON tasker.schedules (next_fire_at) WHERE NOT paused;
CREATE INDEX schedules_buffered_idx ON tasker.schedules (buffered_fire_at) WHERE buffered_fire_at IS NOT NULL;
CREATE INDEX schedules_namespace_idx ON tasker.schedules (namespace, schedule_uuid);

-- One row per tick the scheduler handled. outcome: created (task_uuid set), skipped (overlap policy or a full
-- buffer), buffered (waits for the previous task; becomes created when it runs), failed (the task was refused:
-- error says why, e.g. the template is gone or the context no longer matches its input_schema).
CREATE TABLE tasker.schedule_firings (
  schedule_uuid  uuid NOT NULL REFERENCES tasker.schedules (schedule_uuid) ON DELETE CASCADE,
  fire_at        timestamptz NOT NULL,
  outcome        text NOT NULL,
  task_uuid      uuid REFERENCES tasker.tasks (task_uuid) ON DELETE SET NULL,
  error          text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT schedule_firings_pkey PRIMARY KEY (schedule_uuid, fire_at),
  CONSTRAINT schedule_firings_outcome_check CHECK (outcome IN ('created', 'skipped', 'buffered', 'failed'))
);

COMMENT ON TABLE tasker.schedule_firings IS
  'Each handled tick of a schedule, unique per (schedule, fire time), with the task it created.';

CREATE INDEX schedule_firings_task_idx ON tasker.schedule_firings (task_uuid) WHERE task_uuid IS NOT NULL;

-- Whether the latest task a schedule created is unfinished (not complete, error, cancelled or
-- resolved_manually): what the overlap policies skip and buffer_one wait on.
CREATE FUNCTION tasker.schedule_previous_unfinished(p_schedule uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce((
    SELECT t.state NOT IN ('complete', 'error', 'cancelled', 'resolved_manually')
    FROM tasker.schedule_firings f
    JOIN tasker.tasks t ON t.task_uuid = f.task_uuid
    WHERE f.schedule_uuid = p_schedule AND f.task_uuid IS NOT NULL
    ORDER BY f.fire_at DESC
    LIMIT 1), false)
$$;

-- History: append-only task and step transitions sharing one event_id sequence, step attempts (leases),
-- and the step audit trail. Every table here is task-scoped and keyed or indexed by task_uuid first.

CREATE TABLE tasker.task_transitions (
  event_id   bigint NOT NULL DEFAULT nextval('tasker.event_id_seq'),
  task_uuid  uuid NOT NULL REFERENCES tasker.tasks (task_uuid) ON DELETE CASCADE,
  -- NULL only for the transition that creates the task.
  from_state text CONSTRAINT task_transitions_from_state_check CHECK (from_state IN (
               'pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results',
               'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures',
               'complete', 'error', 'cancelled', 'resolved_manually')),
  to_state   text NOT NULL CONSTRAINT task_transitions_to_state_check CHECK (to_state IN (
               'pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results',
               'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures',
               'complete', 'error', 'cancelled', 'resolved_manually')),
  -- State-machine event name (snake_case), e.g. start, ready_steps_found, cancel, resume.
  event      text NOT NULL CONSTRAINT task_transitions_event_check CHECK (event ~ '^[a-z][a-z0-9_]*$'),
  actor      text,
  reason     text,
  metadata   jsonb NOT NULL DEFAULT '{}' CONSTRAINT task_transitions_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Replay of one task's history from a cursor: WHERE task_uuid = $1 AND event_id > $2 ORDER BY event_id.
  CONSTRAINT task_transitions_pkey PRIMARY KEY (task_uuid, event_id),
  -- A transition enters a state; "moving" to the state you are in is not one.
  CONSTRAINT task_transitions_changes_state_check CHECK (from_state IS DISTINCT FROM to_state)
);

CREATE TABLE tasker.step_transitions (
  event_id   bigint NOT NULL DEFAULT nextval('tasker.event_id_seq'),
  task_uuid  uuid NOT NULL,
  step_uuid  uuid NOT NULL,
  -- NULL only for the transition that creates the step.
  from_state text CONSTRAINT step_transitions_from_state_check CHECK (from_state IN (
               'pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration',
               'enqueued_as_error_for_orchestration', 'waiting_for_retry',
               'complete', 'error', 'cancelled', 'resolved_manually')),
  to_state   text NOT NULL CONSTRAINT step_transitions_to_state_check CHECK (to_state IN (
               'pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration',
               'enqueued_as_error_for_orchestration', 'waiting_for_retry',
               'complete', 'error', 'cancelled', 'resolved_manually')),
  event      text NOT NULL CONSTRAINT step_transitions_event_check CHECK (event ~ '^[a-z][a-z0-9_]*$'),
  -- The step's attempts counter after this transition (the attempt a claim started, or was running).
  attempt    integer NOT NULL DEFAULT 0 CONSTRAINT step_transitions_attempt_check CHECK (attempt >= 0),
  actor      text,
  reason     text,
  metadata   jsonb NOT NULL DEFAULT '{}' CONSTRAINT step_transitions_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT step_transitions_pkey PRIMARY KEY (task_uuid, event_id),
  CONSTRAINT step_transitions_changes_state_check CHECK (from_state IS DISTINCT FROM to_state),
  CONSTRAINT step_transitions_step_fkey FOREIGN KEY (task_uuid, step_uuid)
    REFERENCES tasker.steps (task_uuid, step_uuid) ON DELETE CASCADE
);
-- One step's history (audit views, state-path checks).
CREATE INDEX step_transitions_step_idx ON tasker.step_transitions (step_uuid, event_id);

-- One row per claim: who held the lease, until when, and how it ended. The lease token is the identity:
-- it is minted per claim and never reused, so a result or heartbeat carrying it finds exactly this row.
CREATE TABLE tasker.step_attempts (
  lease_token       uuid NOT NULL,
  task_uuid         uuid NOT NULL,
  step_uuid         uuid NOT NULL,
  -- The step's attempts counter at claim (1 = first run). Repeats after an operator reset_for_retry.
  attempt           integer NOT NULL CONSTRAINT step_attempts_attempt_check CHECK (attempt >= 1),
  worker_id         text NOT NULL,
  claimed_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz,
  -- NULL while running. released = the worker gave the lease back (shutdown) without a result.
  outcome           text CONSTRAINT step_attempts_outcome_check CHECK (outcome IN (
                      'completed', 'failed', 'lease_expired', 'cancelled', 'released')),
  execution_time_ms integer CONSTRAINT step_attempts_execution_time_ms_check CHECK (execution_time_ms >= 0),
  error             jsonb,
  CONSTRAINT step_attempts_pkey PRIMARY KEY (lease_token),
  CONSTRAINT step_attempts_finished_check CHECK ((outcome IS NULL) = (finished_at IS NULL)),
  CONSTRAINT step_attempts_step_fkey FOREIGN KEY (task_uuid, step_uuid)
    REFERENCES tasker.steps (task_uuid, step_uuid) ON DELETE CASCADE
);
-- At most one running attempt per step: a second concurrent claim of one step is impossible.
CREATE UNIQUE INDEX step_attempts_one_open_per_step ON tasker.step_attempts (step_uuid) WHERE finished_at IS NULL;
CREATE INDEX step_attempts_step_idx ON tasker.step_attempts (task_uuid, step_uuid, claimed_at);

-- The step audit trail returned by GET …/workflow_steps/{uuid}/audit: worker results and operator actions,
-- each tied to the transition it caused. Lease history lives in step_attempts; this table records what was
-- reported or decided, by whom, with the payload.
CREATE TABLE tasker.step_audit (
  audit_uuid        uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  event_id          bigint NOT NULL,
  task_uuid         uuid NOT NULL,
  step_uuid         uuid NOT NULL,
  action            text NOT NULL CONSTRAINT step_audit_action_check CHECK (action IN (
                      'worker_result', 'lease_expired', 'reset_for_retry', 'resolve_manually',
                      'complete_manually', 'cancel')),
  success           boolean NOT NULL,
  -- Operator (principal) for operator actions; NULL for worker results.
  performed_by      text,
  worker_id         text,
  lease_token       uuid,
  reason            text,
  execution_time_ms integer CONSTRAINT step_audit_execution_time_ms_check CHECK (execution_time_ms >= 0),
  -- The worker's result or error payload, or the operator's completion data.
  result            jsonb,
  from_state        text CONSTRAINT step_audit_from_state_check CHECK (from_state IN (
                      'pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration',
                      'enqueued_as_error_for_orchestration', 'waiting_for_retry',
                      'complete', 'error', 'cancelled', 'resolved_manually')),
  to_state          text NOT NULL CONSTRAINT step_audit_to_state_check CHECK (to_state IN (
                      'pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration',
                      'enqueued_as_error_for_orchestration', 'waiting_for_retry',
                      'complete', 'error', 'cancelled', 'resolved_manually')),
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT step_audit_event_key UNIQUE (task_uuid, event_id),
  CONSTRAINT step_audit_transition_fkey FOREIGN KEY (task_uuid, event_id)
    REFERENCES tasker.step_transitions (task_uuid, event_id) ON DELETE CASCADE
);
CREATE INDEX step_audit_step_idx ON tasker.step_audit (step_uuid, event_id DESC);

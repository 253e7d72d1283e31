-- Core model: templates, tasks, steps, edges. docs/schema.md explains every constraint and index.
-- Conventions: schema-qualified names only (the runner sets no search_path); states are snake_case text
-- with CHECKs (the public vocabulary of domain.md §1–§2); UUID v7 keys; forward-only. Schema `tasker`
-- itself is created by the migration runner (src/db/migrate.ts) before the first file runs.

-- UUID v7 (RFC 9562): 48-bit Unix ms timestamp, version 7, random rest. PostgreSQL has no built-in v7
-- before 18; gen_random_uuid() (core since 13) supplies the random bits and the variant.
CREATE FUNCTION tasker.uuid_generate_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid())
                PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                FROM 1 FOR 6),
        52, 1),
      53, 1),
    'hex')::uuid
$$;

-- The one global cursor of task and step transitions (event streams, audit order).
CREATE SEQUENCE tasker.event_id_seq AS bigint;

CREATE TABLE tasker.templates (
  template_uuid     uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  namespace         text NOT NULL CONSTRAINT templates_namespace_check CHECK (namespace ~ '^[A-Za-z0-9_]{1,29}$'),
  name              text NOT NULL CONSTRAINT templates_name_check CHECK (char_length(name) BETWEEN 1 AND 255),
  version           text NOT NULL CONSTRAINT templates_version_check CHECK (char_length(version) BETWEEN 1 AND 50),
  description       text,
  -- Validated and normalised (aliases resolved, defaults applied): what the engine reads.
  definition        jsonb NOT NULL CONSTRAINT templates_definition_check CHECK (jsonb_typeof(definition) = 'object'),
  -- As registered (the reference's `configuration`): what GET /v1/templates/... shows.
  configuration     jsonb NOT NULL CONSTRAINT templates_configuration_check CHECK (jsonb_typeof(configuration) = 'object'),
  content_hash      text NOT NULL CONSTRAINT templates_content_hash_check CHECK (content_hash <> ''),
  identity_strategy text NOT NULL DEFAULT 'strict'
    CONSTRAINT templates_identity_strategy_check CHECK (identity_strategy IN ('strict', 'caller_provided', 'always_unique')),
  registered_by     text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT templates_identity_key UNIQUE (namespace, name, version),
  -- Target of tasks_template_fkey: keeps the task's denormalised (namespace, name, version) truthful.
  CONSTRAINT templates_denormalised_key UNIQUE (template_uuid, namespace, name, version)
);

CREATE TABLE tasker.tasks (
  task_uuid             uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  template_uuid         uuid NOT NULL,
  namespace             text NOT NULL,
  name                  text NOT NULL,
  version               text NOT NULL,
  state                 text NOT NULL DEFAULT 'pending' CONSTRAINT tasks_state_check CHECK (state IN (
                          'pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results',
                          'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures',
                          'complete', 'error', 'cancelled', 'resolved_manually')),
  state_entered_at      timestamptz NOT NULL DEFAULT now(),
  context               jsonb NOT NULL DEFAULT '{}' CONSTRAINT tasks_context_check CHECK (jsonb_typeof(context) = 'object'),
  initiator             text NOT NULL DEFAULT 'unknown' CONSTRAINT tasks_initiator_check CHECK (char_length(initiator) <= 255),
  source_system         text NOT NULL DEFAULT 'unknown' CONSTRAINT tasks_source_system_check CHECK (char_length(source_system) <= 255),
  reason                text NOT NULL DEFAULT 'unknown' CONSTRAINT tasks_reason_check CHECK (char_length(reason) <= 500),
  priority              integer NOT NULL DEFAULT 0,
  tags                  text[] NOT NULL DEFAULT '{}' CONSTRAINT tasks_tags_check CHECK (array_position(tags, NULL) IS NULL),
  correlation_id        uuid NOT NULL DEFAULT tasker.uuid_generate_v7(),
  parent_correlation_id uuid,
  identity_hash         text NOT NULL CONSTRAINT tasks_identity_hash_check CHECK (identity_hash <> ''),
  idempotency_key       text CONSTRAINT tasks_idempotency_key_check CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  requested_at          timestamptz NOT NULL DEFAULT now(),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  completed_at          timestamptz,
  -- Highest event_id among this task's task and step transitions (written with them).
  last_event_id         bigint NOT NULL DEFAULT 0 CONSTRAINT tasks_last_event_id_check CHECK (last_event_id >= 0),
  -- One counter per step state, kept exact by the statement that moves a step (docs/schema.md).
  steps_total                               integer NOT NULL DEFAULT 0,
  steps_pending                             integer NOT NULL DEFAULT 0,
  steps_enqueued                            integer NOT NULL DEFAULT 0,
  steps_in_progress                         integer NOT NULL DEFAULT 0,
  steps_enqueued_for_orchestration          integer NOT NULL DEFAULT 0,
  steps_enqueued_as_error_for_orchestration integer NOT NULL DEFAULT 0,
  steps_waiting_for_retry                   integer NOT NULL DEFAULT 0,
  steps_complete                            integer NOT NULL DEFAULT 0,
  steps_error                               integer NOT NULL DEFAULT 0,
  steps_cancelled                           integer NOT NULL DEFAULT 0,
  steps_resolved_manually                   integer NOT NULL DEFAULT 0,
  CONSTRAINT tasks_identity_hash_key UNIQUE (identity_hash),
  CONSTRAINT tasks_template_fkey FOREIGN KEY (template_uuid, namespace, name, version)
    REFERENCES tasker.templates (template_uuid, namespace, name, version),
  CONSTRAINT tasks_step_counts_nonnegative CHECK (
    steps_total >= 0 AND steps_pending >= 0 AND steps_enqueued >= 0 AND steps_in_progress >= 0
    AND steps_enqueued_for_orchestration >= 0 AND steps_enqueued_as_error_for_orchestration >= 0
    AND steps_waiting_for_retry >= 0 AND steps_complete >= 0 AND steps_error >= 0 AND steps_cancelled >= 0
    AND steps_resolved_manually >= 0),
  -- A decrement without the matching increment (or the reverse) fails here, in the statement that did it.
  CONSTRAINT tasks_step_counts_sum CHECK (
    steps_pending + steps_enqueued + steps_in_progress + steps_enqueued_for_orchestration
    + steps_enqueued_as_error_for_orchestration + steps_waiting_for_retry + steps_complete + steps_error
    + steps_cancelled + steps_resolved_manually = steps_total),
  CONSTRAINT tasks_completed_at_check CHECK (
    (completed_at IS NOT NULL) = (state IN ('complete', 'error', 'cancelled', 'resolved_manually'))),
  CONSTRAINT tasks_complete_check CHECK (
    state <> 'complete' OR steps_complete + steps_resolved_manually = steps_total),
  CONSTRAINT tasks_cancelled_check CHECK (
    state <> 'cancelled' OR steps_complete + steps_cancelled + steps_resolved_manually = steps_total)
) WITH (fillfactor = 80); -- room for HOT updates: most task updates touch only counters and last_event_id

-- Listing newest first, optionally by namespace or state; analytics windows.
CREATE INDEX tasks_created_at_idx ON tasker.tasks (created_at DESC);
CREATE INDEX tasks_namespace_created_at_idx ON tasker.tasks (namespace, created_at DESC);
CREATE INDEX tasks_state_created_at_idx ON tasker.tasks (state, created_at DESC);
CREATE INDEX tasks_tags_idx ON tasker.tasks USING gin (tags);
CREATE INDEX tasks_correlation_id_idx ON tasker.tasks (correlation_id);
-- Staleness detection: unfinished tasks by time in state and by age. Small: only unfinished tasks.
CREATE INDEX tasks_active_state_idx ON tasker.tasks (state, state_entered_at)
  WHERE state NOT IN ('complete', 'error', 'cancelled', 'resolved_manually');
CREATE INDEX tasks_active_created_at_idx ON tasker.tasks (created_at)
  WHERE state NOT IN ('complete', 'error', 'cancelled', 'resolved_manually');

CREATE TABLE tasker.steps (
  step_uuid               uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  task_uuid               uuid NOT NULL REFERENCES tasker.tasks (task_uuid) ON DELETE CASCADE,
  name                    text NOT NULL CONSTRAINT steps_name_check CHECK (char_length(name) BETWEEN 1 AND 255),
  state                   text NOT NULL DEFAULT 'pending' CONSTRAINT steps_state_check CHECK (state IN (
                            'pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration',
                            'enqueued_as_error_for_orchestration', 'waiting_for_retry',
                            'complete', 'error', 'cancelled', 'resolved_manually')),
  -- Copies of the task's values, so claiming reads one table through one index.
  namespace               text NOT NULL,
  priority                integer NOT NULL DEFAULT 0,
  step_type               text NOT NULL DEFAULT 'standard' CONSTRAINT steps_step_type_check CHECK (step_type IN (
                            'standard', 'decision', 'deferred_convergence', 'batchable', 'batch_worker')),
  handler_callable        text NOT NULL CONSTRAINT steps_handler_callable_check CHECK (handler_callable <> ''),
  handler_method          text,
  -- handler.initialization from the template: the step's configuration handed to the handler.
  initialization          jsonb NOT NULL DEFAULT '{}' CONSTRAINT steps_initialization_check CHECK (jsonb_typeof(initialization) = 'object'),
  retryable               boolean NOT NULL DEFAULT true,
  -- Total runs including the first; 0 = one run, never retried (domain.md §2).
  max_attempts            integer NOT NULL DEFAULT 3 CONSTRAINT steps_max_attempts_check CHECK (max_attempts >= 0),
  backoff_kind            text NOT NULL DEFAULT 'exponential'
                            CONSTRAINT steps_backoff_kind_check CHECK (backoff_kind IN ('none', 'linear', 'exponential', 'fibonacci')),
  backoff_base_ms         integer NOT NULL DEFAULT 1000 CONSTRAINT steps_backoff_base_ms_check CHECK (backoff_base_ms >= 0),
  backoff_max_ms          integer NOT NULL DEFAULT 3600000,
  backoff_jitter          double precision NOT NULL DEFAULT 0.15
                            CONSTRAINT steps_backoff_jitter_check CHECK (backoff_jitter >= 0 AND backoff_jitter <= 1),
  -- Hard limit of one run: a lease never extends past last_attempted_at + timeout_seconds.
  timeout_seconds         integer CONSTRAINT steps_timeout_seconds_check CHECK (timeout_seconds > 0),
  attempts                integer NOT NULL DEFAULT 0 CONSTRAINT steps_attempts_check CHECK (attempts >= 0),
  total_parents           integer NOT NULL DEFAULT 0,
  -- Parents not yet complete/resolved_manually; the step is dispatched when it reaches 0.
  unsatisfied_parents     integer NOT NULL DEFAULT 0,
  results                 jsonb,
  last_error              jsonb,
  backoff_request_seconds integer CONSTRAINT steps_backoff_request_seconds_check CHECK (backoff_request_seconds >= 0),
  -- When a waiting_for_retry step may run again.
  next_retry_at           timestamptz,
  -- When the step last entered `enqueued`: claim order within a priority (FIFO).
  enqueued_at             timestamptz,
  last_attempted_at       timestamptz,
  last_failure_at         timestamptz,
  -- The current lease (fencing token, deadline, holder); present exactly while in_progress.
  lease_token             uuid,
  lease_expires_at        timestamptz,
  leased_by               text,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  completed_at            timestamptz,
  CONSTRAINT steps_task_name_key UNIQUE (task_uuid, name),
  -- Target of the composite foreign keys that keep edges, transitions and attempts inside one task.
  CONSTRAINT steps_task_step_key UNIQUE (task_uuid, step_uuid),
  CONSTRAINT steps_backoff_max_ms_check CHECK (backoff_max_ms >= backoff_base_ms),
  CONSTRAINT steps_parents_check CHECK (total_parents >= 0 AND unsatisfied_parents >= 0 AND unsatisfied_parents <= total_parents),
  CONSTRAINT steps_lease_check CHECK (
    (state = 'in_progress') = (lease_token IS NOT NULL)
    AND (state = 'in_progress') = (lease_expires_at IS NOT NULL)
    AND (state = 'in_progress' OR leased_by IS NULL)),
  -- Only a step whose parents are all satisfied can be dispatched, run or retried.
  CONSTRAINT steps_dispatch_requires_parents_check CHECK (
    unsatisfied_parents = 0 OR state IN ('pending', 'complete', 'error', 'cancelled', 'resolved_manually')),
  CONSTRAINT steps_enqueued_at_check CHECK (state <> 'enqueued' OR enqueued_at IS NOT NULL),
  CONSTRAINT steps_next_retry_at_check CHECK (state <> 'waiting_for_retry' OR next_retry_at IS NOT NULL),
  CONSTRAINT steps_completed_at_check CHECK (
    (completed_at IS NOT NULL) = (state IN ('complete', 'cancelled', 'resolved_manually')))
);

-- Claiming: `state = 'enqueued' AND namespace = $ns ORDER BY priority DESC, enqueued_at LIMIT n FOR UPDATE
-- SKIP LOCKED` walks this small index in order and stops after n rows, whatever the statistics say.
CREATE INDEX steps_claim_idx ON tasker.steps (namespace, priority DESC, enqueued_at, step_uuid)
  WHERE state = 'enqueued';
-- Lease sweeper: in-progress steps whose lease lapsed.
CREATE INDEX steps_lease_expiry_idx ON tasker.steps (lease_expires_at) WHERE state = 'in_progress';
-- Retry promotion: waiting_for_retry steps whose backoff elapsed.
CREATE INDEX steps_retry_due_idx ON tasker.steps (next_retry_at) WHERE state = 'waiting_for_retry';

CREATE TABLE tasker.step_edges (
  task_uuid        uuid NOT NULL,
  parent_step_uuid uuid NOT NULL,
  child_step_uuid  uuid NOT NULL,
  CONSTRAINT step_edges_pkey PRIMARY KEY (parent_step_uuid, child_step_uuid),
  CONSTRAINT step_edges_no_self_edge_check CHECK (parent_step_uuid <> child_step_uuid),
  -- Both ends in the edge's task: a DAG never crosses tasks.
  CONSTRAINT step_edges_parent_fkey FOREIGN KEY (task_uuid, parent_step_uuid)
    REFERENCES tasker.steps (task_uuid, step_uuid) ON DELETE CASCADE,
  CONSTRAINT step_edges_child_fkey FOREIGN KEY (task_uuid, child_step_uuid)
    REFERENCES tasker.steps (task_uuid, step_uuid) ON DELETE CASCADE
);
-- Parent → children is the primary key; children → parents (readiness read model, parent results):
CREATE INDEX step_edges_child_idx ON tasker.step_edges (child_step_uuid, parent_step_uuid);

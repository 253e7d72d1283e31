-- Operations: worker registry, dead-letter (investigation) entries, API keys.

-- Registered workers and when they were last heard from (register, claim, heartbeat). Liveness is derived:
-- last_seen_at within the configured window. Not referenced by foreign keys: steps and attempts keep the
-- worker id as plain text so registry cleanup never touches history.
CREATE TABLE tasker.workers (
  worker_id     text PRIMARY KEY CONSTRAINT workers_worker_id_check CHECK (char_length(worker_id) BETWEEN 1 AND 255),
  hostname      text NOT NULL DEFAULT '',
  version       text NOT NULL DEFAULT '',
  namespaces    text[] NOT NULL DEFAULT '{}' CONSTRAINT workers_namespaces_check CHECK (array_position(namespaces, NULL) IS NULL),
  handlers      text[] NOT NULL DEFAULT '{}' CONSTRAINT workers_handlers_check CHECK (array_position(handlers, NULL) IS NULL),
  metadata      jsonb NOT NULL DEFAULT '{}' CONSTRAINT workers_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  registered_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 70); -- last_seen_at is rewritten constantly and indexed nowhere: keep those updates HOT

-- Why a task got stuck, its snapshot, and the operator's conclusion (domain.md §8). Entries accumulate per
-- task; at most one is open (pending) at a time.
CREATE TABLE tasker.dlq_entries (
  dlq_entry_uuid       uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  task_uuid            uuid NOT NULL REFERENCES tasker.tasks (task_uuid) ON DELETE CASCADE,
  original_state       text NOT NULL CONSTRAINT dlq_entries_original_state_check CHECK (original_state IN (
                         'pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'evaluating_results',
                         'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures',
                         'complete', 'error', 'cancelled', 'resolved_manually')),
  reason               text NOT NULL CONSTRAINT dlq_entries_reason_check CHECK (reason IN (
                         'staleness_timeout', 'max_retries_exceeded', 'dependency_cycle_detected',
                         'worker_unavailable', 'manual_dlq')),
  dlq_timestamp        timestamptz NOT NULL DEFAULT now(),
  resolution_status    text NOT NULL DEFAULT 'pending' CONSTRAINT dlq_entries_resolution_status_check CHECK (
                         resolution_status IN ('pending', 'manually_resolved', 'permanently_failed', 'cancelled')),
  resolution_timestamp timestamptz,
  resolution_notes     text,
  resolved_by          text,
  task_snapshot        jsonb NOT NULL DEFAULT '{}' CONSTRAINT dlq_entries_task_snapshot_check CHECK (jsonb_typeof(task_snapshot) = 'object'),
  metadata             jsonb CONSTRAINT dlq_entries_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  -- Closing an entry stamps when.
  CONSTRAINT dlq_entries_resolution_timestamp_check CHECK (resolution_status = 'pending' OR resolution_timestamp IS NOT NULL)
);
CREATE UNIQUE INDEX dlq_entries_one_pending_per_task ON tasker.dlq_entries (task_uuid) WHERE resolution_status = 'pending';
-- Latest entry of a task; listings newest first, all or by status.
CREATE INDEX dlq_entries_task_idx ON tasker.dlq_entries (task_uuid, dlq_timestamp DESC);
CREATE INDEX dlq_entries_timestamp_idx ON tasker.dlq_entries (dlq_timestamp DESC);
CREATE INDEX dlq_entries_status_idx ON tasker.dlq_entries (resolution_status, dlq_timestamp DESC);

-- API keys are stored as SHA-256 digests only; the key itself is shown once at creation.
CREATE TABLE tasker.api_keys (
  key_uuid     uuid PRIMARY KEY DEFAULT tasker.uuid_generate_v7(),
  key_sha256   bytea NOT NULL CONSTRAINT api_keys_key_sha256_check CHECK (octet_length(key_sha256) = 32),
  description  text,
  permissions  text[] NOT NULL DEFAULT '{}' CONSTRAINT api_keys_permissions_check CHECK (array_position(permissions, NULL) IS NULL),
  -- NULL = every namespace.
  namespaces   text[] CONSTRAINT api_keys_namespaces_check CHECK (array_position(namespaces, NULL) IS NULL),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz,
  CONSTRAINT api_keys_key_sha256_key UNIQUE (key_sha256)
);

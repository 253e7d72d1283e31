// The public shapes of the worker package: handlers, the step context they receive, and the options of
// createWorker.
import type { TaskerClient } from '@tasker/client/types';
import type { JsonObject, JsonValue, StepCheckpoint } from '@tasker/shared';

/** pino-compatible subset: structured fields first, message second. */
export interface WorkerLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): WorkerLogger;
}

/** Why a step's `signal` fired. */
export type StepAbortReason = 'cancelled' | 'lease_lost' | 'timeout' | 'shutdown';

/** What a handler records with {@link StepContext.checkpoint}. */
export interface CheckpointInput {
  /** Where to resume (any JSON value but null): a row offset, a page token, the last id done. */
  cursor: JsonValue;
  /** Items done so far. Default 0. */
  itemsProcessed?: number;
  /** Partial results so far, handed back on resume. Default none. */
  accumulatedResults?: JsonValue | null;
}

/** What a handler receives for one attempt of one step. */
export interface StepContext {
  readonly taskUuid: string;
  readonly stepUuid: string;
  readonly stepName: string;
  readonly namespace: string;
  readonly taskName: string;
  readonly taskVersion: string;
  readonly correlationId: string;
  /** The task's input context. */
  readonly context: JsonObject;
  /** The step's `handler.initialization` from the template (environment overrides applied by the server). */
  readonly config: JsonObject;
  /** Results of the step's ancestors, by step name. */
  readonly parentResults: Readonly<Record<string, JsonValue>>;
  /** This attempt's number, starting at 1. */
  readonly attempt: number;
  /** Total runs allowed including the first. */
  readonly maxAttempts: number;
  /** The template's `handler.method`, when it names one. */
  readonly method: string | null;
  /** Bound with task_uuid, step_uuid, step_name, namespace and correlation_id. */
  readonly logger: WorkerLogger;
  /**
   * Fires when the task is cancelled, the lease is lost, the step's timeout passes or the worker shuts down;
   * `signal.reason` is a {@link StepAbortError} naming which. After it fires, the result is not reported
   * (a timeout is reported as a retryable `handler_timeout` failure).
   */
  readonly signal: AbortSignal;
  /**
   * The step's last checkpoint: on a retried attempt, where the previous one got to (resume from its cursor);
   * after this attempt's own {@link checkpoint} calls, the latest of those. Null when none was ever recorded.
   */
  readonly lastCheckpoint: StepCheckpoint | null;
  /**
   * Records how far this attempt got, at once (not batched) over the worker's transport; it also extends the
   * lease. When orchestration refuses it because the lease is lost or the task was cancelled, `signal` fires and
   * the returned promise rejects with the same {@link StepAbortError}. Rejects with the client's error when the
   * checkpoint is over the server's size limit (VALIDATION_FAILED) or orchestration is unreachable.
   */
  checkpoint(input: CheckpointInput): Promise<void>;
}

/** A step handler: resolves with the step's JSON result, or throws (see RetryableError / PermanentError). */
export type Handler = (ctx: StepContext) => Promise<JsonValue>;

/** How the worker reaches orchestration. */
export interface OrchestrationConnection {
  transport: 'grpc' | 'rest';
  /** One orchestration address (`host:port`, or `http(s)://host:port` for REST). */
  address?: string;
  /** Several replicas; calls are spread across them and fail over on UNAVAILABLE. */
  addresses?: string[];
  credentials?: { apiKey?: string; token?: string };
}

/** Either a connection description or a ready client (tests, embedding in a process that already has one). */
export type OrchestrationOption = OrchestrationConnection | { client: TaskerClient };

export interface WorkerSurfacesOptions {
  /** `host:port` of the worker's REST surface, or false/absent for none. */
  rest?: string | false;
  /** `host:port` of the worker's gRPC surface, or false/absent for none. */
  grpc?: string | false;
  /** When set, templates and config on both surfaces require this key (health and metrics stay public). */
  apiKey?: string;
  /** Header / metadata key carrying the surface API key. Default: config `auth.api_keys.header` (`x-api-key`). */
  apiKeyHeader?: string;
  /**
   * grpc.reflection.v1 on the gRPC surface. Default: config/default.yaml's `grpc.reflection` (off). When on and not public,
   * it needs the surface key like templates and config (public anyway when no surface key is set).
   */
  reflection?: { enabled: boolean; public: boolean };
}

export interface WorkerOptions {
  orchestration: OrchestrationOption;
  /** Handler callable (as named by templates' `handler.callable`) → function. */
  handlers: Record<string, Handler>;
  /** Template definitions (parsed YAML objects or YAML text) to validate, register and serve. */
  templates?: unknown[];
  /** Directory of `*.yaml` / `*.yml` templates, read at start (added to `templates`). */
  templatesDir?: string;
  /** Namespaces to claim from. Default: the namespaces of the loaded templates. */
  namespaces?: string[];
  /** Handlers run at once. Default: config `worker.concurrency` (10). */
  concurrency?: number;
  /** Limit of one handler run unless the step sets `timeout_seconds`. Default: config `worker.handler_timeout_ms` (30 000). */
  handlerTimeoutMs?: number;
  /** On stop, how long running handlers may finish before their leases are released. Default: config `worker.drain_timeout_ms` (30 000). */
  drainTimeoutMs?: number;
  /** Long-poll wait per claim (the server caps it). Default: config `worker.claim_wait_ms` (20 000). */
  claimWaitMs?: number;
  /** Most results reported in one call. Default: config `worker.result_batch_max` (64). */
  resultBatchMax?: number;
  /**
   * How long the first result of a batch waits for others before it is sent. Default: config
   * `worker.result_batch_window_ms` (0: a result is sent as soon as no report is on the wire, and results
   * finishing meanwhile go together in the next call).
   */
  resultBatchWindowMs?: number;
  /** Fixed heartbeat period; default a third of the shortest lease held (100 ms – 10 s). */
  heartbeatIntervalMs?: number;
  /** Default `<hostname>-<pid>-<random>`. */
  workerId?: string;
  /** Reported to orchestration and on the surfaces. Default the package version. */
  version?: string;
  /** Reported on the surfaces. Default: config `environment` of default.yaml (`development`). */
  environment?: string;
  /** Overwrite registered templates whose content changed (the reference's behaviour). Default true. */
  forceTemplates?: boolean;
  /** Default JSON lines on stderr at `info`. */
  logger?: WorkerLogger;
  surfaces?: WorkerSurfacesOptions;
  /** Extra allow-listed facts shown by the config surface (never secrets). */
  safeConfig?: JsonObject;
}

export type WorkerState = 'created' | 'starting' | 'running' | 'draining' | 'stopped';

export interface Worker {
  readonly workerId: string;
  readonly state: WorkerState;
  /** Validates templates (throws on missing handlers), serves the surfaces, registers, then starts claiming. */
  start(): Promise<void>;
  /** Graceful drain: stop claiming, let running steps finish up to drainTimeoutMs, release the rest. */
  stop(): Promise<void>;
  /** Bound surface addresses (`host:port`), after start. */
  surfaceAddresses(): { rest: string | null; grpc: string | null };
  /** Prometheus text of the worker's metrics. */
  metricsText(): Promise<string>;
}

// The one typed interface of the SDK, identical for both transports. It mirrors the orchestration service layer
// (packages/orchestration/src/services/types.ts) minus the principal, which the server derives from credentials.
import type {
  BottleneckAnalysis,
  ClaimInput,
  ClaimedStep,
  CompleteStepInput,
  CreateTaskInput,
  DlqCreateInput,
  DlqEntry,
  DlqInvestigationItem,
  DlqListQuery,
  DlqStats,
  DlqUpdateInput,
  Schedule,
  ScheduleCreateInput,
  ScheduleFiring,
  ScheduleFiringListQuery,
  ScheduleListQuery,
  ScheduleUpdateInput,
  FailStepInput,
  HealthReport,
  HeartbeatInput,
  CheckpointStepInput,
  CheckpointStepResult,
  JsonObject,
  LeaseState,
  Page,
  PerformanceMetrics,
  RegisterWorkerInput,
  ReleaseLeasesInput,
  ReportResultsInput,
  ReportResultsOutput,
  StalenessItem,
  Step,
  StepAudit,
  StepManualAction,
  StepResultAck,
  Task,
  TaskContextView,
  TaskListQuery,
  TaskStatusEvent,
  TaskSummary,
  TaskWithSteps,
  Template,
  TemplateList,
  TemplateRegistration,
  TemplateValidation,
  WatchOptions,
  WorkerInfo,
} from '@tasker/shared';
import type { ApiKey, CreateApiKeyInput, CreatedApiKey } from '@tasker/shared/domain/auth';

/** Transport used to reach orchestration. Both expose exactly the same operations and errors. */
export type Transport = 'rest' | 'grpc';

/** Task list filters; `limit` defaults to 25 and `offset` to 0. */
export type TaskListOptions = Partial<TaskListQuery>;

export interface TasksApi {
  /** Creates a task. Retried on UNAVAILABLE/BACKPRESSURE only when `idempotencyKey` is set. */
  create(input: CreateTaskInput): Promise<Task>;
  get(taskUuid: string): Promise<Task>;
  getWithSteps(taskUuid: string): Promise<TaskWithSteps>;
  list(options?: TaskListOptions): Promise<Page<Task>>;
  cancel(taskUuid: string, options?: { reason?: string; performedBy?: string }): Promise<Task>;
  getContext(taskUuid: string): Promise<TaskContextView>;
  summary(taskUuid: string): Promise<TaskSummary>;
  resume(taskUuid: string, input: { performedBy: string; reason: string }): Promise<Task>;
  /**
   * Closes a `blocked_by_failures` or `error` task as `resolved_manually` (audited): steps still pending,
   * enqueued, running or backing off are cancelled, failed ones stay in error, the pending DLQ entry becomes
   * manually_resolved. INVALID_STATE for any other state. Needs `tasks:cancel`. Never retried by the SDK.
   */
  resolve(taskUuid: string, input: { performedBy: string; reason: string }): Promise<Task>;
  /**
   * The task's events in order: history first, then live, ending after the terminal event. Reconnects on its own
   * after a transport failure and resumes from the last `eventId` it yielded, so no event is missed or repeated.
   */
  watch(taskUuid: string, options?: WatchOptions): AsyncIterable<TaskStatusEvent>;
}

export interface StepsApi {
  list(taskUuid: string): Promise<Step[]>;
  get(taskUuid: string, stepUuid: string): Promise<Step>;
  applyManualAction(taskUuid: string, stepUuid: string, action: StepManualAction): Promise<Step>;
  audit(taskUuid: string, stepUuid: string): Promise<StepAudit[]>;
}

export interface TemplatesApi {
  list(filter?: { namespace?: string }): Promise<TemplateList>;
  get(namespace: string, name: string, version: string): Promise<Template>;
  /** Validates a template object (or YAML text) without registering it. */
  validate(raw: unknown): Promise<TemplateValidation>;
  register(raws: unknown[], options?: { force?: boolean }): Promise<TemplateRegistration[]>;
}

export interface WorkersApi {
  register(input: RegisterWorkerInput): Promise<WorkerInfo>;
  list(): Promise<WorkerInfo[]>;
  /** Long-poll for work; resolves with [] after `waitMs`, or early when `signal` aborts. */
  claim(input: ClaimInput, signal?: AbortSignal): Promise<ClaimedStep[]>;
  heartbeat(input: HeartbeatInput): Promise<LeaseState[]>;
  /**
   * Records how far a leased step got and extends its lease. INVALID_STATE (details.reason `lease_lost` or
   * `cancelled`) when the lease is no longer current; VALIDATION_FAILED over the server's size limit.
   */
  checkpoint(input: CheckpointStepInput): Promise<CheckpointStepResult>;
  complete(input: CompleteStepInput): Promise<StepResultAck>;
  fail(input: FailStepInput): Promise<StepResultAck>;
  /**
   * Many results in one call (completions and failures mixed), each with its own outcome in input order: a refused
   * one (`lease_lost`, `cancelled`, `not_found`) changes nothing and is not an error. With `claim` (maxSteps > 0,
   * needs `worker:claim`), more steps are claimed in the same call without waiting. Never retried by the SDK.
   */
  reportResults(input: ReportResultsInput): Promise<ReportResultsOutput>;
  release(input: ReleaseLeasesInput): Promise<LeaseState[]>;
}

export interface DlqApi {
  list(query?: Partial<DlqListQuery>): Promise<DlqEntry[]>;
  getByTask(taskUuid: string): Promise<DlqEntry>;
  /**
   * Opens a `manual_dlq` entry for a task in any state (who and why go into its snapshot). ALREADY_EXISTS while
   * the task has a pending entry. Needs `dlq:update`. Never retried by the SDK.
   */
  create(taskUuid: string, input: DlqCreateInput): Promise<DlqEntry>;
  update(dlqEntryUuid: string, input: DlqUpdateInput): Promise<DlqEntry>;
  stats(): Promise<DlqStats[]>;
  investigationQueue(limit?: number): Promise<DlqInvestigationItem[]>;
  staleness(limit?: number): Promise<StalenessItem[]>;
}

export interface AnalyticsApi {
  performance(hours?: number): Promise<PerformanceMetrics>;
  bottlenecks(options?: { limit?: number; minExecutions?: number; hours?: number }): Promise<BottleneckAnalysis>;
}

export interface HealthApi {
  live(): Promise<HealthReport>;
  /** Resolves with the report whether or not the server is ready (status `ready` / `not_ready`). */
  ready(): Promise<HealthReport>;
  detailed(): Promise<HealthReport>;
}

export interface ConfigApi {
  /** The server's safe configuration view (never URLs, secrets or keys). */
  get(): Promise<JsonObject>;
}

/** Stored API keys (AuthService: CreateApiKey, ListApiKeys, RevokeApiKey; REST `/v1/auth/keys`). */
export interface ApiKeysApi {
  /** Creates a stored API key; the plain key is in the answer only (keep it: it is never shown again). */
  create(input: CreateApiKeyInput): Promise<CreatedApiKey>;
  /** Stored keys (digests only: the plain keys are never returned). */
  list(): Promise<ApiKey[]>;
  /** Revokes a key; it is refused from then on. Revoking a revoked key returns it unchanged. */
  revoke(keyUuid: string): Promise<ApiKey>;
}

/** Schedules: recurring task creation. Permissions `schedules:create|read|update|delete`. */
export interface SchedulesApi {
  /** Never retried by the SDK (a repeat after a lost answer would create a second schedule). */
  create(input: ScheduleCreateInput): Promise<Schedule>;
  /** Oldest first; limit 50, offset 0 by default. */
  list(query?: Partial<ScheduleListQuery>): Promise<Schedule[]>;
  get(scheduleUuid: string): Promise<Schedule>;
  update(scheduleUuid: string, input: ScheduleUpdateInput): Promise<Schedule>;
  pause(scheduleUuid: string): Promise<Schedule>;
  resume(scheduleUuid: string): Promise<Schedule>;
  /** Returns the schedule as it was; the tasks it created stay. */
  delete(scheduleUuid: string): Promise<Schedule>;
  /** Newest tick first, with the task each created; limit 50, offset 0 by default. */
  firings(scheduleUuid: string, query?: Partial<ScheduleFiringListQuery>): Promise<ScheduleFiring[]>;
}

/** A connected client. Call `close()` to release channels. */
export interface TaskerClient {
  readonly transport: Transport;
  readonly tasks: TasksApi;
  readonly steps: StepsApi;
  readonly templates: TemplatesApi;
  readonly workers: WorkersApi;
  readonly dlq: DlqApi;
  readonly schedules: SchedulesApi;
  readonly analytics: AnalyticsApi;
  readonly health: HealthApi;
  readonly config: ConfigApi;
  /** API key administration (needs `auth:manage_keys`). */
  readonly apiKeys: ApiKeysApi;
  close(): Promise<void>;
}

// The service layer's contract. REST routes and gRPC handlers depend only on this interface; the engine
// implements it. Every method takes the calling Principal first and throws AppError (from @tasker/shared/errors)
// for every expected failure: NOT_FOUND, VALIDATION_FAILED (with details.fields), INVALID_STATE, ALREADY_EXISTS…
import type {
  ClaimInput,
  ClaimedStep,
  CompleteStepInput,
  CreateTaskInput,
  CreatedTask,
  DlqCreateInput,
  DlqEntry,
  DlqInvestigationItem,
  DlqListQuery,
  DlqStats,
  DlqUpdateInput,
  FailStepInput,
  HealthReport,
  HeartbeatInput,
  CheckpointStepInput,
  CheckpointStepResult,
  JsonObject,
  LeaseState,
  Page,
  RegisterWorkerInput,
  Schedule,
  ScheduleCreateInput,
  ScheduleFiring,
  ScheduleFiringListQuery,
  ScheduleListQuery,
  ScheduleUpdateInput,
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
import type { PerformanceMetrics, BottleneckAnalysis } from '@tasker/shared';
import type { ApiKey, CreateApiKeyInput, CreatedApiKey } from '@tasker/shared';
import type { Principal } from '@tasker/shared/permissions';
import type { Db } from '../repositories/tasks.js';

export interface TaskService {
  /** One transaction: template, input schema, identity, task + steps + edges + transitions + first enqueue. */
  create(principal: Principal, input: CreateTaskInput): Promise<Task>;
  /** `create`, with the admission state of the task's namespace it was created under (what transports answer). */
  createWithAdmission(principal: Principal, input: CreateTaskInput): Promise<CreatedTask>;
  /**
   * `create` inside the caller's transaction `tx` (the scheduler's firing): same rules, admission included. A
   * stale template cache entry is dropped and the error rethrown; the caller retries with a new transaction.
   */
  createInTransaction(tx: Db, principal: Principal, input: CreateTaskInput): Promise<Task>;
  get(principal: Principal, taskUuid: string): Promise<Task>;
  getWithSteps(principal: Principal, taskUuid: string): Promise<TaskWithSteps>;
  list(principal: Principal, query: TaskListQuery): Promise<Page<Task>>;
  /** Cancels the task and every unfinished step; INVALID_STATE when the task is already terminal. */
  cancel(
    principal: Principal,
    taskUuid: string,
    input: { reason: string | null; performedBy: string | null },
  ): Promise<Task>;
  getContext(principal: Principal, taskUuid: string): Promise<TaskContextView>;
  summary(principal: Principal, taskUuid: string): Promise<TaskSummary>;
  /** Continues an `error` task whose failed steps were fixed; audited; resolves its pending DLQ entry. */
  resume(principal: Principal, taskUuid: string, input: { performedBy: string; reason: string }): Promise<Task>;
  /**
   * Closes a `blocked_by_failures` or `error` task as `resolved_manually`: audited, its unfinished steps other
   * than the failed ones cancelled, its pending DLQ entry manually_resolved; INVALID_STATE for any other state.
   */
  resolve(principal: Principal, taskUuid: string, input: { performedBy: string; reason: string }): Promise<Task>;
}

export interface StepService {
  list(principal: Principal, taskUuid: string): Promise<Step[]>;
  /** NOT_FOUND also when the step belongs to another task. */
  get(principal: Principal, taskUuid: string, stepUuid: string): Promise<Step>;
  applyManualAction(principal: Principal, taskUuid: string, stepUuid: string, action: StepManualAction): Promise<Step>;
  /** Newest first. */
  audit(principal: Principal, taskUuid: string, stepUuid: string): Promise<StepAudit[]>;
}

export interface TemplateService {
  list(principal: Principal, filter: { namespace?: string }): Promise<TemplateList>;
  get(principal: Principal, namespace: string, name: string, version: string): Promise<Template>;
  /** Validates a raw template (already-parsed YAML/JSON object, or YAML text); never throws for template problems. */
  validate(principal: Principal, raw: unknown): Promise<TemplateValidation>;
  /** Registers raw templates; VALIDATION_FAILED listing every problem; INVALID_STATE for changed content without force. */
  register(principal: Principal, raws: unknown[], options: { force: boolean }): Promise<TemplateRegistration[]>;
}

export interface WorkerService {
  register(principal: Principal, input: RegisterWorkerInput): Promise<WorkerInfo>;
  list(principal: Principal): Promise<WorkerInfo[]>;
  /** Long-poll: resolves with [] after waitMs, or early when `signal` aborts (client hung up). */
  claim(principal: Principal, input: ClaimInput, signal?: AbortSignal): Promise<ClaimedStep[]>;
  heartbeat(principal: Principal, input: HeartbeatInput): Promise<LeaseState[]>;
  /**
   * Records a checkpoint and extends the lease. VALIDATION_FAILED over the size limit; INVALID_STATE ("lease
   * lost", reason lease_lost or cancelled) when the token is stale, and nothing is written then.
   */
  checkpoint(principal: Principal, input: CheckpointStepInput): Promise<CheckpointStepResult>;
  /** INVALID_STATE ("lease lost") when the token is stale; nothing changes then. */
  complete(principal: Principal, input: CompleteStepInput): Promise<StepResultAck>;
  fail(principal: Principal, input: FailStepInput): Promise<StepResultAck>;
  /**
   * Many results (completions and failures mixed) in one call, each with its own outcome (a refused one changes
   * nothing); optionally claims more steps in the same call, so a freed slot never waits for a round trip.
   */
  reportResults(principal: Principal, input: ReportResultsInput): Promise<ReportResultsOutput>;
  /** A draining worker gives leases back: the steps return to `enqueued` without counting an attempt failure. */
  release(principal: Principal, input: ReleaseLeasesInput): Promise<LeaseState[]>;
}

export interface TaskEventService {
  /** Replay from `afterEventId`, then live; keepalives; ends after the terminal task event or on abort. */
  watch(principal: Principal, taskUuid: string, options: WatchOptions): AsyncIterable<TaskStatusEvent>;
}

export interface DlqService {
  list(principal: Principal, query: DlqListQuery): Promise<DlqEntry[]>;
  getByTask(principal: Principal, taskUuid: string): Promise<DlqEntry>;
  update(principal: Principal, dlqEntryUuid: string, input: DlqUpdateInput): Promise<DlqEntry>;
  /** Opens a `manual_dlq` entry for a task in any state; ALREADY_EXISTS while the task has a pending one. */
  create(principal: Principal, taskUuid: string, input: DlqCreateInput): Promise<DlqEntry>;
  stats(principal: Principal): Promise<DlqStats[]>;
  investigationQueue(principal: Principal, limit: number): Promise<DlqInvestigationItem[]>;
  staleness(principal: Principal, limit: number): Promise<StalenessItem[]>;
}

export interface AnalyticsService {
  performance(principal: Principal, hours: number): Promise<PerformanceMetrics>;
  bottlenecks(
    principal: Principal,
    options: { limit: number; minExecutions: number; hours: number },
  ): Promise<BottleneckAnalysis>;
}

export interface HealthService {
  live(): Promise<HealthReport>;
  /** status `ready` or `not_ready` (the transports answer 503 / UNAVAILABLE for the latter). */
  ready(): Promise<HealthReport>;
  detailed(): Promise<HealthReport>;
  /** Cheap, cached readiness for grpc.health.v1 and probes; listeners fire on change. */
  isReady(): boolean;
  onReadinessChange(listener: (ready: boolean) => void): () => void;
}

export interface ConfigService {
  /** The allow-listed safe view; never URLs, secrets or keys. `auth.api_key_count` includes the stored keys. */
  safe(principal: Principal): Promise<JsonObject>;
}

/** Stored API keys. The caller's own grants and namespace scope bound what it may issue and see. */
export interface ApiKeyService {
  /**
   * Issues a key; the plain key is in the result only. VALIDATION_FAILED for unknown grants or a past expiry;
   * PERMISSION_DENIED naming a grant the caller does not hold, or a namespace scope wider than its own.
   */
  create(principal: Principal, input: CreateApiKeyInput): Promise<CreatedApiKey>;
  /** Newest first, revoked ones included, without secrets; a scoped caller sees keys within its scope only. */
  list(principal: Principal): Promise<ApiKey[]>;
  /** Idempotent; NOT_FOUND for an unknown key or one outside the caller's scope. */
  revoke(principal: Principal, keyUuid: string): Promise<ApiKey>;
}

export interface ScheduleService {
  /** VALIDATION_FAILED naming the field for a bad trigger or policy; NOT_FOUND for an unknown template. */
  create(principal: Principal, input: ScheduleCreateInput): Promise<Schedule>;
  /** Oldest first. */
  list(principal: Principal, query: ScheduleListQuery): Promise<Schedule[]>;
  get(principal: Principal, scheduleUuid: string): Promise<Schedule>;
  /** Only the given fields change; a trigger change recomputes next_fire_at from now. */
  update(principal: Principal, scheduleUuid: string, input: ScheduleUpdateInput): Promise<Schedule>;
  /** No tick fires while paused (next_fire_at null); idempotent. */
  pause(principal: Principal, scheduleUuid: string): Promise<Schedule>;
  /** Continues with the first tick after now (ticks while paused are not caught up); idempotent. */
  resume(principal: Principal, scheduleUuid: string): Promise<Schedule>;
  /** Deletes the schedule and its firings (the tasks it created stay); returns it as it was. */
  delete(principal: Principal, scheduleUuid: string): Promise<Schedule>;
  /** Newest tick first, each with the task it created (if any). */
  listFirings(principal: Principal, scheduleUuid: string, query: ScheduleFiringListQuery): Promise<ScheduleFiring[]>;
}

/** Everything the transports are handed. Optional members arrive with their issues. */
export interface Services {
  tasks: TaskService;
  steps: StepService;
  templates: TemplateService;
  workers: WorkerService;
  taskEvents: TaskEventService;
  health: HealthService;
  config: ConfigService;
  dlq?: DlqService;
  analytics?: AnalyticsService;
  apiKeys: ApiKeyService;
  schedules?: ScheduleService;
}

/** Every service of {@link Services}, optional ones included (test doubles and the OpenAPI build use all). */
export const SERVICE_NAMES = [
  'tasks',
  'steps',
  'templates',
  'workers',
  'taskEvents',
  'health',
  'config',
  'dlq',
  'analytics',
  'apiKeys',
  'schedules',
] as const satisfies readonly (keyof Services)[];

// A service added to Services but not to SERVICE_NAMES fails to compile here.
const allServicesNamed: [Exclude<keyof Services, (typeof SERVICE_NAMES)[number]>] extends [never] ? true : never = true;
void allServicesNamed;

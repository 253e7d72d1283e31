// Fixture builders for tests of every package: realistic, fully populated domain objects (every nullable
// field set) that take overrides. Minimal fixtures are built by overriding with nulls and empty lists.
import type { BottleneckAnalysis, PerformanceMetrics } from '../domain/analytics.js';
import type { ApiKey, CreateApiKeyInput } from '../domain/auth.js';
import type { BackpressureStatus, CreatedTask } from '../domain/backpressure.js';
import type { DlqEntry, DlqInvestigationItem, DlqStats, StalenessItem } from '../domain/dlq.js';
import type { ExpansionEventType, TaskExpansion, TaskStatusEvent } from '../domain/events.js';
import type { HealthReport } from '../domain/health.js';
import type { Schedule, ScheduleFiring } from '../domain/schedule.js';
import { STEP_STATES, TASK_STATES, type StepState, type TaskState } from '../domain/states.js';
import type { CheckpointStepInput, StepCheckpoint } from '../domain/checkpoint.js';
import type { Step, StepAudit } from '../domain/step.js';
import type { TaskSummary } from '../domain/summary.js';
import type { CreateTaskInput, Task, TaskExecution } from '../domain/task.js';
import type { Template, TemplateStep } from '../domain/template.js';
import type {
  ClaimedStep,
  CompleteStepInput,
  FailStepInput,
  RegisterWorkerInput,
  ReportResultsInput,
  ReportResultsOutput,
  StepResultOutcome,
  StepResultReport,
  WorkerInfo,
} from '../domain/worker.js';

let counter = 0;

/** A syntactically valid UUID v7 that is unique within the process and readable in failures. */
export function makeUuid(): string {
  counter += 1;
  return `0190a4f0-5a1b-7c3d-8e4f-${counter.toString(16).padStart(12, '0')}`;
}

/** Millisecond-precision timestamps (what JSON round-trips exactly), spaced one second apart. */
export function makeDate(secondsAfterEpoch2024 = 0): Date {
  return new Date(Date.UTC(2024, 0, 15, 10, 0, 0, 123) + secondsAfterEpoch2024 * 1000);
}

export function makeTaskExecution(overrides: Partial<TaskExecution> = {}): TaskExecution {
  return {
    totalSteps: 4,
    pendingSteps: 1,
    inProgressSteps: 1,
    completedSteps: 1,
    failedSteps: 0,
    readySteps: 1,
    enqueuedSteps: 1,
    waitingForRetrySteps: 0,
    cancelledSteps: 0,
    completionPercentage: 25,
    executionStatus: 'processing',
    recommendedAction: 'wait_for_completion',
    healthStatus: 'healthy',
    ...overrides,
  };
}

export function makeTask(overrides: Partial<Task> = {}): Task {
  return {
    taskUuid: makeUuid(),
    namespace: 'billing',
    name: 'invoice_settlement',
    version: '1.0.0',
    state: 'steps_in_process',
    context: { invoice_id: 'INV-1', amount: 12.5, lines: [{ sku: 'A', qty: 2 }], rush: false, note: null },
    initiator: 'test-suite',
    sourceSystem: 'unit',
    reason: 'builder',
    priority: 5,
    tags: ['billing', 'eu'],
    correlationId: makeUuid(),
    parentCorrelationId: makeUuid(),
    idempotencyKey: 'idem-1',
    options: { channel: 'web', notes: 'a "quoted" é' },
    requestedAt: makeDate(0),
    runAt: null,
    createdAt: makeDate(1),
    updatedAt: makeDate(2),
    completedAt: makeDate(3),
    execution: makeTaskExecution(),
    ...overrides,
  };
}

export function makeCreateTaskInput(overrides: Partial<CreateTaskInput> = {}): CreateTaskInput {
  return {
    namespace: 'billing',
    name: 'invoice_settlement',
    version: '1.0.0',
    context: { invoice_id: 'INV-1' },
    initiator: 'test-suite',
    sourceSystem: 'unit',
    reason: 'builder',
    priority: 10,
    tags: ['a', 'b'],
    correlationId: makeUuid(),
    parentCorrelationId: makeUuid(),
    idempotencyKey: 'idem-2',
    options: { mode: 'fast' },
    ...overrides,
  };
}

/** A checkpoint with every field set and a two-entry history. */
export function makeStepCheckpoint(overrides: Partial<StepCheckpoint> = {}): StepCheckpoint {
  return {
    cursor: { offset: 200 },
    itemsProcessed: 200,
    accumulatedResults: { total: 1234.5 },
    attempt: 2,
    timestamp: makeDate(4),
    history: [
      { cursor: { offset: 100 }, timestamp: makeDate(3), attempt: 1 },
      { cursor: { offset: 200 }, timestamp: makeDate(4), attempt: 2 },
    ],
    ...overrides,
  };
}

/** A worker's checkpoint request with an object cursor and partial results. */
export function makeCheckpointStepInput(overrides: Partial<CheckpointStepInput> = {}): CheckpointStepInput {
  return {
    workerId: 'worker-1',
    stepUuid: makeUuid(),
    leaseToken: makeUuid(),
    cursor: { page: 'p-7', offsets: [1, 2.5, null] },
    itemsProcessed: 250,
    accumulatedResults: { sum: 10.5, rows: ['a', 'b'], ok: true },
    ...overrides,
  };
}

export function makeStep(overrides: Partial<Step> = {}): Step {
  return {
    stepUuid: makeUuid(),
    taskUuid: makeUuid(),
    name: 'compute_tax',
    state: 'error',
    handlerCallable: 'Billing.ComputeTax',
    stepType: 'batch_worker',
    createdByStepUuid: makeUuid(),
    createdByStepName: 'split_invoices',
    batch: {
      templateStep: 'compute_tax',
      batchId: '002',
      startCursor: 100,
      endCursor: { page: 3, token: 'abc' },
      batchSize: 100,
      noOp: false,
    },
    createdAt: makeDate(1),
    updatedAt: makeDate(2),
    completedAt: makeDate(3),
    results: { tax: 2.1, breakdown: [1, 1.1] },
    dependenciesSatisfied: true,
    retryEligible: true,
    readyForExecution: false,
    totalParents: 1,
    completedParents: 1,
    attempts: 2,
    maxAttempts: 3,
    retryable: true,
    lastFailureAt: makeDate(4),
    nextRetryAt: makeDate(5),
    lastAttemptedAt: makeDate(6),
    backoffRequestSeconds: 7,
    lastError: { message: 'upstream 503', errorType: 'http_error', retryable: true, statusCode: 503 },
    checkpoint: makeStepCheckpoint(),
    ...overrides,
  };
}

export function makeStepAudit(overrides: Partial<StepAudit> = {}): StepAudit {
  return {
    auditUuid: makeUuid(),
    stepUuid: makeUuid(),
    taskUuid: makeUuid(),
    stepName: 'compute_tax',
    eventId: 42,
    recordedAt: makeDate(7),
    action: 'worker_result',
    workerId: 'worker-1',
    performedBy: 'operator',
    reason: 'checked',
    correlationId: makeUuid(),
    success: true,
    executionTimeMs: 12,
    result: { ok: true },
    fromState: 'in_progress',
    toState: 'complete',
    ...overrides,
  };
}

export function makeTemplateStep(overrides: Partial<TemplateStep> = {}): TemplateStep {
  return {
    name: 'load_invoice',
    description: 'loads the invoice',
    type: 'standard',
    handler: { callable: 'Billing.LoadInvoice', method: 'call', resolver: 'default', initialization: { region: 'eu' } },
    dependencies: [],
    retry: {
      retryable: true,
      maxAttempts: 3,
      backoff: 'exponential',
      backoffBaseMs: 1000,
      maxBackoffMs: 60000,
      jitter: 0.15,
    },
    timeoutSeconds: 30,
    resultSchema: { type: 'object' },
    ...overrides,
  };
}

export function makeTemplate(overrides: Partial<Template> = {}): Template {
  return {
    templateUuid: makeUuid(),
    definition: {
      namespace: 'billing',
      name: 'invoice_settlement',
      version: '1.0.0',
      description: 'settles invoices',
      identityStrategy: 'strict',
      inputSchema: { type: 'object', required: ['invoice_id'] },
      lifecycle: {
        maxDurationMinutes: 60,
        maxWaitingForDependenciesMinutes: 30,
        maxWaitingForRetryMinutes: 20,
        maxStepsInProcessMinutes: 10,
        stalenessAction: 'dlq',
        autoFailOnTimeout: false,
        autoDlqOnTimeout: true,
      },
      metadata: { author: 'tests', tags: ['x'] },
      steps: [
        makeTemplateStep(),
        makeTemplateStep({ name: 'compute_tax', dependencies: ['load_invoice'], type: 'decision' }),
      ],
    },
    configuration: { name: 'invoice_settlement', namespace_name: 'billing', version: '1.0.0', steps: [] },
    contentHash: 'sha256:abc',
    createdAt: makeDate(1),
    updatedAt: makeDate(2),
    ...overrides,
  };
}

export function makeRegisterWorkerInput(overrides: Partial<RegisterWorkerInput> = {}): RegisterWorkerInput {
  return {
    workerId: 'worker-1',
    hostname: 'host-a',
    version: '0.1.0',
    namespaces: ['billing'],
    handlers: ['Billing.LoadInvoice'],
    metadata: { pid: 123 },
    ...overrides,
  };
}

export function makeWorkerInfo(overrides: Partial<WorkerInfo> = {}): WorkerInfo {
  return {
    workerId: 'worker-1',
    hostname: 'host-a',
    version: '0.1.0',
    namespaces: ['billing'],
    handlers: ['Billing.LoadInvoice'],
    metadata: { pid: 123 },
    registeredAt: makeDate(1),
    lastSeenAt: makeDate(2),
    live: true,
    ...overrides,
  };
}

export function makeClaimedStep(overrides: Partial<ClaimedStep> = {}): ClaimedStep {
  return {
    taskUuid: makeUuid(),
    stepUuid: makeUuid(),
    stepName: 'compute_tax',
    namespace: 'billing',
    taskName: 'invoice_settlement',
    taskVersion: '1.0.0',
    handler: { callable: 'Billing.ComputeTax', method: 'call', initialization: { region: 'eu' } },
    context: { invoice_id: 'INV-1' },
    parentResults: { load_invoice: { amount: 10 } },
    attempt: 1,
    maxAttempts: 3,
    leaseToken: makeUuid(),
    leaseExpiresAt: makeDate(30),
    timeoutSeconds: 30,
    correlationId: makeUuid(),
    checkpoint: makeStepCheckpoint(),
    ...overrides,
  };
}

export function makeCompleteStepInput(overrides: Partial<CompleteStepInput> = {}): CompleteStepInput {
  return {
    workerId: 'worker-1',
    stepUuid: makeUuid(),
    leaseToken: makeUuid(),
    result: { tax: 2.1 },
    executionTimeMs: 15,
    metadata: { handler_version: '1' },
    ...overrides,
  };
}

export function makeFailStepInput(overrides: Partial<FailStepInput> = {}): FailStepInput {
  return {
    workerId: 'worker-1',
    stepUuid: makeUuid(),
    leaseToken: makeUuid(),
    error: {
      message: 'boom',
      errorType: 'http_error',
      retryable: true,
      retryAfterSeconds: 5,
      statusCode: 503,
      backtrace: 'at x',
      context: { url: 'https://example.invalid' },
    },
    executionTimeMs: 20,
    ...overrides,
  };
}

export type CompletedResultReport = Extract<StepResultReport, { kind: 'completed' }>;
export type FailedResultReport = Extract<StepResultReport, { kind: 'failed' }>;

export function makeCompletedResult(overrides: Partial<CompletedResultReport> = {}): CompletedResultReport {
  return {
    kind: 'completed',
    stepUuid: makeUuid(),
    leaseToken: makeUuid(),
    result: { tax: 2.1 },
    executionTimeMs: 15,
    metadata: { handler_version: '1' },
    ...overrides,
  };
}

export function makeFailedResult(overrides: Partial<FailedResultReport> = {}): FailedResultReport {
  const { stepUuid, leaseToken, error, executionTimeMs } = makeFailStepInput();
  return { kind: 'failed', stepUuid, leaseToken, error, executionTimeMs, ...overrides };
}

/** A batch with a completion, a failure and a claim alongside. */
export function makeReportResultsInput(overrides: Partial<ReportResultsInput> = {}): ReportResultsInput {
  return {
    workerId: 'worker-1',
    results: [makeCompletedResult(), makeFailedResult()],
    claim: { maxSteps: 2, namespaces: ['billing'], handlerNames: ['Billing.ComputeTax'] },
    ...overrides,
  };
}

export function makeStepResultOutcome(overrides: Partial<StepResultOutcome> = {}): StepResultOutcome {
  return {
    stepUuid: makeUuid(),
    outcome: 'ok',
    stepState: 'waiting_for_retry',
    taskState: 'steps_in_process',
    nextRetryAt: makeDate(5),
    ...overrides,
  };
}

/** One outcome of every kind, and a step claimed alongside. */
export function makeReportResultsOutput(overrides: Partial<ReportResultsOutput> = {}): ReportResultsOutput {
  return {
    outcomes: [
      makeStepResultOutcome(),
      makeStepResultOutcome({ outcome: 'lease_lost', stepState: 'complete', taskState: 'complete', nextRetryAt: null }),
      makeStepResultOutcome({
        outcome: 'cancelled',
        stepState: 'cancelled',
        taskState: 'cancelled',
        nextRetryAt: null,
      }),
      makeStepResultOutcome({ outcome: 'not_found', stepState: null, taskState: null, nextRetryAt: null }),
    ],
    claimed: [makeClaimedStep()],
    ...overrides,
  };
}

export function makeTaskStatusEvent(overrides: Partial<TaskStatusEvent> = {}): TaskStatusEvent {
  return {
    eventId: 17,
    type: 'step_state_change',
    taskUuid: makeUuid(),
    taskState: 'steps_in_process',
    step: { stepUuid: makeUuid(), name: 'compute_tax', state: 'in_progress', attempt: 1 },
    expansion: null,
    occurredAt: makeDate(8),
    ...overrides,
  };
}

export function makeTaskExpansion(overrides: Partial<TaskExpansion> = {}): TaskExpansion {
  return {
    triggerStepUuid: makeUuid(),
    triggerStepName: 'split_rows',
    outcomeType: 'create_batches',
    createdSteps: [
      { stepUuid: makeUuid(), name: 'process_rows_001' },
      { stepUuid: makeUuid(), name: 'process_rows_002' },
    ],
    workerTemplate: 'process_rows',
    batchIds: ['001', '002'],
    ...overrides,
  };
}

/** An expansion event of `type` (a batch expansion, or a decision's branches). */
export function makeExpansionEvent(
  type: ExpansionEventType,
  overrides: Partial<TaskStatusEvent> = {},
): TaskStatusEvent {
  const expansion =
    type === 'batch.workers_created'
      ? makeTaskExpansion()
      : makeTaskExpansion({
          triggerStepName: 'route_order',
          outcomeType: 'create_steps',
          createdSteps: [{ stepUuid: makeUuid(), name: 'ship_express' }],
          workerTemplate: null,
          batchIds: [],
        });
  return makeTaskStatusEvent({ type, step: null, expansion, ...overrides });
}

export function makeTaskSummary(overrides: Partial<TaskSummary> = {}): TaskSummary {
  return {
    task: makeTask(),
    template: {
      steps: [
        {
          name: 'load_invoice',
          stepType: 'standard',
          handler: 'Billing.LoadInvoice',
          dependencies: [],
          retryable: true,
          maxAttempts: 3,
        },
        {
          name: 'compute_tax',
          stepType: 'standard',
          handler: 'Billing.ComputeTax',
          dependencies: ['load_invoice'],
          retryable: false,
          maxAttempts: 1,
        },
      ],
    },
    steps: [
      {
        stepUuid: makeUuid(),
        name: 'compute_tax',
        state: 'error',
        createdAt: makeDate(1),
        completedAt: makeDate(2),
        lastAttemptedAt: makeDate(3),
        attempts: 1,
        maxAttempts: 1,
        dependenciesSatisfied: true,
        retryEligible: false,
        error: { errorType: 'http_error', retryable: false, statusCode: 500, message: 'boom' },
      },
    ],
    dlq: { inDlq: true, dlqReason: 'max_retries_exceeded', resolutionStatus: 'pending' },
    ...overrides,
  };
}

export function makeDlqEntry(overrides: Partial<DlqEntry> = {}): DlqEntry {
  return {
    dlqEntryUuid: makeUuid(),
    taskUuid: makeUuid(),
    originalState: 'blocked_by_failures',
    reason: 'max_retries_exceeded',
    dlqTimestamp: makeDate(1),
    resolutionStatus: 'manually_resolved',
    resolutionTimestamp: makeDate(2),
    resolutionNotes: 'fixed upstream',
    resolvedBy: 'operator',
    taskSnapshot: { state: 'error' },
    metadata: { ticket: 'OPS-1' },
    createdAt: makeDate(1),
    updatedAt: makeDate(2),
    ...overrides,
  };
}

export function makeDlqStats(overrides: Partial<DlqStats> = {}): DlqStats {
  return {
    reason: 'staleness_timeout',
    totalEntries: 5,
    pending: 1,
    manuallyResolved: 2,
    permanentlyFailed: 1,
    cancelled: 1,
    oldestEntry: makeDate(1),
    newestEntry: makeDate(9),
    avgResolutionTimeMinutes: 12.5,
    ...overrides,
  };
}

export function makeDlqInvestigationItem(overrides: Partial<DlqInvestigationItem> = {}): DlqInvestigationItem {
  return {
    dlqEntryUuid: makeUuid(),
    taskUuid: makeUuid(),
    originalState: 'waiting_for_retry',
    reason: 'staleness_timeout',
    dlqTimestamp: makeDate(1),
    minutesInDlq: 14,
    namespace: 'billing',
    taskName: 'invoice_settlement',
    currentState: 'error',
    timeInStateMinutes: 30,
    priorityScore: 114,
    ...overrides,
  };
}

export function makeStalenessItem(overrides: Partial<StalenessItem> = {}): StalenessItem {
  return {
    taskUuid: makeUuid(),
    namespace: 'billing',
    taskName: 'invoice_settlement',
    currentState: 'waiting_for_retry',
    timeInStateMinutes: 25,
    taskAgeMinutes: 40,
    stalenessThresholdMinutes: 30,
    healthStatus: 'warning',
    priority: 0,
    ...overrides,
  };
}

export function makeHealthReport(overrides: Partial<HealthReport> = {}): HealthReport {
  return {
    status: 'ready',
    timestamp: makeDate(1),
    checks: { database: { status: 'healthy', message: 'ok', durationMs: 2 } },
    info: {
      version: '0.1.0',
      environment: 'test',
      operationalState: 'normal',
      poolMax: 10,
      circuitBreakerState: 'closed',
      pools: {
        database: {
          activeConnections: 3,
          waitingQueries: 1,
          maxConnections: 10,
          utilizationPercent: 30,
          totalAcquires: 1234,
          acquireErrors: 2,
        },
      },
      queueDepth: {
        measuredAt: makeDate(2),
        namespaces: {
          billing: { depth: 12, limit: 10, throttled: true },
          payments: { depth: 0, limit: 50000, throttled: false },
        },
      },
    },
    ...overrides,
  };
}

export function makePerformanceMetrics(overrides: Partial<PerformanceMetrics> = {}): PerformanceMetrics {
  return {
    windowHours: 24,
    totalTasks: 100,
    activeTasks: 3,
    completedTasks: 90,
    failedTasks: 7,
    completionRate: 0.9,
    errorRate: 0.07,
    averageTaskDurationSeconds: 1.5,
    averageStepDurationSeconds: 0.4,
    tasksPerHour: 4.1,
    stepsPerHour: 16.4,
    systemHealthScore: 0.93,
    analysisPeriodStart: makeDate(0),
    calculatedAt: makeDate(1),
    ...overrides,
  };
}

function countsOf<S extends string>(states: readonly S[]): Record<S, number> & { total: number } {
  const counts = { total: 0 } as Record<S, number> & { total: number };
  states.forEach((s, i) => {
    (counts as Record<S, number>)[s] = i;
    counts.total += i;
  });
  return counts;
}

export function makeBottleneckAnalysis(overrides: Partial<BottleneckAnalysis> = {}): BottleneckAnalysis {
  const common = {
    namespace: 'billing',
    taskName: 'invoice_settlement',
    version: '1.0.0',
    averageDurationSeconds: 2.5,
    maxDurationSeconds: 9,
    executionCount: 12,
    errorCount: 1,
    errorRate: 0.08,
    lastExecutedAt: makeDate(3),
  };
  return {
    windowHours: 24,
    slowSteps: [{ ...common, stepName: 'compute_tax' }],
    slowTasks: [{ ...common, averageStepCount: 4 }],
    resourceUtilization: {
      databasePoolUtilization: 0.25,
      taskCounts: countsOf<TaskState>(TASK_STATES),
      stepCounts: countsOf<StepState>(STEP_STATES),
    },
    recommendations: ['look at compute_tax'],
    ...overrides,
  };
}

/** A stored API key with every optional field set. */
export function makeApiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    keyUuid: makeUuid(),
    description: 'billing worker',
    permissions: ['worker:*', 'tasks:read'],
    namespaces: ['billing', 'shipping'],
    createdAt: makeDate(0),
    expiresAt: makeDate(3600),
    revokedAt: makeDate(60),
    lastUsedAt: makeDate(30),
    ...overrides,
  };
}

/** A stored API key with nothing optional: no grants, every namespace, never expires, never used. */
export function makeMinimalApiKey(): ApiKey {
  return makeApiKey({ permissions: [], namespaces: null, expiresAt: null, revokedAt: null, lastUsedAt: null });
}

export function makeCreateApiKeyInput(overrides: Partial<CreateApiKeyInput> = {}): CreateApiKeyInput {
  return {
    description: 'ops',
    permissions: ['dlq:*', 'tasks:read'],
    namespaces: ['billing'],
    expiresAt: makeDate(86_400),
    ...overrides,
  };
}

export function makeBackpressureStatus(overrides: Partial<BackpressureStatus> = {}): BackpressureStatus {
  return { active: false, reason: null, retryAfterSeconds: null, queueDepth: 37, maxQueueDepth: 10_000, ...overrides };
}

export function makeCreatedTask(overrides: Partial<CreatedTask> = {}): CreatedTask {
  return { task: makeTask(), backpressure: makeBackpressureStatus(), ...overrides };
}

export function makeSchedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    scheduleUuid: makeUuid(),
    namespace: 'billing',
    name: 'invoice_settlement',
    version: '1.0.0',
    context: { invoice_id: 7, nested: { ok: true } },
    cronExpression: '0 9 * * 1-5',
    timeZone: 'Europe/Berlin',
    intervalSeconds: null,
    overlapPolicy: 'buffer_one',
    catchUpPolicy: 'run_all',
    catchUpCap: 12,
    paused: false,
    nextFireAt: makeDate(3),
    lastFireAt: makeDate(2),
    createdBy: 'alice',
    updatedBy: 'bob',
    createdAt: makeDate(1),
    updatedAt: makeDate(2),
    ...overrides,
  };
}

export function makeScheduleFiring(overrides: Partial<ScheduleFiring> = {}): ScheduleFiring {
  return {
    scheduleUuid: makeUuid(),
    fireAt: makeDate(2),
    outcome: 'created',
    taskUuid: makeUuid(),
    error: null,
    createdAt: makeDate(2),
    ...overrides,
  };
}

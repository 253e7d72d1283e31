// Where the tasker.v1 contract carries less than the domain types the SDK returns (contract gaps, reported to
// the proto owners), the gRPC transport completes the decoded views here, in one place. Each value below is
// either derived from what the call itself knows (the requested window, the leases it released) or the
// documented stand-in for a field gRPC cannot deliver yet; REST delivers the real value.
import type {
  BottleneckAnalysis,
  LeaseRef,
  LeaseState,
  PerformanceMetrics,
  Step,
  StepResultAck,
  Task,
  TaskSummary,
  Template,
} from '@tasker/shared';
import type {
  BottleneckAnalysisProtoView,
  CompleteAckProtoView,
  PerformanceMetricsProtoView,
  StepProtoView,
  TaskProtoView,
  TaskSummaryProtoView,
  TemplateProtoView,
} from '@tasker/shared/convert/proto/index';

/** Stand-in timestamp for template row times gRPC does not carry. */
const UNKNOWN_TIME = new Date(0);

/**
 * Not on the proto Task: `idempotency_key` (null here), `requested_at` (the creation time: the server stamps the
 * request on arrival), and the waiting-for-retry / cancelled step counts (their sum is what the other counts
 * leave; it is reported under the state that explains it: cancelled for a cancelled task, else waiting).
 */
export function completeTask(view: TaskProtoView): Task {
  const e = view.execution;
  const rest = Math.max(0, e.totalSteps - e.pendingSteps - e.inProgressSteps - e.completedSteps - e.failedSteps - e.enqueuedSteps);
  const cancelled = view.state === 'cancelled' ? rest : 0;
  return {
    ...view,
    idempotencyKey: null,
    requestedAt: view.createdAt,
    execution: { ...e, waitingForRetrySteps: rest - cancelled, cancelledSteps: cancelled },
  };
}

/** Not on the proto Step: the handler callable (empty here; the template names it per step). */
export function completeStep(view: StepProtoView): Step {
  return { ...view, handlerCallable: '' };
}

/** Not on the proto StepSummaryError: the message (empty here; GetStep's last_error has it). */
export function completeSummary(view: TaskSummaryProtoView): TaskSummary {
  return {
    ...view,
    task: completeTask(view.task),
    steps: view.steps.map((s) => ({ ...s, error: s.error === null ? null : { ...s.error, message: '' } })),
  };
}

/** The proto responses do not echo the window; it is the one the call asked for. */
export function completePerformance(view: PerformanceMetricsProtoView, windowHours: number): PerformanceMetrics {
  return { ...view, windowHours };
}

/** As {@link completePerformance}. */
export function completeBottlenecks(view: BottleneckAnalysisProtoView, windowHours: number): BottleneckAnalysis {
  return { ...view, windowHours };
}

/** A completed step is never retried, so its next retry time is null by definition. */
export function completeAck(view: CompleteAckProtoView): StepResultAck {
  return { ...view, nextRetryAt: null };
}

/** ReleaseLeases answers only which leases were current and released; the others had been lost or cancelled. */
export function releasedLeaseStates(requested: LeaseRef[], released: string[]): LeaseState[] {
  const set = new Set(released);
  return requested.map((l) => ({ stepUuid: l.stepUuid, status: set.has(l.stepUuid) ? 'valid' : 'lost', leaseExpiresAt: null }));
}

/**
 * The proto Template is an outline: identity, description, configuration as registered, and per step its
 * callable, dependencies, retryability, attempts, timeout and result schema. The normalised definition's
 * other parts and the row's uuid, hash and times are not on the wire: defaults and empty values stand in.
 */
export function completeTemplate(view: TemplateProtoView): Template {
  return {
    templateUuid: '',
    contentHash: '',
    createdAt: UNKNOWN_TIME,
    updatedAt: UNKNOWN_TIME,
    configuration: view.configuration,
    definition: {
      namespace: view.namespace,
      name: view.name,
      version: view.version,
      description: view.description,
      identityStrategy: 'strict',
      inputSchema: null,
      lifecycle: null,
      metadata: null,
      steps: view.steps.map((s) => ({
        name: s.name,
        description: s.description,
        type: s.type,
        handler: { callable: s.handlerCallable, method: null, resolver: null, initialization: {} },
        dependencies: s.dependencies,
        retry: { retryable: s.retryable, maxAttempts: s.maxAttempts, backoff: 'exponential', backoffBaseMs: 0, maxBackoffMs: 0, jitter: 0 },
        timeoutSeconds: s.timeoutSeconds,
        resultSchema: s.resultSchema,
      })),
    },
  };
}

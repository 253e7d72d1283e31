import type {
  ClaimInput,
  ClaimedStep,
  CompleteStepInput,
  FailStepInput,
  HeartbeatInput,
  LeaseRef,
  LeaseState,
  RegisterWorkerInput,
  ReleaseLeasesInput,
  ReportResultsInput,
  ReportResultsOutput,
  StepFailure,
  StepResultAck,
  StepResultReport,
  WorkerInfo,
} from '../../domain/worker.js';
import type {
  ClaimRequest,
  ClaimResponse,
  ClaimedStepResponse,
  CompleteStepRequest,
  FailStepRequest,
  HeartbeatRequest,
  LeaseStatesResponse,
  RegisterWorkerRequest,
  ReleaseRequest,
  ReportResultsRequest,
  ReportResultsResponse,
  StepResultAckResponse,
  StepResultReportBody,
  WorkerResponse,
} from '../../schemas/rest/worker.js';
import { optionalCheckpointFromRest, optionalCheckpointToRest } from './checkpoint.js';
import { nullableTimestampFromRest, nullableTimestampToRest, timestampFromRest, timestampToRest } from './common.js';

export function registerWorkerInputFromRest(b: RegisterWorkerRequest): RegisterWorkerInput {
  return {
    workerId: b.worker_id,
    hostname: b.hostname,
    version: b.version,
    namespaces: b.namespaces,
    handlers: b.handlers,
    metadata: b.metadata,
  };
}

export function registerWorkerInputToRest(i: RegisterWorkerInput): RegisterWorkerRequest {
  return {
    worker_id: i.workerId,
    hostname: i.hostname,
    version: i.version,
    namespaces: i.namespaces,
    handlers: i.handlers,
    metadata: i.metadata,
  };
}

export function workerToRest(w: WorkerInfo): WorkerResponse {
  return {
    worker_id: w.workerId,
    hostname: w.hostname,
    version: w.version,
    namespaces: w.namespaces,
    handlers: w.handlers,
    metadata: w.metadata,
    registered_at: timestampToRest(w.registeredAt),
    last_seen_at: timestampToRest(w.lastSeenAt),
    live: w.live,
  };
}

export function workerFromRest(r: WorkerResponse): WorkerInfo {
  return {
    workerId: r.worker_id,
    hostname: r.hostname,
    version: r.version,
    namespaces: r.namespaces,
    handlers: r.handlers,
    metadata: r.metadata,
    registeredAt: timestampFromRest(r.registered_at),
    lastSeenAt: timestampFromRest(r.last_seen_at),
    live: r.live,
  };
}

export function claimInputFromRest(b: ClaimRequest): ClaimInput {
  return {
    workerId: b.worker_id,
    namespaces: b.namespaces,
    handlerNames: b.handler_names,
    maxSteps: b.max_steps,
    waitMs: b.wait_ms,
  };
}

export function claimInputToRest(i: ClaimInput): ClaimRequest {
  return {
    worker_id: i.workerId,
    namespaces: i.namespaces,
    handler_names: i.handlerNames,
    max_steps: i.maxSteps,
    wait_ms: i.waitMs,
  };
}

export function claimedStepToRest(s: ClaimedStep): ClaimedStepResponse {
  return {
    task_uuid: s.taskUuid,
    step_uuid: s.stepUuid,
    step_name: s.stepName,
    namespace: s.namespace,
    task_name: s.taskName,
    task_version: s.taskVersion,
    handler: { callable: s.handler.callable, method: s.handler.method, initialization: s.handler.initialization },
    context: s.context,
    parent_results: s.parentResults,
    attempt: s.attempt,
    max_attempts: s.maxAttempts,
    lease_token: s.leaseToken,
    lease_expires_at: timestampToRest(s.leaseExpiresAt),
    timeout_seconds: s.timeoutSeconds,
    correlation_id: s.correlationId,
    checkpoint: optionalCheckpointToRest(s.checkpoint),
  };
}

export function claimedStepFromRest(r: ClaimedStepResponse): ClaimedStep {
  return {
    taskUuid: r.task_uuid,
    stepUuid: r.step_uuid,
    stepName: r.step_name,
    namespace: r.namespace,
    taskName: r.task_name,
    taskVersion: r.task_version,
    handler: { callable: r.handler.callable, method: r.handler.method, initialization: r.handler.initialization },
    context: r.context,
    parentResults: r.parent_results,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    leaseToken: r.lease_token,
    leaseExpiresAt: timestampFromRest(r.lease_expires_at),
    timeoutSeconds: r.timeout_seconds,
    correlationId: r.correlation_id,
    checkpoint: optionalCheckpointFromRest(r.checkpoint),
  };
}

export function claimResponseToRest(steps: ClaimedStep[]): ClaimResponse {
  return { steps: steps.map(claimedStepToRest) };
}

export function claimResponseFromRest(r: ClaimResponse): ClaimedStep[] {
  return r.steps.map(claimedStepFromRest);
}

function leaseRefsFromRest(leases: Array<{ step_uuid: string; lease_token: string }>): LeaseRef[] {
  return leases.map((l) => ({ stepUuid: l.step_uuid, leaseToken: l.lease_token }));
}

function leaseRefsToRest(leases: LeaseRef[]): Array<{ step_uuid: string; lease_token: string }> {
  return leases.map((l) => ({ step_uuid: l.stepUuid, lease_token: l.leaseToken }));
}

export function heartbeatInputFromRest(b: HeartbeatRequest): HeartbeatInput {
  return { workerId: b.worker_id, leases: leaseRefsFromRest(b.leases) };
}

export function heartbeatInputToRest(i: HeartbeatInput): HeartbeatRequest {
  return { worker_id: i.workerId, leases: leaseRefsToRest(i.leases) };
}

export function releaseInputFromRest(b: ReleaseRequest): ReleaseLeasesInput {
  return { workerId: b.worker_id, leases: leaseRefsFromRest(b.leases) };
}

export function releaseInputToRest(i: ReleaseLeasesInput): ReleaseRequest {
  return { worker_id: i.workerId, leases: leaseRefsToRest(i.leases) };
}

export function leaseStatesToRest(states: LeaseState[]): LeaseStatesResponse {
  return {
    leases: states.map((s) => ({
      step_uuid: s.stepUuid,
      status: s.status,
      lease_expires_at: nullableTimestampToRest(s.leaseExpiresAt),
    })),
  };
}

export function leaseStatesFromRest(r: LeaseStatesResponse): LeaseState[] {
  return r.leases.map((s) => ({
    stepUuid: s.step_uuid,
    status: s.status,
    leaseExpiresAt: nullableTimestampFromRest(s.lease_expires_at),
  }));
}

export function completeStepInputFromRest(b: CompleteStepRequest): CompleteStepInput {
  return {
    workerId: b.worker_id,
    stepUuid: b.step_uuid,
    leaseToken: b.lease_token,
    result: b.result,
    executionTimeMs: b.execution_time_ms ?? null,
    metadata: b.metadata ?? null,
  };
}

export function completeStepInputToRest(i: CompleteStepInput): CompleteStepRequest {
  return {
    worker_id: i.workerId,
    step_uuid: i.stepUuid,
    lease_token: i.leaseToken,
    result: i.result,
    execution_time_ms: i.executionTimeMs,
    metadata: i.metadata,
  };
}

function stepFailureFromRest(e: FailStepRequest['error']): StepFailure {
  return {
    message: e.message,
    errorType: e.error_type ?? null,
    retryable: e.retryable,
    retryAfterSeconds: e.retry_after_seconds ?? null,
    statusCode: e.status_code ?? null,
    backtrace: e.backtrace ?? null,
    context: e.context ?? null,
  };
}

function stepFailureToRest(e: StepFailure): FailStepRequest['error'] {
  return {
    message: e.message,
    error_type: e.errorType,
    retryable: e.retryable,
    retry_after_seconds: e.retryAfterSeconds,
    status_code: e.statusCode,
    backtrace: e.backtrace,
    context: e.context,
  };
}

export function failStepInputFromRest(b: FailStepRequest): FailStepInput {
  return {
    workerId: b.worker_id,
    stepUuid: b.step_uuid,
    leaseToken: b.lease_token,
    error: stepFailureFromRest(b.error),
    executionTimeMs: b.execution_time_ms ?? null,
  };
}

export function failStepInputToRest(i: FailStepInput): FailStepRequest {
  return {
    worker_id: i.workerId,
    step_uuid: i.stepUuid,
    lease_token: i.leaseToken,
    error: stepFailureToRest(i.error),
    execution_time_ms: i.executionTimeMs,
  };
}

export function stepResultAckToRest(a: StepResultAck): StepResultAckResponse {
  return {
    step_uuid: a.stepUuid,
    step_state: a.stepState,
    task_state: a.taskState,
    next_retry_at: nullableTimestampToRest(a.nextRetryAt),
  };
}

export function stepResultAckFromRest(r: StepResultAckResponse): StepResultAck {
  return {
    stepUuid: r.step_uuid,
    stepState: r.step_state,
    taskState: r.task_state,
    nextRetryAt: nullableTimestampFromRest(r.next_retry_at),
  };
}

function stepResultFromRest(r: StepResultReportBody): StepResultReport {
  const executionTimeMs = r.execution_time_ms ?? null;
  return r.status === 'completed'
    ? {
        kind: 'completed',
        stepUuid: r.step_uuid,
        leaseToken: r.lease_token,
        result: r.result,
        executionTimeMs,
        metadata: r.metadata ?? null,
      }
    : {
        kind: 'failed',
        stepUuid: r.step_uuid,
        leaseToken: r.lease_token,
        error: stepFailureFromRest(r.error),
        executionTimeMs,
      };
}

function stepResultToRest(r: StepResultReport): StepResultReportBody {
  return r.kind === 'completed'
    ? {
        step_uuid: r.stepUuid,
        lease_token: r.leaseToken,
        status: 'completed',
        result: r.result,
        execution_time_ms: r.executionTimeMs,
        metadata: r.metadata,
      }
    : {
        step_uuid: r.stepUuid,
        lease_token: r.leaseToken,
        status: 'failed',
        error: stepFailureToRest(r.error),
        execution_time_ms: r.executionTimeMs,
      };
}

export function reportResultsInputFromRest(b: ReportResultsRequest): ReportResultsInput {
  const c = b.claim ?? null;
  return {
    workerId: b.worker_id,
    results: b.results.map(stepResultFromRest),
    claim: c === null ? null : { maxSteps: c.max_steps, namespaces: c.namespaces, handlerNames: c.handler_names },
  };
}

export function reportResultsInputToRest(i: ReportResultsInput): ReportResultsRequest {
  const c = i.claim;
  return {
    worker_id: i.workerId,
    results: i.results.map(stepResultToRest),
    claim: c === null ? null : { max_steps: c.maxSteps, namespaces: c.namespaces, handler_names: c.handlerNames },
  };
}

export function reportResultsOutputToRest(o: ReportResultsOutput): ReportResultsResponse {
  return {
    outcomes: o.outcomes.map((r) => ({
      step_uuid: r.stepUuid,
      outcome: r.outcome,
      step_state: r.stepState,
      task_state: r.taskState,
      next_retry_at: nullableTimestampToRest(r.nextRetryAt),
    })),
    steps: o.claimed.map(claimedStepToRest),
  };
}

export function reportResultsOutputFromRest(r: ReportResultsResponse): ReportResultsOutput {
  return {
    outcomes: r.outcomes.map((o) => ({
      stepUuid: o.step_uuid,
      outcome: o.outcome,
      stepState: o.step_state,
      taskState: o.task_state,
      nextRetryAt: nullableTimestampFromRest(o.next_retry_at),
    })),
    claimed: r.steps.map(claimedStepFromRest),
  };
}

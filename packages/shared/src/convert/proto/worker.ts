// The worker protocol (WorkerService): domain ↔ proto.
import { COUNT_LIMITS, INT_LIMITS, TEXT_LIMITS as T } from '../../domain/limits.js';
import {
  type ClaimInput,
  type ClaimedStep,
  type CompleteStepInput,
  type FailStepInput,
  type HeartbeatInput,
  type LeaseRef,
  type LeaseState,
  type RegisterWorkerInput,
  type ReleaseLeasesInput,
  type ReportResultsInput,
  type ReportResultsOutput,
  type StepFailure,
  type StepResultAck,
  type StepResultOutcome,
  type StepResultReport,
  type WorkerInfo,
} from '../../domain/worker.js';
import { validationError } from '../../errors.js';
import { optionalCheckpointFromProto, optionalCheckpointToProto } from './checkpoint.js';
import type {
  ClaimStepsRequest as PbClaimStepsRequest,
  ClaimedStep as PbClaimedStep,
  CompleteStepRequest as PbCompleteStepRequest,
  CompleteStepResponse as PbCompleteStepResponse,
  FailStepRequest as PbFailStepRequest,
  FailStepResponse as PbFailStepResponse,
  HeartbeatRequest as PbHeartbeatRequest,
  HeartbeatResponse as PbHeartbeatResponse,
  LeaseHeartbeatResult as PbLeaseHeartbeatResult,
  LeaseRef as PbLeaseRef,
  RegisterWorkerRequest as PbRegisterWorkerRequest,
  ReleaseLeasesRequest as PbReleaseLeasesRequest,
  ReleaseLeasesResponse as PbReleaseLeasesResponse,
  ReportResultsRequest as PbReportResultsRequest,
  ReportResultsResponse as PbReportResultsResponse,
  StepFailure as PbStepFailure,
  StepResult as PbStepResult,
  StepResultOutcome as PbStepResultOutcome,
  Worker as PbWorker,
} from '../../gen/tasker/v1/workers.js';
import {
  RequestValidator,
  nullableFromProto,
  nullableToProto,
  optionalDateFromProto,
  optionalDateToProto,
  requiredDateFromProto,
  structFromProto,
  structOrEmptyFromProto,
  valueFromProto,
} from './common.js';
import {
  leaseStatusFromProto,
  leaseStatusToProto,
  resultOutcomeFromProto,
  resultOutcomeToProto,
  stepStateFromProto,
  stepStateToProto,
  taskStateFromProto,
  taskStateToProto,
} from './enums.js';

function names(v: RequestValidator, path: string, values: string[]): string[] {
  v.list(path, values, COUNT_LIMITS.workerNames).forEach((n, i) => v.string(`${path}[${i}]`, n, T.workerName));
  return values;
}

export function registerWorkerInputFromProto(req: PbRegisterWorkerRequest): RegisterWorkerInput {
  const v = new RequestValidator();
  const input: RegisterWorkerInput = {
    workerId: v.string('worker_id', req.workerId, T.workerId),
    hostname: v.string('hostname', req.hostname, T.hostname),
    version: v.string('version', req.version, T.workerVersion),
    namespaces: names(v, 'namespaces', req.namespaces),
    handlers: names(v, 'handlers', req.handlers),
    metadata: structOrEmptyFromProto(req.metadata),
  };
  v.done();
  return input;
}

export function registerWorkerInputToProto(i: RegisterWorkerInput): PbRegisterWorkerRequest {
  return {
    workerId: i.workerId,
    hostname: i.hostname,
    version: i.version,
    namespaces: i.namespaces,
    handlers: i.handlers,
    metadata: i.metadata,
  };
}

export function workerToProto(w: WorkerInfo): PbWorker {
  return {
    workerId: w.workerId,
    hostname: w.hostname,
    version: w.version,
    namespaces: w.namespaces,
    handlers: w.handlers,
    metadata: w.metadata,
    registeredAt: w.registeredAt,
    lastSeenAt: w.lastSeenAt,
    live: w.live,
  };
}

export function workerFromProto(p: PbWorker | undefined, path = 'worker'): WorkerInfo {
  if (p === undefined) throw validationError([{ path, message: 'is required' }]);
  return {
    workerId: p.workerId,
    hostname: p.hostname,
    version: p.version,
    namespaces: p.namespaces,
    handlers: p.handlers,
    metadata: structOrEmptyFromProto(p.metadata),
    registeredAt: requiredDateFromProto(p.registeredAt, `${path}.registered_at`),
    lastSeenAt: requiredDateFromProto(p.lastSeenAt, `${path}.last_seen_at`),
    live: p.live,
  };
}

/**
 * As on REST: empty `namespaces` claims from every namespace (the domain's rule), `max_steps` 1–1000 and
 * `wait_ms` 0–600000. proto3 cannot tell an absent `max_steps` from 0, so 0 is rejected like REST's 0.
 */
export function claimInputFromProto(req: PbClaimStepsRequest): ClaimInput {
  const v = new RequestValidator();
  const input: ClaimInput = {
    workerId: v.string('worker_id', req.workerId, T.workerId),
    namespaces: names(v, 'namespaces', req.namespaces),
    handlerNames: names(v, 'handler_names', req.handlerNames),
    maxSteps: v.int('max_steps', req.maxSteps, INT_LIMITS.claimMaxSteps),
    waitMs: v.int('wait_ms', req.waitMs, INT_LIMITS.claimWaitMs),
  };
  v.done();
  return input;
}

export function claimInputToProto(i: ClaimInput): PbClaimStepsRequest {
  return {
    workerId: i.workerId,
    namespaces: i.namespaces,
    handlerNames: i.handlerNames,
    maxSteps: i.maxSteps,
    waitMs: i.waitMs,
  };
}

export function claimedStepToProto(s: ClaimedStep): PbClaimedStep {
  return {
    taskUuid: s.taskUuid,
    stepUuid: s.stepUuid,
    stepName: s.stepName,
    namespace: s.namespace,
    taskName: s.taskName,
    taskVersion: s.taskVersion,
    handler: {
      callable: s.handler.callable,
      method: nullableToProto(s.handler.method),
      initialization: s.handler.initialization,
    },
    context: s.context,
    parentResults: s.parentResults,
    attempt: s.attempt,
    maxAttempts: s.maxAttempts,
    leaseToken: s.leaseToken,
    leaseExpiresAt: s.leaseExpiresAt,
    timeoutSeconds: nullableToProto(s.timeoutSeconds),
    correlationId: s.correlationId,
    checkpoint: optionalCheckpointToProto(s.checkpoint),
  };
}

export function claimedStepFromProto(p: PbClaimedStep, path = 'steps[]'): ClaimedStep {
  if (p.handler === undefined) throw validationError([{ path: `${path}.handler`, message: 'is required' }]);
  return {
    taskUuid: p.taskUuid,
    stepUuid: p.stepUuid,
    stepName: p.stepName,
    namespace: p.namespace,
    taskName: p.taskName,
    taskVersion: p.taskVersion,
    handler: {
      callable: p.handler.callable,
      method: nullableFromProto(p.handler.method),
      initialization: structOrEmptyFromProto(p.handler.initialization),
    },
    context: structOrEmptyFromProto(p.context),
    parentResults: p.parentResults as ClaimedStep['parentResults'],
    attempt: p.attempt,
    maxAttempts: p.maxAttempts,
    leaseToken: p.leaseToken,
    leaseExpiresAt: requiredDateFromProto(p.leaseExpiresAt, `${path}.lease_expires_at`),
    timeoutSeconds: nullableFromProto(p.timeoutSeconds),
    correlationId: p.correlationId,
    checkpoint: optionalCheckpointFromProto(p.checkpoint, `${path}.checkpoint`),
  };
}

function leaseRefsFromProto(v: RequestValidator, leases: PbLeaseRef[]): LeaseRef[] {
  v.list('leases', leases, COUNT_LIMITS.leases);
  return leases.map((l, i) => ({
    stepUuid: v.uuid(`leases[${i}].step_uuid`, l.stepUuid),
    leaseToken: v.uuid(`leases[${i}].lease_token`, l.leaseToken),
  }));
}

export function heartbeatInputFromProto(req: PbHeartbeatRequest): HeartbeatInput {
  const v = new RequestValidator();
  const input = {
    workerId: v.string('worker_id', req.workerId, T.workerId),
    leases: leaseRefsFromProto(v, req.leases),
  };
  v.done();
  return input;
}

export function heartbeatInputToProto(i: HeartbeatInput): PbHeartbeatRequest {
  return { workerId: i.workerId, leases: i.leases.map((l) => ({ ...l })) };
}

function leaseStateToProto(s: LeaseState): PbLeaseHeartbeatResult {
  return {
    stepUuid: s.stepUuid,
    status: leaseStatusToProto(s.status),
    leaseExpiresAt: optionalDateToProto(s.leaseExpiresAt),
  };
}

function leaseStateFromProto(s: PbLeaseHeartbeatResult, i: number): LeaseState {
  return {
    stepUuid: s.stepUuid,
    status: leaseStatusFromProto(s.status, `leases[${i}].status`),
    leaseExpiresAt: optionalDateFromProto(s.leaseExpiresAt),
  };
}

export function leaseStatesToProto(states: LeaseState[]): PbHeartbeatResponse {
  return { leases: states.map(leaseStateToProto) };
}

/** Heartbeat and ReleaseLeases answer the same per-lease states. */
export function leaseStatesFromProto(r: PbHeartbeatResponse | PbReleaseLeasesResponse): LeaseState[] {
  return r.leases.map(leaseStateFromProto);
}

/** proto3 uint64 has no presence: 0 ms means "not reported", the domain's null. */
function executionTimeFromProto(ms: number | undefined): number | null {
  return ms ?? null;
}

export function completeStepInputFromProto(req: PbCompleteStepRequest): CompleteStepInput {
  const v = new RequestValidator();
  const workerId = v.string('worker_id', req.workerId, T.workerId);
  const stepUuid = v.uuid('step_uuid', req.stepUuid);
  const leaseToken = v.uuid('lease_token', req.leaseToken);
  if (req.result === undefined) v.fail('result', 'is required');
  v.done();
  return {
    workerId,
    stepUuid,
    leaseToken,
    result: valueFromProto(req.result),
    executionTimeMs: executionTimeFromProto(req.executionTimeMs),
    metadata: structFromProto(req.metadata),
  };
}

export function completeStepInputToProto(i: CompleteStepInput): PbCompleteStepRequest {
  return {
    workerId: i.workerId,
    stepUuid: i.stepUuid,
    leaseToken: i.leaseToken,
    // JSON null is a legitimate handler result; it travels as NULL_VALUE.
    result: i.result,
    ...(i.executionTimeMs === null ? {} : { executionTimeMs: i.executionTimeMs }),
    metadata: nullableToProto(i.metadata),
  };
}

/** Checks a failure's bounds under `path` (`error`, `results[0].failed`); undefined is reported as required. */
function stepFailureFromProto(
  v: RequestValidator,
  path: string,
  e: PbStepFailure | undefined,
): StepFailure | undefined {
  if (e === undefined) {
    v.fail(path, 'is required');
    return undefined;
  }
  v.string(`${path}.message`, e.message, T.errorMessage);
  v.optionalString(`${path}.error_type`, e.errorType, T.errorType);
  v.optionalString(`${path}.backtrace`, e.backtrace, T.backtrace);
  return {
    message: e.message,
    errorType: nullableFromProto(e.errorType),
    retryable: e.retryable,
    retryAfterSeconds: nullableFromProto(e.retryAfterSeconds),
    statusCode: nullableFromProto(e.statusCode),
    backtrace: nullableFromProto(e.backtrace),
    context: structFromProto(e.context),
  };
}

function stepFailureToProto(e: StepFailure): PbStepFailure {
  return {
    message: e.message,
    errorType: nullableToProto(e.errorType),
    retryable: e.retryable,
    retryAfterSeconds: nullableToProto(e.retryAfterSeconds),
    statusCode: nullableToProto(e.statusCode),
    backtrace: nullableToProto(e.backtrace),
    context: nullableToProto(e.context),
  };
}

export function failStepInputFromProto(req: PbFailStepRequest): FailStepInput {
  const v = new RequestValidator();
  const workerId = v.string('worker_id', req.workerId, T.workerId);
  const stepUuid = v.uuid('step_uuid', req.stepUuid);
  const leaseToken = v.uuid('lease_token', req.leaseToken);
  const error = stepFailureFromProto(v, 'error', req.error);
  v.done();
  return {
    workerId,
    stepUuid,
    leaseToken,
    error: error!,
    executionTimeMs: executionTimeFromProto(req.executionTimeMs),
  };
}

export function failStepInputToProto(i: FailStepInput): PbFailStepRequest {
  return {
    workerId: i.workerId,
    stepUuid: i.stepUuid,
    leaseToken: i.leaseToken,
    error: stepFailureToProto(i.error),
    ...(i.executionTimeMs === null ? {} : { executionTimeMs: i.executionTimeMs }),
  };
}

export function completeAckToProto(a: StepResultAck): PbCompleteStepResponse {
  return {
    stepUuid: a.stepUuid,
    stepState: stepStateToProto(a.stepState),
    taskState: taskStateToProto(a.taskState),
    nextRetryAt: optionalDateToProto(a.nextRetryAt),
  };
}

export function completeAckFromProto(r: PbCompleteStepResponse): StepResultAck {
  return {
    stepUuid: r.stepUuid,
    stepState: stepStateFromProto(r.stepState, 'step_state'),
    taskState: taskStateFromProto(r.taskState, 'task_state'),
    nextRetryAt: optionalDateFromProto(r.nextRetryAt),
  };
}

export function failAckToProto(a: StepResultAck): PbFailStepResponse {
  return {
    stepUuid: a.stepUuid,
    stepState: stepStateToProto(a.stepState),
    taskState: taskStateToProto(a.taskState),
    nextRetryAt: optionalDateToProto(a.nextRetryAt),
  };
}

export function failAckFromProto(r: PbFailStepResponse): StepResultAck {
  return {
    stepUuid: r.stepUuid,
    stepState: stepStateFromProto(r.stepState, 'step_state'),
    taskState: taskStateFromProto(r.taskState, 'task_state'),
    nextRetryAt: optionalDateFromProto(r.nextRetryAt),
  };
}

export function releaseInputFromProto(req: PbReleaseLeasesRequest): ReleaseLeasesInput {
  const v = new RequestValidator();
  const input = {
    workerId: v.string('worker_id', req.workerId, T.workerId),
    leases: leaseRefsFromProto(v, req.leases),
  };
  v.done();
  return input;
}

export function releaseInputToProto(i: ReleaseLeasesInput): PbReleaseLeasesRequest {
  return { workerId: i.workerId, leases: i.leases.map((l) => ({ ...l })) };
}

/**
 * Every lease's state, plus the ids of the released ones (`valid`: current and now handed back) for clients
 * that only read `released_step_uuids`.
 */
export function releaseResultToProto(states: LeaseState[]): PbReleaseLeasesResponse {
  return {
    releasedStepUuids: states.filter((s) => s.status === 'valid').map((s) => s.stepUuid),
    leases: states.map(leaseStateToProto),
  };
}

export function releaseResultFromProto(r: PbReleaseLeasesResponse): LeaseState[] {
  return leaseStatesFromProto(r);
}

/** One result of a batch; `undefined` when it is invalid (the problem is recorded in `v`). */
function stepResultFromProto(v: RequestValidator, r: PbStepResult, i: number): StepResultReport | undefined {
  const path = `results[${i}]`;
  const stepUuid = v.uuid(`${path}.step_uuid`, r.stepUuid);
  const leaseToken = v.uuid(`${path}.lease_token`, r.leaseToken);
  const executionTimeMs = executionTimeFromProto(r.executionTimeMs);
  const outcome = r.outcome;
  if (outcome === undefined) {
    v.fail(path, 'one of completed or failed is required');
    return undefined;
  }
  if (outcome.$case === 'completed') {
    if (outcome.value.result === undefined) v.fail(`${path}.completed.result`, 'is required');
    return {
      kind: 'completed',
      stepUuid,
      leaseToken,
      result: valueFromProto(outcome.value.result),
      executionTimeMs,
      metadata: structFromProto(outcome.value.metadata),
    };
  }
  const error = stepFailureFromProto(v, `${path}.failed`, outcome.value);
  return error === undefined ? undefined : { kind: 'failed', stepUuid, leaseToken, error, executionTimeMs };
}

function stepResultToProto(r: StepResultReport): PbStepResult {
  return {
    stepUuid: r.stepUuid,
    leaseToken: r.leaseToken,
    outcome:
      r.kind === 'completed'
        ? // JSON null is a legitimate handler result; it travels as NULL_VALUE.
          { $case: 'completed', value: { result: r.result, metadata: nullableToProto(r.metadata) } }
        : { $case: 'failed', value: stepFailureToProto(r.error) },
    ...(r.executionTimeMs === null ? {} : { executionTimeMs: r.executionTimeMs }),
  };
}

/**
 * As on REST: at most 1000 results, each with UUIDs and exactly one of `completed` / `failed`; an absent
 * `claim` is none, a present one asks for `max_steps` 0–1000 (0 claims nothing). Steps reported twice are the
 * service's to refuse (it checks every caller).
 */
export function reportResultsInputFromProto(req: PbReportResultsRequest): ReportResultsInput {
  const v = new RequestValidator();
  const workerId = v.string('worker_id', req.workerId, T.workerId);
  const results = v
    .list('results', req.results, COUNT_LIMITS.reportedResults)
    .map((r, i) => stepResultFromProto(v, r, i));
  const c = req.claim;
  const claim =
    c === undefined
      ? null
      : {
          maxSteps: v.int('claim.max_steps', c.maxSteps, INT_LIMITS.batchClaimMaxSteps),
          namespaces: names(v, 'claim.namespaces', c.namespaces),
          handlerNames: names(v, 'claim.handler_names', c.handlerNames),
        };
  v.done();
  return { workerId, results: results as StepResultReport[], claim };
}

export function reportResultsInputToProto(i: ReportResultsInput): PbReportResultsRequest {
  return {
    workerId: i.workerId,
    results: i.results.map(stepResultToProto),
    claim:
      i.claim === null
        ? undefined
        : { maxSteps: i.claim.maxSteps, namespaces: i.claim.namespaces, handlerNames: i.claim.handlerNames },
  };
}

function stepResultOutcomeToProto(o: StepResultOutcome): PbStepResultOutcome {
  return {
    stepUuid: o.stepUuid,
    outcome: resultOutcomeToProto(o.outcome),
    stepState: o.stepState === null ? undefined : stepStateToProto(o.stepState),
    taskState: o.taskState === null ? undefined : taskStateToProto(o.taskState),
    nextRetryAt: optionalDateToProto(o.nextRetryAt),
  };
}

function stepResultOutcomeFromProto(o: PbStepResultOutcome, i: number): StepResultOutcome {
  return {
    stepUuid: o.stepUuid,
    outcome: resultOutcomeFromProto(o.outcome, `outcomes[${i}].outcome`),
    stepState: o.stepState === undefined ? null : stepStateFromProto(o.stepState, `outcomes[${i}].step_state`),
    taskState: o.taskState === undefined ? null : taskStateFromProto(o.taskState, `outcomes[${i}].task_state`),
    nextRetryAt: optionalDateFromProto(o.nextRetryAt),
  };
}

export function reportResultsOutputToProto(o: ReportResultsOutput): PbReportResultsResponse {
  return { outcomes: o.outcomes.map(stepResultOutcomeToProto), claimed: o.claimed.map(claimedStepToProto) };
}

export function reportResultsOutputFromProto(r: PbReportResultsResponse): ReportResultsOutput {
  return {
    outcomes: r.outcomes.map(stepResultOutcomeFromProto),
    claimed: r.claimed.map((c, i) => claimedStepFromProto(c, `claimed[${i}]`)),
  };
}

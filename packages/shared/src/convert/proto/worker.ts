// The worker protocol (WorkerService): domain ↔ proto.
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
  StepResultAck,
  WorkerInfo,
} from '../../domain/worker.js';
import { validationError } from '../../errors.js';
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
import { leaseStatusFromProto, leaseStatusToProto, stepStateFromProto, stepStateToProto, taskStateFromProto, taskStateToProto } from './enums.js';

const id = { max: 255 };
const maxNames = 1000;

function names(v: RequestValidator, path: string, values: string[]): string[] {
  v.list(path, values, maxNames).forEach((n, i) => v.string(`${path}[${i}]`, n, id));
  return values;
}

export function registerWorkerInputFromProto(req: PbRegisterWorkerRequest): RegisterWorkerInput {
  const v = new RequestValidator();
  const input: RegisterWorkerInput = {
    workerId: v.string('worker_id', req.workerId, id),
    hostname: v.string('hostname', req.hostname, id),
    version: v.string('version', req.version, { max: 64 }),
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
    workerId: v.string('worker_id', req.workerId, id),
    namespaces: names(v, 'namespaces', req.namespaces),
    handlerNames: names(v, 'handler_names', req.handlerNames),
    maxSteps: v.int('max_steps', req.maxSteps, { min: 1, max: 1000 }),
    waitMs: v.int('wait_ms', req.waitMs, { min: 0, max: 600_000 }),
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
  };
}

function leaseRefsFromProto(v: RequestValidator, leases: PbLeaseRef[]): LeaseRef[] {
  v.list('leases', leases, maxNames);
  return leases.map((l, i) => ({
    stepUuid: v.uuid(`leases[${i}].step_uuid`, l.stepUuid),
    leaseToken: v.uuid(`leases[${i}].lease_token`, l.leaseToken),
  }));
}

export function heartbeatInputFromProto(req: PbHeartbeatRequest): HeartbeatInput {
  const v = new RequestValidator();
  const input = { workerId: v.string('worker_id', req.workerId, id), leases: leaseRefsFromProto(v, req.leases) };
  v.done();
  return input;
}

export function heartbeatInputToProto(i: HeartbeatInput): PbHeartbeatRequest {
  return { workerId: i.workerId, leases: i.leases.map((l) => ({ ...l })) };
}

function leaseStateToProto(s: LeaseState): PbLeaseHeartbeatResult {
  return { stepUuid: s.stepUuid, status: leaseStatusToProto(s.status), leaseExpiresAt: optionalDateToProto(s.leaseExpiresAt) };
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
  const workerId = v.string('worker_id', req.workerId, id);
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

export function failStepInputFromProto(req: PbFailStepRequest): FailStepInput {
  const v = new RequestValidator();
  const workerId = v.string('worker_id', req.workerId, id);
  const stepUuid = v.uuid('step_uuid', req.stepUuid);
  const leaseToken = v.uuid('lease_token', req.leaseToken);
  const e = req.error;
  if (e === undefined) {
    v.fail('error', 'is required');
  } else {
    v.string('error.message', e.message, { min: 0, max: 10_000 });
    v.optionalString('error.error_type', e.errorType, { min: 0, max: 255 });
    v.optionalString('error.backtrace', e.backtrace, { min: 0, max: 100_000 });
  }
  v.done();
  return {
    workerId,
    stepUuid,
    leaseToken,
    error: {
      message: e!.message,
      errorType: nullableFromProto(e!.errorType),
      retryable: e!.retryable,
      retryAfterSeconds: nullableFromProto(e!.retryAfterSeconds),
      statusCode: nullableFromProto(e!.statusCode),
      backtrace: nullableFromProto(e!.backtrace),
      context: structFromProto(e!.context),
    },
    executionTimeMs: executionTimeFromProto(req.executionTimeMs),
  };
}

export function failStepInputToProto(i: FailStepInput): PbFailStepRequest {
  return {
    workerId: i.workerId,
    stepUuid: i.stepUuid,
    leaseToken: i.leaseToken,
    error: {
      message: i.error.message,
      errorType: nullableToProto(i.error.errorType),
      retryable: i.error.retryable,
      retryAfterSeconds: nullableToProto(i.error.retryAfterSeconds),
      statusCode: nullableToProto(i.error.statusCode),
      backtrace: nullableToProto(i.error.backtrace),
      context: nullableToProto(i.error.context),
    },
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
  const input = { workerId: v.string('worker_id', req.workerId, id), leases: leaseRefsFromProto(v, req.leases) };
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


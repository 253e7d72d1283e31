// Checkpoints (WorkerService.CheckpointStep, ClaimedStep.checkpoint, Step.checkpoint): domain ↔ proto.
import type {
  CheckpointMark,
  CheckpointStepInput,
  CheckpointStepResult,
  StepCheckpoint,
} from '../../domain/checkpoint.js';
import type { JsonValue } from '../../domain/json.js';
import { INT_LIMITS, TEXT_LIMITS as T } from '../../domain/limits.js';
import type {
  CheckpointMark as PbCheckpointMark,
  StepCheckpoint as PbStepCheckpoint,
} from '../../gen/tasker/v1/common.js';
import type {
  CheckpointStepRequest as PbCheckpointStepRequest,
  CheckpointStepResponse as PbCheckpointStepResponse,
} from '../../gen/tasker/v1/workers.js';
import { validationError } from '../../errors.js';
import { RequestValidator, requiredDateFromProto, valueFromProto, valueToProto } from './common.js';

function markToProto(m: CheckpointMark): PbCheckpointMark {
  return { cursor: m.cursor, timestamp: m.timestamp, attempt: m.attempt };
}

function markFromProto(m: PbCheckpointMark, path: string): CheckpointMark {
  return {
    cursor: m.cursor as JsonValue,
    timestamp: requiredDateFromProto(m.timestamp, `${path}.timestamp`),
    attempt: m.attempt,
  };
}

export function checkpointToProto(c: StepCheckpoint): PbStepCheckpoint {
  return {
    cursor: c.cursor,
    itemsProcessed: c.itemsProcessed,
    accumulatedResults: valueToProto(c.accumulatedResults),
    attempt: c.attempt,
    timestamp: c.timestamp,
    history: c.history.map(markToProto),
  };
}

export function checkpointFromProto(p: PbStepCheckpoint, path = 'checkpoint'): StepCheckpoint {
  return {
    cursor: p.cursor as JsonValue,
    itemsProcessed: p.itemsProcessed,
    accumulatedResults: valueFromProto(p.accumulatedResults),
    attempt: p.attempt,
    timestamp: requiredDateFromProto(p.timestamp, `${path}.timestamp`),
    history: p.history.map((m, i) => markFromProto(m, `${path}.history[${i}]`)),
  };
}

/** An absent checkpoint is the domain's null. */
export function optionalCheckpointToProto(c: StepCheckpoint | null): PbStepCheckpoint | undefined {
  return c === null ? undefined : checkpointToProto(c);
}

export function optionalCheckpointFromProto(
  p: PbStepCheckpoint | undefined,
  path = 'checkpoint',
): StepCheckpoint | null {
  return p === undefined ? null : checkpointFromProto(p, path);
}

export function checkpointStepInputFromProto(req: PbCheckpointStepRequest): CheckpointStepInput {
  const v = new RequestValidator();
  const workerId = v.string('worker_id', req.workerId, T.workerId);
  const stepUuid = v.uuid('step_uuid', req.stepUuid);
  const leaseToken = v.uuid('lease_token', req.leaseToken);
  // A JSON null cursor travels as NULL_VALUE and decodes to null: "no cursor" is not a checkpoint either.
  if (req.cursor === undefined || req.cursor === null) v.fail('cursor', 'is required');
  const itemsProcessed = v.int('items_processed', req.itemsProcessed, INT_LIMITS.checkpointItems);
  v.done();
  return {
    workerId,
    stepUuid,
    leaseToken,
    cursor: req.cursor as JsonValue,
    itemsProcessed,
    accumulatedResults: valueFromProto(req.accumulatedResults),
  };
}

export function checkpointStepInputToProto(i: CheckpointStepInput): PbCheckpointStepRequest {
  return {
    workerId: i.workerId,
    stepUuid: i.stepUuid,
    leaseToken: i.leaseToken,
    cursor: i.cursor,
    itemsProcessed: i.itemsProcessed,
    accumulatedResults: valueToProto(i.accumulatedResults),
  };
}

export function checkpointStepResultToProto(r: CheckpointStepResult): PbCheckpointStepResponse {
  return { stepUuid: r.stepUuid, leaseExpiresAt: r.leaseExpiresAt, checkpoint: checkpointToProto(r.checkpoint) };
}

export function checkpointStepResultFromProto(r: PbCheckpointStepResponse): CheckpointStepResult {
  if (r.checkpoint === undefined) throw validationError([{ path: 'checkpoint', message: 'is required' }]);
  return {
    stepUuid: r.stepUuid,
    leaseExpiresAt: requiredDateFromProto(r.leaseExpiresAt, 'lease_expires_at'),
    checkpoint: checkpointFromProto(r.checkpoint),
  };
}

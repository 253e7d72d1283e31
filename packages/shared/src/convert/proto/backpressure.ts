// Admission state (BackpressureStatus) and the created task it came with (CreateTaskResponse).
import {
  BACKPRESSURE_REASONS,
  type BackpressureReason,
  type BackpressureStatus,
  type CreatedTask,
} from '../../domain/backpressure.js';
import { validationError } from '../../errors.js';
import type { BackpressureStatus as PbBackpressureStatus } from '../../gen/tasker/v1/common.js';
import type { CreateTaskResponse as PbCreateTaskResponse } from '../../gen/tasker/v1/tasks.js';
import { nullableFromProto, nullableToProto } from './common.js';
import { requiredTaskFromProto, taskToProto } from './task.js';

export function backpressureStatusToProto(b: BackpressureStatus): PbBackpressureStatus {
  return {
    active: b.active,
    reason: nullableToProto(b.reason),
    retryAfterSeconds: nullableToProto(b.retryAfterSeconds),
    queueDepth: nullableToProto(b.queueDepth),
    maxQueueDepth: nullableToProto(b.maxQueueDepth),
  };
}

function reasonFromProto(reason: string | undefined): BackpressureReason | null {
  if (reason === undefined) return null;
  if (!(BACKPRESSURE_REASONS as readonly string[]).includes(reason)) {
    throw validationError([
      { path: 'backpressure.reason', message: `must be one of ${BACKPRESSURE_REASONS.join(', ')}` },
    ]);
  }
  return reason as BackpressureReason;
}

/** An absent status (a server that reports none) reads as inactive with nothing known. */
export function backpressureStatusFromProto(b: PbBackpressureStatus | undefined): BackpressureStatus {
  if (b === undefined)
    return { active: false, reason: null, retryAfterSeconds: null, queueDepth: null, maxQueueDepth: null };
  return {
    active: b.active,
    reason: reasonFromProto(b.reason),
    retryAfterSeconds: nullableFromProto(b.retryAfterSeconds),
    queueDepth: nullableFromProto(b.queueDepth),
    maxQueueDepth: nullableFromProto(b.maxQueueDepth),
  };
}

export function createdTaskToProto(created: CreatedTask): PbCreateTaskResponse {
  return { task: taskToProto(created.task), backpressure: backpressureStatusToProto(created.backpressure) };
}

export function createdTaskFromProto(r: PbCreateTaskResponse): CreatedTask {
  return { task: requiredTaskFromProto(r.task), backpressure: backpressureStatusFromProto(r.backpressure) };
}

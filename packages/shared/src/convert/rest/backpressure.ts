import type { BackpressureStatus, CreatedTask } from '../../domain/backpressure.js';
import type { BackpressureStatusResponse, CreateTaskResponse } from '../../schemas/rest/backpressure.js';
import { taskFromRest, taskToRest } from './task.js';

export function backpressureStatusToRest(b: BackpressureStatus): BackpressureStatusResponse {
  return {
    active: b.active,
    reason: b.reason,
    retry_after_seconds: b.retryAfterSeconds,
    queue_depth: b.queueDepth,
    max_queue_depth: b.maxQueueDepth,
  };
}

export function backpressureStatusFromRest(b: BackpressureStatusResponse): BackpressureStatus {
  return {
    active: b.active,
    reason: b.reason,
    retryAfterSeconds: b.retry_after_seconds,
    queueDepth: b.queue_depth,
    maxQueueDepth: b.max_queue_depth,
  };
}

export function createdTaskToRest(created: CreatedTask): CreateTaskResponse {
  return { ...taskToRest(created.task), backpressure: backpressureStatusToRest(created.backpressure) };
}

export function createdTaskFromRest(r: CreateTaskResponse): CreatedTask {
  const { backpressure, ...task } = r;
  return { task: taskFromRest(task), backpressure: backpressureStatusFromRest(backpressure) };
}

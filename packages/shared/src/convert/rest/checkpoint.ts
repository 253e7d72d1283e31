// Checkpoints (POST /v1/workers/checkpoint, ClaimedStep.checkpoint, Step.checkpoint): domain ↔ REST.
import type { CheckpointStepInput, CheckpointStepResult, StepCheckpoint } from '../../domain/checkpoint.js';
import type {
  CheckpointStepRequest,
  CheckpointStepResponse,
  StepCheckpointResponse,
} from '../../schemas/rest/checkpoint.js';
import { timestampFromRest, timestampToRest } from './common.js';

export function checkpointToRest(c: StepCheckpoint): StepCheckpointResponse {
  return {
    cursor: c.cursor,
    items_processed: c.itemsProcessed,
    accumulated_results: c.accumulatedResults,
    attempt: c.attempt,
    timestamp: timestampToRest(c.timestamp),
    history: c.history.map((m) => ({ cursor: m.cursor, timestamp: timestampToRest(m.timestamp), attempt: m.attempt })),
  };
}

export function checkpointFromRest(r: StepCheckpointResponse): StepCheckpoint {
  return {
    cursor: r.cursor,
    itemsProcessed: r.items_processed,
    accumulatedResults: r.accumulated_results,
    attempt: r.attempt,
    timestamp: timestampFromRest(r.timestamp),
    history: r.history.map((m) => ({
      cursor: m.cursor,
      timestamp: timestampFromRest(m.timestamp),
      attempt: m.attempt,
    })),
  };
}

export function optionalCheckpointToRest(c: StepCheckpoint | null): StepCheckpointResponse | null {
  return c === null ? null : checkpointToRest(c);
}

export function optionalCheckpointFromRest(r: StepCheckpointResponse | null | undefined): StepCheckpoint | null {
  return r === null || r === undefined ? null : checkpointFromRest(r);
}

export function checkpointStepInputFromRest(b: CheckpointStepRequest): CheckpointStepInput {
  return {
    workerId: b.worker_id,
    stepUuid: b.step_uuid,
    leaseToken: b.lease_token,
    cursor: b.cursor,
    itemsProcessed: b.items_processed,
    accumulatedResults: b.accumulated_results,
  };
}

export function checkpointStepInputToRest(i: CheckpointStepInput): CheckpointStepRequest {
  return {
    worker_id: i.workerId,
    step_uuid: i.stepUuid,
    lease_token: i.leaseToken,
    cursor: i.cursor,
    items_processed: i.itemsProcessed,
    accumulated_results: i.accumulatedResults,
  };
}

export function checkpointStepResultToRest(r: CheckpointStepResult): CheckpointStepResponse {
  return {
    step_uuid: r.stepUuid,
    lease_expires_at: timestampToRest(r.leaseExpiresAt),
    checkpoint: checkpointToRest(r.checkpoint),
  };
}

export function checkpointStepResultFromRest(r: CheckpointStepResponse): CheckpointStepResult {
  return {
    stepUuid: r.step_uuid,
    leaseExpiresAt: timestampFromRest(r.lease_expires_at),
    checkpoint: checkpointFromRest(r.checkpoint),
  };
}

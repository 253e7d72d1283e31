import type { JsonValue } from './json.js';

/** One entry of a step's checkpoint history: where a checkpoint stood and when. */
export interface CheckpointMark {
  cursor: JsonValue;
  timestamp: Date;
  /** The attempt that wrote it. */
  attempt: number;
}

/**
 * How far a step's worker got, as it last reported (docs/worker.md, "Checkpoints"). It outlives the attempt that
 * wrote it: the next claim of the step hands it to the retried attempt, which resumes from it.
 */
export interface StepCheckpoint {
  /** Where to resume: any JSON value the handler chose (a row offset, a page token, ...). */
  cursor: JsonValue;
  itemsProcessed: number;
  /** Partial results so far; null when the handler reported none. */
  accumulatedResults: JsonValue | null;
  /** The attempt that wrote it. */
  attempt: number;
  timestamp: Date;
  /** The last checkpoints, oldest first, this one last (bounded by count and size). */
  history: CheckpointMark[];
}

/** A worker's checkpoint of a step it holds, fenced by the claim's lease token. */
export interface CheckpointStepInput {
  workerId: string;
  stepUuid: string;
  leaseToken: string;
  cursor: JsonValue;
  itemsProcessed: number;
  accumulatedResults: JsonValue | null;
}

/** A recorded checkpoint: the lease was extended like a heartbeat's. */
export interface CheckpointStepResult {
  stepUuid: string;
  leaseExpiresAt: Date;
  checkpoint: StepCheckpoint;
}

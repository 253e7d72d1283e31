import { z } from 'zod';
import { INT_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import { JsonValueSchema, TimestampSchema, UuidSchema, int, named, text } from './common.js';

const CheckpointMarkSchema = named(
  'CheckpointMark',
  z.object({ cursor: JsonValueSchema, timestamp: TimestampSchema, attempt: z.number().int() }),
);

/** A step's last checkpoint (docs/worker.md, "Checkpoints"). */
export const StepCheckpointSchema = named(
  'StepCheckpoint',
  z.object({
    cursor: JsonValueSchema.describe('Where to resume: any JSON value the handler chose'),
    items_processed: z.number().int(),
    accumulated_results: JsonValueSchema.nullable().describe('Partial results so far; null for none'),
    attempt: z.number().int().describe('The attempt that wrote it'),
    timestamp: TimestampSchema,
    history: z.array(CheckpointMarkSchema).describe('The last checkpoints, oldest first, this one last'),
  }),
);
export type StepCheckpointResponse = z.infer<typeof StepCheckpointSchema>;

export const CheckpointStepRequestSchema = named(
  'CheckpointStepRequest',
  z.strictObject({
    worker_id: text(TEXT_LIMITS.workerId),
    step_uuid: UuidSchema,
    lease_token: UuidSchema.describe('The claim’s fencing token'),
    cursor: JsonValueSchema.refine((v): boolean => v !== null, 'is required').describe('Where to resume; not null'),
    items_processed: int(INT_LIMITS.checkpointItems).default(0),
    accumulated_results: JsonValueSchema.nullable().default(null),
  }),
);
export type CheckpointStepRequest = z.infer<typeof CheckpointStepRequestSchema>;

export const CheckpointStepResponseSchema = named(
  'CheckpointStepResponse',
  z.object({ step_uuid: UuidSchema, lease_expires_at: TimestampSchema, checkpoint: StepCheckpointSchema }),
);
export type CheckpointStepResponse = z.infer<typeof CheckpointStepResponseSchema>;

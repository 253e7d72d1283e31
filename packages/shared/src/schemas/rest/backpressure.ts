import { z } from 'zod';
import { BACKPRESSURE_REASONS } from '../../domain/backpressure.js';
import { named } from './common.js';
import { TaskResponseSchema } from './task.js';

/** Admission state of the task's namespace (gRPC BackpressureStatus). */
export const BackpressureStatusSchema = named(
  'BackpressureStatus',
  z.object({
    active: z.boolean().describe('True while creation in the namespace is refused (never in a 201 body)'),
    reason: z.enum(BACKPRESSURE_REASONS).nullable(),
    retry_after_seconds: z.number().int().nullable(),
    queue_depth: z
      .number()
      .int()
      .nullable()
      .describe(
        'Unclaimed ready steps of the namespace at the last count (at most one pulse old); null before the first count',
      ),
    max_queue_depth: z
      .number()
      .int()
      .nullable()
      .describe("The namespace's limit: backpressure.namespaces.<ns>, else backpressure.max_pending_steps"),
  }),
);
export type BackpressureStatusResponse = z.infer<typeof BackpressureStatusSchema>;

/** 201 body of POST /v1/tasks: the task, plus the admission state it was created under. */
export const CreateTaskResponseSchema = named(
  'CreatedTask',
  TaskResponseSchema.extend({ backpressure: BackpressureStatusSchema }),
);
export type CreateTaskResponse = z.infer<typeof CreateTaskResponseSchema>;

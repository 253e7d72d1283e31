import { z } from 'zod';
import { EXPANSION_OUTCOME_TYPES, TASK_EVENT_TYPES } from '../../domain/events.js';
import { INT_LIMITS } from '../../domain/limits.js';
import {
  BooleanParamSchema,
  StepStateSchema,
  TaskStateSchema,
  TimestampSchema,
  UuidSchema,
  intParam,
  named,
} from './common.js';

export const TaskExpansionSchema = named(
  'TaskExpansion',
  z.object({
    trigger_step_uuid: UuidSchema.describe('The decision or batchable step'),
    trigger_step_name: z.string(),
    outcome_type: z.enum(EXPANSION_OUTCOME_TYPES),
    created_steps: z
      .array(z.object({ step_uuid: UuidSchema, name: z.string() }))
      .describe('In creation order: the branches and the steps that came with them, or one worker per batch'),
    worker_template: z.string().nullable().describe('The batch_worker template of a batch expansion'),
    batch_ids: z.array(z.string()).describe('Batch ids in worker order; empty for a decision'),
  }),
  "A decision or batchable step's outcome applied to its task",
);

/** `data:` of one Server-Sent Event of GET /v1/tasks/{task_uuid}/events (`id:` = event_id, `event:` = type). */
export const TaskEventSchema = named(
  'TaskEvent',
  z.object({
    event_id: z.number().int().min(0).describe('Global transition cursor; resume with Last-Event-ID'),
    type: z.enum(TASK_EVENT_TYPES),
    task_uuid: UuidSchema,
    task_state: TaskStateSchema,
    step: z
      .object({ step_uuid: UuidSchema, name: z.string(), state: StepStateSchema, attempt: z.number().int() })
      .nullable(),
    expansion: TaskExpansionSchema.nullable().describe('Set on decision.branches_created and batch.workers_created'),
    occurred_at: TimestampSchema,
  }),
);
export type TaskEventResponse = z.infer<typeof TaskEventSchema>;

const eventCursor = intParam(INT_LIMITS.eventCursor);

export const TaskEventsQuerySchema = z.strictObject({
  after_event_id: eventCursor.optional().describe('Replay only events after this cursor'),
  include_steps: BooleanParamSchema.optional().describe('Also stream step state changes'),
});

/** `Last-Event-ID` (sent by EventSource on reconnect) wins over `after_event_id`. */
export const TaskEventsHeadersSchema = z.looseObject({ 'last-event-id': eventCursor.optional() });

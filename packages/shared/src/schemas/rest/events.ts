import { z } from 'zod';
import { TASK_EVENT_TYPES } from '../../domain/events.js';
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

import type { TaskStatusEvent } from '../../domain/events.js';
import type { TaskEventResponse } from '../../schemas/rest/events.js';
import { timestampFromRest, timestampToRest } from './common.js';

export function taskEventToRest(e: TaskStatusEvent): TaskEventResponse {
  return {
    event_id: e.eventId,
    type: e.type,
    task_uuid: e.taskUuid,
    task_state: e.taskState,
    step:
      e.step === null
        ? null
        : { step_uuid: e.step.stepUuid, name: e.step.name, state: e.step.state, attempt: e.step.attempt },
    occurred_at: timestampToRest(e.occurredAt),
  };
}

export function taskEventFromRest(r: TaskEventResponse): TaskStatusEvent {
  return {
    eventId: r.event_id,
    type: r.type,
    taskUuid: r.task_uuid,
    taskState: r.task_state,
    step:
      r.step === null
        ? null
        : { stepUuid: r.step.step_uuid, name: r.step.name, state: r.step.state, attempt: r.step.attempt },
    occurredAt: timestampFromRest(r.occurred_at),
  };
}

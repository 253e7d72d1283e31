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
    expansion:
      e.expansion === null
        ? null
        : {
            trigger_step_uuid: e.expansion.triggerStepUuid,
            trigger_step_name: e.expansion.triggerStepName,
            outcome_type: e.expansion.outcomeType,
            created_steps: e.expansion.createdSteps.map((c) => ({ step_uuid: c.stepUuid, name: c.name })),
            worker_template: e.expansion.workerTemplate,
            batch_ids: [...e.expansion.batchIds],
          },
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
    expansion:
      r.expansion === null
        ? null
        : {
            triggerStepUuid: r.expansion.trigger_step_uuid,
            triggerStepName: r.expansion.trigger_step_name,
            outcomeType: r.expansion.outcome_type,
            createdSteps: r.expansion.created_steps.map((c) => ({ stepUuid: c.step_uuid, name: c.name })),
            workerTemplate: r.expansion.worker_template,
            batchIds: [...r.expansion.batch_ids],
          },
    occurredAt: timestampFromRest(r.occurred_at),
  };
}

// Task event stream (StreamTaskStatus): domain ↔ proto.
import {
  EXPANSION_EVENT_TYPES,
  type TaskExpansion,
  type TaskStatusEvent,
  type WatchOptions,
} from '../../domain/events.js';
import { validationError } from '../../errors.js';
import { TaskUpdateType as PbTaskUpdateType } from '../../gen/tasker/v1/tasks.js';
import type {
  StreamTaskStatusRequest as PbStreamTaskStatusRequest,
  TaskExpansion as PbTaskExpansion,
  TaskStatusUpdate as PbTaskStatusUpdate,
} from '../../gen/tasker/v1/tasks.js';
import { INT_LIMITS } from '../../domain/limits.js';
import { RequestValidator, nullableFromProto, nullableToProto, requiredDateFromProto } from './common.js';
import {
  expansionOutcomeTypeFromProto,
  expansionOutcomeTypeToProto,
  stepStateFromProto,
  stepStateToProto,
  taskEventTypeFromProto,
  taskEventTypeToProto,
  taskStateFromProto,
  taskStateToProto,
} from './enums.js';

export interface StreamTaskStatusQuery {
  taskUuid: string;
  options: Pick<WatchOptions, 'afterEventId' | 'includeSteps'>;
}

export function streamTaskStatusRequestFromProto(req: PbStreamTaskStatusRequest): StreamTaskStatusQuery {
  const v = new RequestValidator();
  const taskUuid = v.uuid('task_uuid', req.taskUuid);
  const after = v.optionalInt('after_event_id', req.afterEventId, INT_LIMITS.eventCursor);
  v.done();
  return {
    taskUuid,
    options:
      after === undefined
        ? { includeSteps: req.includeSteps }
        : { includeSteps: req.includeSteps, afterEventId: after },
  };
}

export function streamTaskStatusRequestToProto(q: StreamTaskStatusQuery): PbStreamTaskStatusRequest {
  return { taskUuid: q.taskUuid, includeSteps: q.options.includeSteps ?? false, afterEventId: q.options.afterEventId };
}

function taskExpansionToProto(x: TaskExpansion): PbTaskExpansion {
  return {
    triggerStepUuid: x.triggerStepUuid,
    triggerStepName: x.triggerStepName,
    outcomeType: expansionOutcomeTypeToProto(x.outcomeType),
    createdSteps: x.createdSteps.map((c) => ({ stepUuid: c.stepUuid, name: c.name })),
    workerTemplate: nullableToProto(x.workerTemplate),
    batchIds: [...x.batchIds],
  };
}

function taskExpansionFromProto(p: PbTaskExpansion): TaskExpansion {
  return {
    triggerStepUuid: p.triggerStepUuid,
    triggerStepName: p.triggerStepName,
    outcomeType: expansionOutcomeTypeFromProto(p.outcomeType, 'expansion.outcome_type'),
    createdSteps: p.createdSteps.map((c) => ({ stepUuid: c.stepUuid, name: c.name })),
    workerTemplate: nullableFromProto(p.workerTemplate),
    batchIds: [...p.batchIds],
  };
}

/**
 * `lastEventId`: the cursor of the last event sent on this stream. The proto promises that a keepalive carries
 * it (the domain's keepalives carry 0), so a client can always resume from the event id it saw last.
 */
export function taskStatusEventToProto(e: TaskStatusEvent, lastEventId?: number): PbTaskStatusUpdate {
  const updateType =
    e.type === 'task_state_change' && e.taskState === 'resolved_manually'
      ? PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_RESOLVED_MANUALLY
      : taskEventTypeToProto(e.type);
  return {
    eventId: e.type === 'keepalive' && lastEventId !== undefined ? lastEventId : e.eventId,
    updateType,
    timestamp: e.occurredAt,
    taskUuid: e.taskUuid,
    taskState: taskStateToProto(e.taskState),
    step:
      e.step === null
        ? undefined
        : {
            stepUuid: e.step.stepUuid,
            name: e.step.name,
            state: stepStateToProto(e.step.state),
            attempt: e.step.attempt,
          },
    expansion: e.expansion === null ? undefined : taskExpansionToProto(e.expansion),
  };
}

export function taskStatusEventFromProto(p: PbTaskStatusUpdate): TaskStatusEvent {
  const type = taskEventTypeFromProto(p.updateType, 'update_type');
  if (type === 'step_state_change' && p.step === undefined) {
    throw validationError([{ path: 'step', message: 'is required for STEP_STATE_CHANGE' }]);
  }
  if ((EXPANSION_EVENT_TYPES as readonly string[]).includes(type) && p.expansion === undefined) {
    throw validationError([{ path: 'expansion', message: `is required for ${type}` }]);
  }
  return {
    eventId: p.eventId,
    type,
    taskUuid: p.taskUuid,
    taskState: taskStateFromProto(p.taskState, 'task_state'),
    step:
      p.step === undefined
        ? null
        : {
            stepUuid: p.step.stepUuid,
            name: p.step.name,
            state: stepStateFromProto(p.step.state, 'step.state'),
            attempt: p.step.attempt,
          },
    expansion: p.expansion === undefined ? null : taskExpansionFromProto(p.expansion),
    occurredAt: requiredDateFromProto(p.timestamp, 'timestamp'),
  };
}

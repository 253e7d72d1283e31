// Task event stream (StreamTaskStatus): domain ↔ proto.
import type { TaskStatusEvent, WatchOptions } from '../../domain/events.js';
import { validationError } from '../../errors.js';
import { TaskUpdateType as PbTaskUpdateType } from '../../gen/tasker/v1/tasks.js';
import type {
  StreamTaskStatusRequest as PbStreamTaskStatusRequest,
  TaskStatusUpdate as PbTaskStatusUpdate,
} from '../../gen/tasker/v1/tasks.js';
import { INT_LIMITS } from '../../domain/limits.js';
import { RequestValidator, requiredDateFromProto } from './common.js';
import {
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
  };
}

export function taskStatusEventFromProto(p: PbTaskStatusUpdate): TaskStatusEvent {
  const type = taskEventTypeFromProto(p.updateType, 'update_type');
  if (type === 'step_state_change' && p.step === undefined) {
    throw validationError([{ path: 'step', message: 'is required for STEP_STATE_CHANGE' }]);
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
    occurredAt: requiredDateFromProto(p.timestamp, 'timestamp'),
  };
}

import { describe, expect, it } from 'vitest';
import { TASK_EVENT_TYPES } from '../../domain/events.js';
import { StreamTaskStatusRequest, TaskStatusUpdate, TaskUpdateType } from '../../gen/tasker/v1/tasks.js';
import { makeTaskStatusEvent, makeUuid } from '../../testing/builders.js';
import { distinctVariants, validationFieldsOf, wire } from '../../testing/proto-builders.js';
import {
  streamTaskStatusRequestFromProto,
  streamTaskStatusRequestToProto,
  taskStatusEventFromProto,
  taskStatusEventToProto,
} from './events.js';

describe('TaskStatusUpdate', () => {
  it.each(TASK_EVENT_TYPES.map((type) => [type]))('round-trips a %s event over the wire', (type) => {
    const event = makeTaskStatusEvent(
      type === 'step_state_change' ? { type } : { type, step: null, eventId: type === 'keepalive' ? 0 : 9 },
    );
    expect(taskStatusEventFromProto(wire(TaskStatusUpdate, taskStatusEventToProto(event)))).toEqual(event);
  });

  it.each(distinctVariants(makeTaskStatusEvent()))('round-trips every field (%s)', (_, event) => {
    expect(taskStatusEventFromProto(wire(TaskStatusUpdate, taskStatusEventToProto(event)))).toEqual(event);
  });

  it('sends the resolved_manually terminal event as TASK_RESOLVED_MANUALLY and reads it back', () => {
    const event = makeTaskStatusEvent({ type: 'task_state_change', taskState: 'resolved_manually', step: null });
    const pb = taskStatusEventToProto(event);
    expect(pb.updateType).toBe(TaskUpdateType.TASK_UPDATE_TYPE_TASK_RESOLVED_MANUALLY);
    expect(taskStatusEventFromProto(pb)).toEqual(event);
  });

  it('stamps a keepalive with the last event id sent, and nothing else', () => {
    const keepalive = makeTaskStatusEvent({ type: 'keepalive', eventId: 0, step: null });
    expect(taskStatusEventToProto(keepalive, 41).eventId).toBe(41);
    expect(taskStatusEventToProto(makeTaskStatusEvent({ eventId: 42 }), 41).eventId).toBe(42);
  });

  it('rejects UNSPECIFIED types and a step change without its step', () => {
    const pb = taskStatusEventToProto(makeTaskStatusEvent());
    expect(
      validationFieldsOf(() =>
        taskStatusEventFromProto({ ...pb, updateType: TaskUpdateType.TASK_UPDATE_TYPE_UNSPECIFIED }),
      ),
    ).toEqual(['update_type']);
    expect(validationFieldsOf(() => taskStatusEventFromProto({ ...pb, step: undefined }))).toEqual(['step']);
  });
});

describe('StreamTaskStatusRequest', () => {
  it('round-trips with and without a cursor', () => {
    for (const q of [
      { taskUuid: makeUuid(), options: { includeSteps: true, afterEventId: 0 } },
      { taskUuid: makeUuid(), options: { includeSteps: false, afterEventId: 123456789 } },
      { taskUuid: makeUuid(), options: { includeSteps: false } },
    ]) {
      expect(
        streamTaskStatusRequestFromProto(wire(StreamTaskStatusRequest, streamTaskStatusRequestToProto(q))),
      ).toEqual(q);
    }
  });

  it('rejects a bad uuid and a negative cursor', () => {
    expect(
      validationFieldsOf(() =>
        streamTaskStatusRequestFromProto({ taskUuid: 'x', includeSteps: false, afterEventId: -1 }),
      ),
    ).toEqual(['after_event_id', 'task_uuid']);
  });
});

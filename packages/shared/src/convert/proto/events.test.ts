import { describe, expect, it } from 'vitest';
import { EXPANSION_EVENT_TYPES, TASK_EVENT_TYPES, type ExpansionEventType } from '../../domain/events.js';
import {
  ExpansionOutcomeType,
  StreamTaskStatusRequest,
  TaskStatusUpdate,
  TaskUpdateType,
} from '../../gen/tasker/v1/tasks.js';
import { makeExpansionEvent, makeTaskExpansion, makeTaskStatusEvent, makeUuid } from '../../testing/builders.js';
import { distinctVariants, validationFieldsOf, wire } from '../../testing/proto-builders.js';
import {
  streamTaskStatusRequestFromProto,
  streamTaskStatusRequestToProto,
  taskStatusEventFromProto,
  taskStatusEventToProto,
} from './events.js';

describe('TaskStatusUpdate', () => {
  it.each(TASK_EVENT_TYPES.map((type) => [type]))('round-trips a %s event over the wire', (type) => {
    const event = (EXPANSION_EVENT_TYPES as readonly string[]).includes(type)
      ? makeExpansionEvent(type as ExpansionEventType)
      : makeTaskStatusEvent(
          type === 'step_state_change' ? { type } : { type, step: null, eventId: type === 'keepalive' ? 0 : 9 },
        );
    expect(taskStatusEventFromProto(wire(TaskStatusUpdate, taskStatusEventToProto(event)))).toEqual(event);
  });

  it.each(distinctVariants(makeTaskStatusEvent()))('round-trips every field (%s)', (_, event) => {
    expect(taskStatusEventFromProto(wire(TaskStatusUpdate, taskStatusEventToProto(event)))).toEqual(event);
  });

  it.each([
    ...distinctVariants(makeExpansionEvent('batch.workers_created')),
    [
      'no branches',
      makeExpansionEvent('decision.branches_created', {
        expansion: makeTaskExpansion({
          outcomeType: 'no_branches',
          createdSteps: [],
          workerTemplate: null,
          batchIds: [],
        }),
      }),
    ],
  ])('round-trips an expansion payload (%s)', (_, event) => {
    expect(taskStatusEventFromProto(wire(TaskStatusUpdate, taskStatusEventToProto(event)))).toEqual(event);
  });

  it('rejects an expansion event without its payload or with an UNSPECIFIED outcome', () => {
    const pb = taskStatusEventToProto(makeExpansionEvent('decision.branches_created'));
    expect(validationFieldsOf(() => taskStatusEventFromProto({ ...pb, expansion: undefined }))).toEqual(['expansion']);
    expect(
      validationFieldsOf(() =>
        taskStatusEventFromProto({
          ...pb,
          expansion: { ...pb.expansion!, outcomeType: ExpansionOutcomeType.EXPANSION_OUTCOME_TYPE_UNSPECIFIED },
        }),
      ),
    ).toEqual(['expansion.outcome_type']);
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

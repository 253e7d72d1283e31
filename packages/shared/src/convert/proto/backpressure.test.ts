import { describe, expect, it } from 'vitest';
import { BACKPRESSURE_REASONS } from '../../domain/backpressure.js';
import { CreateTaskResponse } from '../../gen/tasker/v1/tasks.js';
import { makeBackpressureStatus, makeCreatedTask } from '../../testing/builders.js';
import { makeMinimalTask, validationFieldsOf, wire } from '../../testing/proto-builders.js';
import { createdTaskFromProto, createdTaskToProto, createTaskResponseFromProto } from './index.js';

describe('CreateTaskResponse ↔ proto', () => {
  it.each([
    ['a full task, admitted with its namespace figures', makeCreatedTask()],
    [
      'a minimal task, before the first count',
      makeCreatedTask({
        task: makeMinimalTask(),
        backpressure: makeBackpressureStatus({ queueDepth: null, maxQueueDepth: 1 }),
      }),
    ],
    ...BACKPRESSURE_REASONS.map((reason): [string, ReturnType<typeof makeCreatedTask>] => [
      `active (${reason})`,
      makeCreatedTask({
        backpressure: makeBackpressureStatus({ active: true, reason, retryAfterSeconds: 5, queueDepth: 10_001 }),
      }),
    ]),
  ])('round-trips %s', (_, created) => {
    expect(createdTaskFromProto(wire(CreateTaskResponse, createdTaskToProto(created)))).toEqual(created);
  });

  it('sends the real depth and limit, never a constant', () => {
    const created = makeCreatedTask({ backpressure: makeBackpressureStatus({ queueDepth: 0, maxQueueDepth: 50_000 }) });
    const pb = createdTaskToProto(created);
    expect(pb.backpressure).toEqual({
      active: false,
      reason: undefined,
      retryAfterSeconds: undefined,
      queueDepth: 0,
      maxQueueDepth: 50_000,
    });
    expect(createTaskResponseFromProto(pb)).toEqual(created.task);
  });

  it('reads an absent status as inactive with nothing known, and rejects an unknown reason', () => {
    const pb = createdTaskToProto(makeCreatedTask());
    expect(createdTaskFromProto({ task: pb.task, backpressure: undefined }).backpressure).toEqual({
      active: false,
      reason: null,
      retryAfterSeconds: null,
      queueDepth: null,
      maxQueueDepth: null,
    });
    expect(
      validationFieldsOf(() => createdTaskFromProto({ ...pb, backpressure: { active: true, reason: 'busy' } })),
    ).toEqual(['backpressure.reason']);
  });
});

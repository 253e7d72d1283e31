import { describe, expect, it } from 'vitest';
import { CreateTaskResponseSchema, TaskResponseSchema } from '../../schemas/rest/index.js';
import { makeBackpressureStatus, makeCreatedTask } from '../../testing/builders.js';
import { createdTaskFromRest, createdTaskToRest, taskFromRest } from './index.js';

/** JSON over the wire: dates become strings, undefined keys vanish. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('POST /v1/tasks 201 body ↔ domain', () => {
  it.each([
    ['admitted with figures', makeCreatedTask()],
    [
      'before the first count',
      makeCreatedTask({ backpressure: makeBackpressureStatus({ queueDepth: null, maxQueueDepth: null }) }),
    ],
    [
      'active',
      makeCreatedTask({
        backpressure: makeBackpressureStatus({ active: true, reason: 'queue_depth', retryAfterSeconds: 5 }),
      }),
    ],
  ])('round-trips %s', (_, created) => {
    expect(createdTaskFromRest(CreateTaskResponseSchema.parse(wire(createdTaskToRest(created))))).toEqual(created);
  });

  it('is a Task body plus `backpressure`, so readers of the task shape keep working', () => {
    const created = makeCreatedTask();
    const body = wire(createdTaskToRest(created));
    expect((body as { backpressure: unknown }).backpressure).toEqual({
      active: false,
      reason: null,
      retry_after_seconds: null,
      queue_depth: 37,
      max_queue_depth: 10_000,
    });
    expect(taskFromRest(TaskResponseSchema.parse(body))).toEqual(created.task);
  });
});

import { describe, expect, it } from 'vitest';
import { GetTaskSummaryResponse } from '../../gen/tasker/v1/tasks.js';
import { makeTaskSummary } from '../../testing/builders.js';
import { makeMinimalTask, wire, distinctVariants } from '../../testing/proto-builders.js';
import { taskSummaryFromProto, taskSummaryToProto } from './summary.js';

describe('TaskSummary', () => {
  it.each([
    ['fully populated', makeTaskSummary()],
    ...distinctVariants(makeTaskSummary()),
    [
      'minimal',
      makeTaskSummary({
        task: makeMinimalTask(),
        steps: [],
        template: { steps: [] },
        dlq: { inDlq: false, dlqReason: null, resolutionStatus: null },
      }),
    ],
  ])('round-trips every field (%s)', (_, summary) => {
    const pb = wire(GetTaskSummaryResponse, taskSummaryToProto(summary));
    expect(taskSummaryFromProto(pb)).toEqual(summary);
    expect(pb.links.self).toBe(`/v1/tasks/${summary.task.taskUuid}`);
    expect(pb.template?.name).toBe(summary.task.name);
  });

  it('carries the step error message', () => {
    const pb = wire(GetTaskSummaryResponse, taskSummaryToProto(makeTaskSummary()));
    expect(taskSummaryFromProto(pb).steps[0]?.error).toEqual({
      errorType: 'http_error',
      retryable: false,
      statusCode: 500,
      message: 'boom',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { GetTaskSummaryResponse } from '../../gen/tasker/v1/tasks.js';
import { makeTaskSummary } from '../../testing/builders.js';
import { makeMinimalTask, wire, distinctVariants } from '../../testing/proto-builders.js';
import { taskSummaryFromProto, taskSummaryToProto, toTaskSummaryProtoView } from './summary.js';

describe('TaskSummary', () => {
  it.each([
    ['fully populated', makeTaskSummary()],
    ...distinctVariants(makeTaskSummary()),
    ['minimal', makeTaskSummary({ task: makeMinimalTask(), steps: [], template: { steps: [] }, dlq: { inDlq: false, dlqReason: null, resolutionStatus: null } })],
  ])('round-trips the proto-carried fields (%s)', (_, summary) => {
    const pb = wire(GetTaskSummaryResponse, taskSummaryToProto(summary));
    expect(taskSummaryFromProto(pb)).toEqual(toTaskSummaryProtoView(summary));
    expect(pb.links.self).toBe(`/v1/tasks/${summary.task.taskUuid}`);
    expect(pb.template?.name).toBe(summary.task.name);
  });

  it('drops only the step error message the contract lacks', () => {
    const view = toTaskSummaryProtoView(makeTaskSummary());
    expect(view.steps[0]?.error).toEqual({ errorType: 'http_error', retryable: false, statusCode: 500 });
  });
});

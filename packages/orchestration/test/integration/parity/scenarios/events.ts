// Event stream scenarios: a finished task replayed with steps, resumed from a cursor, and an unknown task.
import type { TaskStatusEvent } from '@tasker/shared';
import type { ErrorCode } from '@tasker/shared/errors';
import { taskStatusEventFromProto } from '@tasker/shared/convert/proto/index';
import { taskEventFromRest } from '@tasker/shared/convert/rest/index';
import { TaskEventSchema } from '@tasker/shared/schemas/rest/index';
import type { TaskStatusUpdate } from '@tasker/shared/gen/tasker/v1/tasks';
import { completeWorkerTask, MISSING_UUID } from '../fixtures.js';
import { grpcStreamOutcome } from '../grpc-outcome.js';
import { readSseData } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';

/** Keepalives depend on timing, not on the task: compare the transitions only. */
const transitions = (events: TaskStatusEvent[]) => events.filter((e) => e.type !== 'keepalive');

async function sseOutcome(ctx: ParityContext, taskUuid: string, query: Record<string, string>): Promise<Outcome> {
  const res = await ctx.rest.stream(`/v1/tasks/${taskUuid}/events?${new URLSearchParams(query)}`);
  if (res.status >= 400) {
    const body = (await res.json()) as { error: { code: ErrorCode; message: string } };
    return { ok: false, code: body.error.code, message: body.error.message };
  }
  const data = await readSseData(res);
  return { ok: true, value: transitions(data.map((d) => taskEventFromRest(TaskEventSchema.parse(d)))) };
}

const fromUpdates = (updates: TaskStatusUpdate[]) => transitions(updates.map(taskStatusEventFromProto));

/** The cursor after the task's first transition: a resumed stream must start right after it. */
async function secondCursor(ctx: ParityContext, taskUuid: string): Promise<number> {
  const abort = new AbortController();
  for await (const e of ctx.services.taskEvents.watch(ctx.principal, taskUuid, { signal: abort.signal })) {
    if (e.type !== 'keepalive') {
      abort.abort();
      return e.eventId;
    }
  }
  throw new Error('task has no events');
}

export const EVENT_SCENARIOS: Scenario[] = [
  {
    name: "replay a finished task's events with step changes",
    restCall: 'GET /v1/tasks/{task_uuid}/events?include_steps=true (SSE)',
    grpcCall: 'TaskService.StreamTaskStatus (include_steps)',
    expect: 'ok',
    rest: async (ctx) => {
      const task = await completeWorkerTask(ctx);
      return sseOutcome(ctx, task.taskUuid, { include_steps: 'true' });
    },
    grpc: async (ctx) => {
      const task = await completeWorkerTask(ctx);
      return grpcStreamOutcome(
        ctx.grpc.tasks.streamTaskStatus({ taskUuid: task.taskUuid, includeSteps: true }),
        fromUpdates,
      );
    },
  },
  {
    name: 'resume a task event stream after a cursor',
    restCall: 'GET /v1/tasks/{task_uuid}/events?after_event_id (SSE)',
    grpcCall: 'TaskService.StreamTaskStatus (after_event_id)',
    expect: 'ok',
    rest: async (ctx) => {
      const task = await completeWorkerTask(ctx);
      return sseOutcome(ctx, task.taskUuid, { after_event_id: String(await secondCursor(ctx, task.taskUuid)) });
    },
    grpc: async (ctx) => {
      const task = await completeWorkerTask(ctx);
      const afterEventId = await secondCursor(ctx, task.taskUuid);
      return grpcStreamOutcome(ctx.grpc.tasks.streamTaskStatus({ taskUuid: task.taskUuid, afterEventId }), fromUpdates);
    },
  },
  {
    name: 'stream the events of an unknown task',
    restCall: 'GET /v1/tasks/{task_uuid}/events (SSE)',
    grpcCall: 'TaskService.StreamTaskStatus',
    expect: 'NOT_FOUND',
    rest: (ctx) => sseOutcome(ctx, MISSING_UUID, {}),
    grpc: (ctx) => grpcStreamOutcome(ctx.grpc.tasks.streamTaskStatus({ taskUuid: MISSING_UUID }), fromUpdates),
  },
];

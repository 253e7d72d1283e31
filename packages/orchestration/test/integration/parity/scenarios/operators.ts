// Operator conclusions: closing a task as resolved_manually, opening a manual DLQ entry.
import type { DlqEntry, Task } from '@tasker/shared';
import {
  dlqCreateResponseFromProto,
  dlqCreateToProto,
  requiredTaskFromProto,
  resolveTaskRequestToProto,
} from '@tasker/shared/convert/proto/index';
import {
  dlqCreateInputToRest,
  dlqEntryFromRest,
  resolveTaskInputToRest,
  taskFromRest,
} from '@tasker/shared/convert/rest/index';
import { DlqEntrySchema, TaskResponseSchema } from '@tasker/shared/schemas/rest/index';
import { expect } from 'vitest';
import { createTask, taskInError } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';

const closing = { performedBy: 'parity-ops', reason: 'accepted as is' };
const opening = { performedBy: 'parity-ops', reason: 'customer says it is stuck' };

/** The closed task and its DLQ entry afterwards: the close must have resolved the entry on both transports. */
async function withEntry(ctx: ParityContext, outcome: Outcome): Promise<Outcome> {
  if (!outcome.ok) return outcome;
  const task = outcome.value as Task;
  return { ok: true, value: { task, entry: await ctx.services.dlq!.getByTask(ctx.principal, task.taskUuid) } };
}

const resolveVia = {
  rest: async (ctx: ParityContext, taskUuid: string) =>
    restOutcome(
      await ctx.rest.call('POST', `/v1/tasks/${taskUuid}/resolve`, { json: resolveTaskInputToRest(closing) }),
      TaskResponseSchema,
      taskFromRest,
    ),
  grpc: async (ctx: ParityContext, taskUuid: string) =>
    grpcOutcome(ctx.grpc.tasks.resolveTask(resolveTaskRequestToProto({ taskUuid, input: closing })), (r) =>
      requiredTaskFromProto(r.task),
    ),
};

const openVia = {
  rest: async (ctx: ParityContext, taskUuid: string) =>
    restOutcome(
      await ctx.rest.call('POST', `/v1/dlq/task/${taskUuid}`, { json: dlqCreateInputToRest(opening) }),
      DlqEntrySchema,
      dlqEntryFromRest,
    ),
  grpc: async (ctx: ParityContext, taskUuid: string) =>
    grpcOutcome(ctx.grpc.dlq.createEntry(dlqCreateToProto({ taskUuid, input: opening })), dlqCreateResponseFromProto),
};

export const OPERATOR_SCENARIOS: Scenario[] = [
  {
    name: 'close an errored task as resolved_manually',
    check: (value) => {
      const { task, entry } = value as { task: Task; entry: DlqEntry };
      expect(task.state).toBe('resolved_manually');
      expect(task.execution).toMatchObject({ failedSteps: 1, cancelledSteps: 1 });
      expect(entry).toMatchObject({
        resolutionStatus: 'manually_resolved',
        resolvedBy: 'parity-ops',
        resolutionNotes: 'accepted as is',
      });
    },
    restCall: 'POST /v1/tasks/{task_uuid}/resolve',
    grpcCall: 'TaskService.ResolveTask',
    expect: 'ok',
    rest: async (ctx) => withEntry(ctx, await resolveVia.rest(ctx, (await taskInError(ctx)).taskUuid)),
    grpc: async (ctx) => withEntry(ctx, await resolveVia.grpc(ctx, (await taskInError(ctx)).taskUuid)),
  },
  {
    name: 'close a task that is still running',
    restCall: 'POST /v1/tasks/{task_uuid}/resolve',
    grpcCall: 'TaskService.ResolveTask',
    expect: 'INVALID_STATE',
    rest: async (ctx) => resolveVia.rest(ctx, (await createTask(ctx)).taskUuid),
    grpc: async (ctx) => resolveVia.grpc(ctx, (await createTask(ctx)).taskUuid),
  },
  {
    name: 'open a manual DLQ entry for a running task',
    check: (value) => {
      const entry = value as DlqEntry;
      expect(entry).toMatchObject({
        reason: 'manual_dlq',
        originalState: 'steps_in_process',
        resolutionStatus: 'pending',
      });
      expect(entry.taskSnapshot).toMatchObject({
        manual_dlq: { opened_by: 'parity-ops', reason: 'customer says it is stuck' },
      });
    },
    restCall: 'POST /v1/dlq/task/{task_uuid}',
    grpcCall: 'DlqService.CreateEntry',
    expect: 'ok',
    rest: async (ctx) => openVia.rest(ctx, (await createTask(ctx)).taskUuid),
    grpc: async (ctx) => openVia.grpc(ctx, (await createTask(ctx)).taskUuid),
  },
  {
    name: 'open a manual DLQ entry for a task that has a pending one',
    restCall: 'POST /v1/dlq/task/{task_uuid}',
    grpcCall: 'DlqService.CreateEntry',
    expect: 'ALREADY_EXISTS',
    rest: async (ctx) => openVia.rest(ctx, (await taskInError(ctx)).taskUuid),
    grpc: async (ctx) => openVia.grpc(ctx, (await taskInError(ctx)).taskUuid),
  },
];

// Delayed start: a task created with run_at waits `pending` on both transports (the stored row the same), a
// past run_at starts at once, and one too far ahead is refused naming run_at.
import { createTaskInputToProto, createTaskResponseFromProto } from '@tasker/shared/convert/proto/index';
import { createTaskInputToRest, taskFromRest } from '@tasker/shared/convert/rest/index';
import { TaskResponseSchema } from '@tasker/shared/schemas/rest/index';
import { expect } from 'vitest';
import { linearTaskInput } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';
import { naming } from './bad-inputs.js';

/** A whole hour ahead (to the second), so both transports' tasks carry the same run_at. */
function anHourAhead(): Date {
  return new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
}

const FAR = new Date('2999-01-01T00:00:00Z');

/** The response and the stored row, the task cancelled after. */
async function withStored(ctx: ParityContext, outcome: Outcome): Promise<Outcome> {
  if (!outcome.ok) return outcome;
  const response = outcome.value as { taskUuid: string };
  ctx.cleanup(() => ctx.services.tasks.cancel(ctx.principal, response.taskUuid, { reason: null, performedBy: null }));
  return { ok: true, value: { response, stored: await ctx.services.tasks.get(ctx.principal, response.taskUuid) } };
}

const viaRest = async (ctx: ParityContext, runAt: Date) =>
  restOutcome(
    await ctx.rest.call('POST', '/v1/tasks', { json: createTaskInputToRest(linearTaskInput(ctx, { runAt })) }),
    TaskResponseSchema,
    taskFromRest,
  );
const viaGrpc = (ctx: ParityContext, runAt: Date) =>
  grpcOutcome(
    ctx.grpc.tasks.createTask(createTaskInputToProto(linearTaskInput(ctx, { runAt }))),
    createTaskResponseFromProto,
  );

export const DELAYED_START_SCENARIOS: Scenario[] = [
  {
    name: 'create a task with run_at in the future (delayed start)',
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'ok',
    check: (value) => {
      const { response, stored } = value as { response: Record<string, unknown>; stored: Record<string, unknown> };
      for (const task of [response, stored]) {
        expect(task).toMatchObject({ state: 'pending', runAt: anHourAhead() });
        expect(task['execution']).toMatchObject({ enqueuedSteps: 0, pendingSteps: 3, totalSteps: 3 });
      }
    },
    rest: async (ctx) => withStored(ctx, await viaRest(ctx, anHourAhead())),
    grpc: async (ctx) => withStored(ctx, await viaGrpc(ctx, anHourAhead())),
  },
  {
    name: 'create a task with run_at in the past (starts at once)',
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'ok',
    check: (value) => {
      const { response } = value as { response: { state: string; runAt: Date | null; createdAt: Date } };
      expect(response.state).toBe('steps_in_process');
      expect(response.runAt?.getTime()).toBe(response.createdAt.getTime());
    },
    rest: async (ctx) => withStored(ctx, await viaRest(ctx, new Date('2020-01-01T00:00:00Z'))),
    grpc: async (ctx) => withStored(ctx, await viaGrpc(ctx, new Date('2020-01-01T00:00:00Z'))),
  },
  {
    name: 'create a task with run_at beyond engine.max_start_delay_days',
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) => naming(['run_at'], await viaRest(ctx, FAR)),
    grpc: async (ctx) => naming(['run_at'], await viaGrpc(ctx, FAR)),
  },
];

// Dynamic task scenarios: the expansion events of a decision and a batch in the replayed stream (from the start
// and after a cursor), and step reads showing each step's type, creator and batch.
import type { Step, TaskStatusEvent } from '@tasker/shared';
import { EXPANSION_EVENT_TYPES } from '@tasker/shared';
import { stepFromProto, stepListFromProto, taskStatusEventFromProto } from '@tasker/shared/convert/proto/index';
import { stepFromRest, taskEventFromRest } from '@tasker/shared/convert/rest/index';
import type { TaskStatusUpdate } from '@tasker/shared/gen/tasker/v1/tasks';
import { StepListResponseSchema, StepResponseSchema, TaskEventSchema } from '@tasker/shared/schemas/rest/index';
import { expect } from 'vitest';
import { completeDynamicTask } from '../fixtures.js';
import { grpcOutcome, grpcStreamOutcome } from '../grpc-outcome.js';
import { readSseData, restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';

const transitions = (events: TaskStatusEvent[]) => events.filter((e) => e.type !== 'keepalive');
const isExpansion = (e: TaskStatusEvent) => (EXPANSION_EVENT_TYPES as readonly string[]).includes(e.type);

async function sseEvents(ctx: ParityContext, taskUuid: string, query: Record<string, string>): Promise<Outcome> {
  const res = await ctx.rest.stream(`/v1/tasks/${taskUuid}/events?${new URLSearchParams(query)}`);
  const data = await readSseData(res);
  return { ok: true, value: transitions(data.map((d) => taskEventFromRest(TaskEventSchema.parse(d)))) };
}

const fromUpdates = (updates: TaskStatusUpdate[]) => transitions(updates.map(taskStatusEventFromProto));

/** The event id of the task's decision expansion (read through the service). */
async function decisionCursor(ctx: ParityContext, taskUuid: string): Promise<number> {
  const abort = new AbortController();
  const events = ctx.services.taskEvents.watch(ctx.principal, taskUuid, { includeSteps: true, signal: abort.signal });
  for await (const e of events) {
    if (e.type === 'decision.branches_created') {
      abort.abort();
      return e.eventId;
    }
  }
  throw new Error('task has no decision event');
}

const WORKERS = ['chunk_001', 'chunk_002', 'chunk_003'];

/** [type, trigger, created steps, batch ids] of each expansion event. */
function expansionsIn(value: unknown): unknown[] {
  return (value as TaskStatusEvent[])
    .filter(isExpansion)
    .map((e) => [
      e.type,
      e.expansion?.triggerStepName,
      e.expansion?.createdSteps.map((c) => c.name),
      e.expansion?.batchIds,
    ]);
}

const DECISION = ['decision.branches_created', 'route', ['split'], []];
const BATCH = ['batch.workers_created', 'split', [...WORKERS, 'merge'], ['001', '002', '003']];

function checkReplay(value: unknown): void {
  const events = value as TaskStatusEvent[];
  expect(expansionsIn(events)).toEqual([DECISION, BATCH]);
  const ids = events.map((e) => e.eventId);
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  // Each created step's first event comes before the expansion event that names it; the batch's after the decision's.
  for (const x of events.filter(isExpansion)) {
    for (const created of x.expansion!.createdSteps) {
      const first = events.find((e) => e.step?.stepUuid === created.stepUuid);
      expect(first?.step?.state).toBe('pending');
      expect(first!.eventId).toBeLessThan(x.eventId);
    }
  }
  expect(events.at(-1)?.type).toBe('task_complete');
}

const byName = (steps: Step[]) => new Map(steps.map((s) => [s.name, s]));

export const DYNAMIC_SCENARIOS: Scenario[] = [
  {
    name: "replay a dynamic task's events with its decision and batch expansions",
    restCall: 'GET /v1/tasks/{task_uuid}/events?include_steps=true (SSE)',
    grpcCall: 'TaskService.StreamTaskStatus (include_steps)',
    expect: 'ok',
    check: checkReplay,
    rest: async (ctx) => {
      const task = await completeDynamicTask(ctx);
      return sseEvents(ctx, task.taskUuid, { include_steps: 'true' });
    },
    grpc: async (ctx) => {
      const task = await completeDynamicTask(ctx);
      return grpcStreamOutcome(
        ctx.grpc.tasks.streamTaskStatus({ taskUuid: task.taskUuid, includeSteps: true }),
        fromUpdates,
      );
    },
  },
  {
    name: "resume a dynamic task's events after its decision expansion",
    restCall: 'GET /v1/tasks/{task_uuid}/events?include_steps=true&after_event_id (SSE)',
    grpcCall: 'TaskService.StreamTaskStatus (include_steps, after_event_id)',
    expect: 'ok',
    check: (value) => expect(expansionsIn(value)).toEqual([BATCH]),
    rest: async (ctx) => {
      const task = await completeDynamicTask(ctx);
      const after = await decisionCursor(ctx, task.taskUuid);
      return sseEvents(ctx, task.taskUuid, { include_steps: 'true', after_event_id: String(after) });
    },
    grpc: async (ctx) => {
      const task = await completeDynamicTask(ctx);
      const afterEventId = await decisionCursor(ctx, task.taskUuid);
      return grpcStreamOutcome(
        ctx.grpc.tasks.streamTaskStatus({ taskUuid: task.taskUuid, includeSteps: true, afterEventId }),
        fromUpdates,
      );
    },
  },
  {
    name: "list a dynamic task's steps with their types, creators and batches",
    restCall: 'GET /v1/tasks/{task_uuid}/workflow_steps',
    grpcCall: 'StepService.ListSteps',
    expect: 'ok',
    check: (value) => {
      const steps = byName(value as Step[]);
      expect([...steps.keys()]).toEqual(['start', 'route', 'split', ...WORKERS, 'merge']);
      expect(steps.get('start')).toMatchObject({ stepType: 'standard', createdByStepUuid: null, batch: null });
      expect(steps.get('split')).toMatchObject({
        stepType: 'batchable',
        createdByStepUuid: steps.get('route')!.stepUuid,
        createdByStepName: 'route',
      });
      expect(steps.get('chunk_003')).toMatchObject({
        stepType: 'batch_worker',
        createdByStepName: 'split',
        batch: { templateStep: 'chunk', batchId: '003', startCursor: 20, endCursor: 25, batchSize: 5, noOp: false },
      });
      expect(steps.get('merge')).toMatchObject({ stepType: 'deferred_convergence', createdByStepName: 'split' });
    },
    rest: async (ctx) => {
      const task = await completeDynamicTask(ctx);
      const res = await ctx.rest.call('GET', `/v1/tasks/${task.taskUuid}/workflow_steps`);
      return restOutcome(res, StepListResponseSchema, (b) => b.map(stepFromRest));
    },
    grpc: async (ctx) => {
      const task = await completeDynamicTask(ctx);
      return grpcOutcome(ctx.grpc.steps.listSteps({ taskUuid: task.taskUuid }), stepListFromProto);
    },
  },
  {
    name: 'get a batch worker step',
    restCall: 'GET /v1/tasks/{task_uuid}/workflow_steps/{step_uuid}',
    grpcCall: 'StepService.GetStep',
    expect: 'ok',
    check: (value) =>
      expect(value).toMatchObject({
        name: 'chunk_001',
        createdByStepName: 'split',
        batch: { templateStep: 'chunk', batchId: '001', startCursor: 0, endCursor: 10, batchSize: 10 },
      }),
    rest: async (ctx) => {
      const { taskUuid, stepUuid } = await workerStep(ctx);
      const res = await ctx.rest.call('GET', `/v1/tasks/${taskUuid}/workflow_steps/${stepUuid}`);
      return restOutcome(res, StepResponseSchema, stepFromRest);
    },
    grpc: async (ctx) => {
      const { taskUuid, stepUuid } = await workerStep(ctx);
      return grpcOutcome(ctx.grpc.steps.getStep({ taskUuid, stepUuid }), (r) => stepFromProto(r.step!));
    },
  },
];

async function workerStep(ctx: ParityContext): Promise<{ taskUuid: string; stepUuid: string }> {
  const task = await completeDynamicTask(ctx);
  const steps = await ctx.services.steps.list(ctx.principal, task.taskUuid);
  const worker = steps.find((s) => s.name === 'chunk_001');
  if (worker === undefined) throw new Error('no chunk_001');
  return { taskUuid: task.taskUuid, stepUuid: worker.stepUuid };
}

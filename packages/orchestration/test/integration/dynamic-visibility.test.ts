// Dynamic workflows seen from outside: the expansion events (decision.branches_created, batch.workers_created) in
// the task event stream over REST SSE and gRPC, live and replayed after a cursor, in event order after the
// created steps' own events; step reads showing type, creator and batch; task counts following the graph.
import type { ClaimedStep, JsonValue, Step, TaskStatusEvent } from '@tasker/shared';
import { EXPANSION_EVENT_TYPES } from '@tasker/shared';
import { stepListFromProto, taskStatusEventFromProto } from '@tasker/shared/convert/proto/index';
import { stepFromRest, taskEventFromRest } from '@tasker/shared/convert/rest/index';
import type { Config } from '@tasker/shared/config';
import { StepListResponseSchema, TaskEventSchema } from '@tasker/shared/schemas/rest/index';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcServer, type GrpcServer } from '../../src/grpc/server.js';
import { buildRestApp } from '../../src/rest/app.js';
import { closeApp } from '../../src/rest/plumbing.js';
import { claimByName, completeStep } from './helpers/dynamic.js';
import { createTaskerClients, type TaskerClients } from './helpers/grpc-client.js';
import {
  historyProblems,
  pipelineTemplate,
  startTestRuntime,
  TEST_PRINCIPAL,
  type TestRuntime,
} from './helpers/runtime.js';
import { readSse } from './rest-helpers.js';

const NS = 'dyn_vis';
const WORKERS = ['chunk_001', 'chunk_002', 'chunk_003'];

let rt: TestRuntime;
let app: FastifyInstance;
let base: string;
let grpcServer: GrpcServer;
let grpc: TaskerClients;

beforeAll(async () => {
  // Replays read 3 events per query, so every replay below crosses pages.
  rt = await startTestRuntime({ task_events: { replay_batch: 3 } });
  await rt.services.templates.register(TEST_PRINCIPAL, [pipelineTemplate(NS)], { force: false });
  const config = { ...rt.config, auth: { ...rt.config.auth, enabled: false } } as Config;
  app = await buildRestApp(rt.services, config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('REST app has no TCP address');
  base = `http://127.0.0.1:${address.port}`;
  grpcServer = createGrpcServer(rt.services, config);
  const { port } = await grpcServer.listen('127.0.0.1:0');
  grpc = createTaskerClients(`127.0.0.1:${port}`);
});

afterAll(async () => {
  grpc?.close();
  await grpcServer?.shutdown();
  if (app !== undefined) await closeApp(app, 200);
  await rt?.stop();
});

async function createTask(): Promise<string> {
  const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
    namespace: NS,
    name: 'pick_pipeline',
    version: '1.0.0',
    context: { nonce: Math.random() },
    initiator: 'test',
    sourceSystem: 'vitest',
    reason: 'visibility',
  });
  return task.taskUuid;
}

const RESULTS: Record<string, JsonValue> = {
  start: { rows: 25 },
  route: { decision_point_outcome: { type: 'create_steps', step_names: ['split'] } },
  split: { batch_processing_outcome: { type: 'create_batches', total_items: 25 } },
  merge: { merged: true },
};

/** Completes the named steps one by one (claiming what is ready), calling `after` after each. */
async function drive(names: string[], after: (name: string) => Promise<void> = async () => undefined): Promise<void> {
  const held: ClaimedStep[] = [];
  for (const name of names) {
    const step = await claimByName(rt.services, NS, name, held);
    held.splice(held.indexOf(step), 1);
    await completeStep(rt.services, step, RESULTS[name] ?? { done: name });
    await after(name);
  }
}
const ALL = ['start', 'route', 'split', ...WORKERS, 'merge'];

async function sseEvents(taskUuid: string, query: Record<string, string>) {
  const res = await fetch(`${base}/v1/tasks/${taskUuid}/events?${new URLSearchParams(query)}`);
  expect(res.status).toBe(200);
  const messages = (await readSse(res)).filter((m) => m.data !== undefined);
  const events = messages.map((m) => taskEventFromRest(TaskEventSchema.parse(JSON.parse(m.data as string))));
  // The SSE frame names the event and carries its cursor.
  messages.forEach((m, i) => {
    expect(m.event).toBe(events[i]!.type);
    if (events[i]!.type !== 'keepalive') expect(m.id).toBe(String(events[i]!.eventId));
  });
  return events.filter((e) => e.type !== 'keepalive');
}

async function grpcEvents(taskUuid: string, afterEventId?: number, includeSteps = true) {
  const events: TaskStatusEvent[] = [];
  for await (const u of grpc.tasks.streamTaskStatus({ taskUuid, includeSteps, afterEventId }))
    events.push(taskStatusEventFromProto(u));
  return events.filter((e) => e.type !== 'keepalive');
}

const isExpansion = (e: TaskStatusEvent) => (EXPANSION_EVENT_TYPES as readonly string[]).includes(e.type);
const summary = (events: TaskStatusEvent[]) =>
  events.filter(isExpansion).map((e) => ({
    type: e.type,
    trigger: e.expansion?.triggerStepName,
    outcome: e.expansion?.outcomeType,
    created: e.expansion?.createdSteps.map((c) => c.name),
    workerTemplate: e.expansion?.workerTemplate,
    batchIds: e.expansion?.batchIds,
  }));

const EXPECTED = [
  {
    type: 'decision.branches_created',
    trigger: 'route',
    outcome: 'create_steps',
    created: ['split'],
    workerTemplate: null,
    batchIds: [],
  },
  {
    type: 'batch.workers_created',
    trigger: 'split',
    outcome: 'create_batches',
    created: [...WORKERS, 'merge'],
    workerTemplate: 'chunk',
    batchIds: ['001', '002', '003'],
  },
];

describe('expansion events', () => {
  it('reach live REST and gRPC streams in event order, after the created steps appear', async () => {
    const taskUuid = await createTask();
    // Both streams open before the graph grows and follow it live to the end.
    const rest = sseEvents(taskUuid, { include_steps: 'true' });
    const viaGrpc = grpcEvents(taskUuid);
    await new Promise((r) => setTimeout(r, 100));
    await drive(ALL);
    const [r, g] = await Promise.all([rest, viaGrpc]);

    expect(summary(r)).toEqual(EXPECTED);
    expect(g).toEqual(r);
    const ids = r.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const steps = await rt.services.steps.list(TEST_PRINCIPAL, taskUuid);
    const uuidOf = new Map(steps.map((s) => [s.name, s.stepUuid]));
    for (const x of r.filter(isExpansion)) {
      expect(x.expansion!.triggerStepUuid).toBe(uuidOf.get(x.expansion!.triggerStepName));
      expect(x.taskState).toBe('steps_in_process');
      for (const c of x.expansion!.createdSteps) {
        expect(c.stepUuid).toBe(uuidOf.get(c.name));
        const first = r.find((e) => e.step?.stepUuid === c.stepUuid);
        expect(first).toMatchObject({ type: 'step_state_change', step: { state: 'pending' } });
        expect(first!.eventId).toBeLessThan(x.eventId);
      }
      // The expansion comes before its trigger completes (the same call records both).
      const done = r.find((e) => e.step?.name === x.expansion!.triggerStepName && e.step.state === 'complete');
      expect(x.eventId).toBeLessThan(done!.eventId);
    }
    expect(r.at(-1)?.type).toBe('task_complete');
    expect(await historyProblems(rt.sql, taskUuid)).toEqual([]);
  });

  it('replay after a cursor includes exactly the later expansions, in order, on both transports', async () => {
    const taskUuid = await createTask();
    await drive(ALL);
    const all = await grpcEvents(taskUuid);
    const [decision, batch] = all.filter(isExpansion);
    for (const after of [decision!.eventId - 1, decision!.eventId, batch!.eventId - 1, batch!.eventId]) {
      const expected = all.filter((e) => e.eventId > after);
      const [r, g] = await Promise.all([
        sseEvents(taskUuid, { include_steps: 'true', after_event_id: String(after) }),
        grpcEvents(taskUuid, after),
      ]);
      expect(r).toEqual(expected);
      expect(g).toEqual(expected);
    }
    // Last-Event-ID (an EventSource reconnecting) resumes the same way.
    const res = await fetch(`${base}/v1/tasks/${taskUuid}/events?include_steps=true`, {
      headers: { 'last-event-id': String(decision!.eventId) },
    });
    const resumed = (await readSse(res)).filter((m) => m.event !== 'keepalive' && m.data !== undefined);
    expect(
      resumed.map((m) => m.event).filter((t) => (EXPANSION_EVENT_TYPES as readonly string[]).includes(t!)),
    ).toEqual(['batch.workers_created']);
  });

  it('replay reads in pages (3 events here) and yields what the tables hold, in event order', async () => {
    const taskUuid = await createTask();
    await drive(ALL);
    const held = await rt.sql<{ event_id: string; kind: string }[]>`
      SELECT event_id, 'task' AS kind FROM tasker.task_transitions WHERE task_uuid = ${taskUuid}
      UNION ALL SELECT event_id, 'step' FROM tasker.step_events WHERE task_uuid = ${taskUuid}
      UNION ALL SELECT event_id, event FROM tasker.task_expansions WHERE task_uuid = ${taskUuid}
      ORDER BY 1`;
    const events = await grpcEvents(taskUuid);
    expect(events.map((e) => [e.eventId, e.step !== null ? 'step' : isExpansion(e) ? e.type : 'task'])).toEqual(
      held.map((h) => [Number(h.event_id), h.kind]),
    );
  });

  it('are task-graph events: a stream without include_steps has none', async () => {
    const taskUuid = await createTask();
    await drive(ALL);
    const [r, g] = await Promise.all([sseEvents(taskUuid, {}), grpcEvents(taskUuid, undefined, false)]);
    expect(r.some(isExpansion)).toBe(false);
    expect(g).toEqual(r);
    expect(r.map((e) => e.type).at(-1)).toBe('task_complete');
  });
});

describe('step reads of a dynamic task', () => {
  it('show type, creator and batch over REST and gRPC alike', async () => {
    const taskUuid = await createTask();
    await drive(['start', 'route', 'split']);
    const res = await fetch(`${base}/v1/tasks/${taskUuid}/workflow_steps`);
    const rest = StepListResponseSchema.parse(await res.json()).map(stepFromRest);
    const viaGrpc = stepListFromProto(await grpc.steps.listSteps({ taskUuid }));
    expect(viaGrpc).toEqual(rest);
    const by = new Map<string, Step>(rest.map((s) => [s.name, s]));
    expect([...by.keys()]).toEqual(['start', 'route', 'split', ...WORKERS, 'merge']);
    expect(by.get('start')).toMatchObject({
      stepType: 'standard',
      createdByStepUuid: null,
      createdByStepName: null,
      batch: null,
    });
    expect(by.get('route')).toMatchObject({ stepType: 'decision', createdByStepUuid: null });
    expect(by.get('split')).toMatchObject({
      stepType: 'batchable',
      createdByStepUuid: by.get('route')!.stepUuid,
      createdByStepName: 'route',
      batch: null,
    });
    WORKERS.forEach((name, i) =>
      expect(by.get(name)).toMatchObject({
        stepType: 'batch_worker',
        createdByStepUuid: by.get('split')!.stepUuid,
        createdByStepName: 'split',
        batch: {
          templateStep: 'chunk',
          batchId: `00${i + 1}`,
          startCursor: i * 10,
          endCursor: Math.min(25, (i + 1) * 10),
          batchSize: i === 2 ? 5 : 10,
          noOp: false,
        },
      }),
    );
    expect(by.get('merge')).toMatchObject({
      stepType: 'deferred_convergence',
      createdByStepName: 'split',
      batch: null,
    });
    const one = await fetch(`${base}/v1/tasks/${taskUuid}/workflow_steps/${by.get('chunk_002')!.stepUuid}`);
    expect(await one.json()).toMatchObject({
      name: 'chunk_002',
      step_type: 'batch_worker',
      created_by_step_name: 'split',
      batch: { template_step: 'chunk', batch_id: '002', start_cursor: 10, end_cursor: 20, batch_size: 10 },
    });
  });

  it('a no_batches outcome shows its no-op worker, in reads and in its event', async () => {
    const taskUuid = await createTask();
    RESULTS['split'] = { batch_processing_outcome: { type: 'no_batches' } };
    try {
      await drive(['start', 'route', 'split', 'chunk_000', 'merge']);
    } finally {
      RESULTS['split'] = { batch_processing_outcome: { type: 'create_batches', total_items: 25 } };
    }
    const steps = await rt.services.steps.list(TEST_PRINCIPAL, taskUuid);
    expect(steps.find((s) => s.name === 'chunk_000')?.batch).toEqual({
      templateStep: 'chunk',
      batchId: '000',
      startCursor: 0,
      endCursor: 0,
      batchSize: 0,
      noOp: true,
    });
    const workers = summary(await grpcEvents(taskUuid));
    expect(workers.at(-1)).toMatchObject({ outcome: 'no_batches', created: ['chunk_000', 'merge'], batchIds: ['000'] });
  });
});

describe('task counts of a dynamic task', () => {
  it('follow the graph as it grows and add up at the end', async () => {
    const taskUuid = await createTask();
    const check = async (): Promise<void> => {
      const [task, steps] = await Promise.all([
        rt.services.tasks.get(TEST_PRINCIPAL, taskUuid),
        rt.services.steps.list(TEST_PRINCIPAL, taskUuid),
      ]);
      const count = (...states: string[]) => steps.filter((s) => states.includes(s.state)).length;
      expect(task.execution).toMatchObject({
        totalSteps: steps.length,
        pendingSteps: count('pending'),
        inProgressSteps: count('in_progress'),
        completedSteps: count('complete', 'resolved_manually'),
        failedSteps: count('error'),
        readySteps: count('enqueued'),
      });
    };
    await check();
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, taskUuid)).execution.totalSteps).toBe(2);
    await drive(ALL, check);
    const done = await rt.services.tasks.get(TEST_PRINCIPAL, taskUuid);
    expect(done.execution).toMatchObject({ totalSteps: 7, completedSteps: 7, completionPercentage: 100 });
  });
});

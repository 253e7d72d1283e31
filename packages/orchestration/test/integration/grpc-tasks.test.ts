// TaskService over a real server and runtime: every RPC's success and failure codes, and a linear task driven
// to completion only over gRPC (a WorkerService loop plus a StreamTaskStatus watcher).
import {
  createTaskInputToProto,
  getTaskResponseFromProto,
  taskFromProto,
  taskStatusEventFromProto,
  taskSummaryFromProto,
} from '@tasker/shared/convert/proto/index';
import { SortDirection, TaskState } from '@tasker/shared/gen/tasker/v1/common';
import { TaskSortField, TaskUpdateType, type TaskStatusUpdate } from '@tasker/shared/gen/tasker/v1/tasks';
import { Status } from 'nice-grpc';
import { beforeAll, describe, expect, it } from 'vitest';
import { grpcErrorOf, useGrpcRuntime } from './helpers/grpc-client.js';
import { readFixtureTemplate, registerFixtureTemplate, TEST_PRINCIPAL, waitForTaskState } from './helpers/runtime.js';

const h = useGrpcRuntime();
const MISSING = '0190a4f0-5a1b-7c3d-8e4f-00000000beef';
let invoice = 0;

function createRequest(overrides: Record<string, unknown> = {}) {
  invoice += 1;
  return {
    ...createTaskInputToProto({
      namespace: 'billing',
      name: 'invoice_settlement',
      version: '1.0.0',
      context: { invoice_id: invoice },
      initiator: 'grpc-tests',
      sourceSystem: 'vitest',
      reason: 'integration',
    }),
    ...overrides,
  };
}

async function createTask(overrides: Record<string, unknown> = {}) {
  const r = await h.clients.tasks.createTask(createRequest(overrides));
  return taskFromProto(r.task!);
}

// The end-to-end run claims from its own namespace, so steps of the other tests' tasks never interfere.
const E2E_NAMESPACE = 'grpc_e2e';

beforeAll(async () => {
  await registerFixtureTemplate(h.services, 'linear');
  const copy = readFixtureTemplate('linear').replace('namespace_name: billing', `namespace_name: ${E2E_NAMESPACE}`);
  await h.services.templates.register(TEST_PRINCIPAL, [copy], { force: false });
});

describe('CreateTask', () => {
  it('creates a task honouring every request field', async () => {
    const correlationId = '0190a4f0-5a1b-7c3d-8e4f-0000000c0ffe';
    const parent = '0190a4f0-5a1b-7c3d-8e4f-0000000cafe0';
    const r = await h.clients.tasks.createTask(
      createRequest({
        priority: 7,
        tags: ['a', 'b'],
        correlationId,
        parentCorrelationId: parent,
        idempotencyKey: 'grpc-idem-1',
        options: { mode: 'x' },
      }),
    );
    // The namespace's real figures: its depth at the last pulse and its limit (test config: 1000).
    expect(r.backpressure).toEqual({ active: false, queueDepth: expect.any(Number), maxQueueDepth: 1000 });
    const task = taskFromProto(r.task!);
    expect(task).toMatchObject({
      namespace: 'billing',
      initiator: 'grpc-tests',
      sourceSystem: 'vitest',
      reason: 'integration',
      priority: 7,
      tags: ['a', 'b'],
      correlationId,
      parentCorrelationId: parent,
    });
    const stored = await h.services.tasks.get(TEST_PRINCIPAL, task.taskUuid);
    expect(stored.idempotencyKey).toBe('grpc-idem-1');
  });

  it.each([
    ['an empty required field', { reason: '' }, ['reason']],
    ['a malformed correlation id', { correlationId: 'nope' }, ['correlation_id']],
    ['an out-of-range priority', { priority: 1000 }, ['priority']],
    ['no context', { context: undefined }, ['context']],
  ])('rejects %s as INVALID_ARGUMENT naming the field', async (_, overrides, fields) => {
    const err = await grpcErrorOf(h.clients.tasks.createTask(createRequest(overrides)));
    expect([err.status, err.code]).toEqual([Status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
    expect((err.details?.fields as Array<{ path: string }>).map((f) => f.path)).toEqual(fields);
  });

  it('answers NOT_FOUND for an unknown template and ALREADY_EXISTS for a duplicate', async () => {
    expect((await grpcErrorOf(h.clients.tasks.createTask(createRequest({ name: 'nope' })))).status).toBe(
      Status.NOT_FOUND,
    );
    await createTask({ idempotencyKey: 'dup-key' });
    expect((await grpcErrorOf(h.clients.tasks.createTask(createRequest({ idempotencyKey: 'dup-key' })))).status).toBe(
      Status.ALREADY_EXISTS,
    );
  });
});

describe('GetTask, GetTaskContext, GetTaskSummary', () => {
  it('returns the task, its steps and its context only when asked', async () => {
    const task = await createTask();
    const bare = getTaskResponseFromProto(await h.clients.tasks.getTask({ taskUuid: task.taskUuid }));
    expect(bare).toMatchObject({ task: { taskUuid: task.taskUuid }, steps: null, context: null });
    const full = getTaskResponseFromProto(
      await h.clients.tasks.getTask({ taskUuid: task.taskUuid, includeSteps: true, includeContext: true }),
    );
    expect(full.steps?.map((s) => s.name)).toEqual(['load_invoice', 'compute_tax', 'charge_card', 'send_receipt']);
    expect(full.context).toMatchObject({ taskUuid: task.taskUuid, inputs: task.context });
    const context = await h.clients.tasks.getTaskContext({ taskUuid: task.taskUuid });
    expect(context.context?.inputs).toEqual(task.context);
    const summary = taskSummaryFromProto(await h.clients.tasks.getTaskSummary({ taskUuid: task.taskUuid }));
    expect(summary.template.steps).toHaveLength(4);
    expect(summary.steps).toHaveLength(4);
  });

  it.each([
    ['GetTask', () => h.clients.tasks.getTask({ taskUuid: MISSING })],
    ['GetTaskContext', () => h.clients.tasks.getTaskContext({ taskUuid: MISSING })],
    ['GetTaskSummary', () => h.clients.tasks.getTaskSummary({ taskUuid: MISSING })],
  ])('%s: NOT_FOUND for an unknown task', async (_, call) => {
    expect((await grpcErrorOf(call)).status).toBe(Status.NOT_FOUND);
  });

  it.each([
    ['GetTask', () => h.clients.tasks.getTask({ taskUuid: 'x' })],
    ['GetTaskContext', () => h.clients.tasks.getTaskContext({ taskUuid: '' })],
    ['GetTaskSummary', () => h.clients.tasks.getTaskSummary({ taskUuid: '123' })],
  ])('%s: INVALID_ARGUMENT for a malformed id', async (_, call) => {
    expect((await grpcErrorOf(call)).status).toBe(Status.INVALID_ARGUMENT);
  });
});

describe('ListTasks', () => {
  it('applies every filter, the sort and the paging', async () => {
    const tag = `list-${Date.now()}`;
    const made = [];
    for (const priority of [5, 9, 1]) made.push(await createTask({ tags: [tag], priority, initiator: 'lister' }));
    const r = await h.clients.tasks.listTasks({
      pagination: { limit: 2, offset: 0 },
      namespace: 'billing',
      name: 'invoice_settlement',
      initiator: 'lister',
      sourceSystem: 'vitest',
      tags: [tag],
      createdAfter: new Date(Date.now() - 60_000),
      createdBefore: new Date(Date.now() + 60_000),
      sort: { field: TaskSortField.TASK_SORT_FIELD_PRIORITY, direction: SortDirection.SORT_DIRECTION_DESC },
    });
    expect(r.tasks.map((t) => t.priority)).toEqual([9, 5]);
    expect(r.pagination).toEqual({ total: 3, count: 2, offset: 0, hasMore: true });
    await h.services.tasks.cancel(TEST_PRINCIPAL, made[0]!.taskUuid, { reason: null, performedBy: null });
    const cancelled = await h.clients.tasks.listTasks({ tags: [tag], states: [TaskState.TASK_STATE_CANCELLED] });
    expect(cancelled.tasks.map((t) => t.taskUuid)).toEqual([made[0]!.taskUuid]);
  });

  it('rejects an UNSPECIFIED state and an oversized page', async () => {
    const err = await grpcErrorOf(
      h.clients.tasks.listTasks({ states: [TaskState.TASK_STATE_UNSPECIFIED], pagination: { limit: 5000 } }),
    );
    expect(err.status).toBe(Status.INVALID_ARGUMENT);
    expect((err.details?.fields as Array<{ path: string }>).map((f) => f.path).sort()).toEqual([
      'pagination.limit',
      'states[0]',
    ]);
  });
});

describe('CancelTask and ResumeTask', () => {
  it('cancels with the reason recorded, then refuses a second cancel with FAILED_PRECONDITION', async () => {
    const task = await createTask();
    const r = await h.clients.tasks.cancelTask({ taskUuid: task.taskUuid, reason: 'changed my mind' });
    expect([r.success, r.task?.state]).toEqual([true, TaskState.TASK_STATE_CANCELLED]);
    const again = await grpcErrorOf(h.clients.tasks.cancelTask({ taskUuid: task.taskUuid }));
    expect([again.status, again.code]).toEqual([Status.FAILED_PRECONDITION, 'INVALID_STATE']);
    expect((await grpcErrorOf(h.clients.tasks.cancelTask({ taskUuid: MISSING }))).status).toBe(Status.NOT_FOUND);
    expect((await grpcErrorOf(h.clients.tasks.cancelTask({ taskUuid: 'nope' }))).status).toBe(Status.INVALID_ARGUMENT);
  });

  it('refuses to resume a task that is not in error, and validates the request', async () => {
    const task = await createTask();
    const err = await grpcErrorOf(
      h.clients.tasks.resumeTask({ taskUuid: task.taskUuid, performedBy: 'ops', reason: 'x' }),
    );
    expect(err.status).toBe(Status.FAILED_PRECONDITION);
    const bad = await grpcErrorOf(h.clients.tasks.resumeTask({ taskUuid: task.taskUuid }));
    expect((bad.details?.fields as Array<{ path: string }>).map((f) => f.path).sort()).toEqual([
      'performed_by',
      'reason',
    ]);
    expect(
      (await grpcErrorOf(h.clients.tasks.resumeTask({ taskUuid: MISSING, performedBy: 'ops', reason: 'x' }))).status,
    ).toBe(Status.NOT_FOUND);
  });
});

describe('a linear task driven only over gRPC', () => {
  it('runs to completion through WorkerService while StreamTaskStatus watches it', async () => {
    const { tasks, workers } = h.clients;
    await workers.registerWorker({
      workerId: 'grpc-e2e',
      hostname: 'test',
      version: '1',
      namespaces: [E2E_NAMESPACE],
      handlers: ['Billing.LoadInvoice'],
    });
    const task = taskFromProto((await tasks.createTask(createRequest({ namespace: E2E_NAMESPACE }))).task!);

    const watched = (async () => {
      const updates: TaskStatusUpdate[] = [];
      for await (const u of tasks.streamTaskStatus({ taskUuid: task.taskUuid, includeSteps: true })) updates.push(u);
      return updates;
    })();
    watched.catch(() => undefined); // awaited below; a failure before that must not surface as unhandled

    const order: string[] = [];
    while (order.length < 4) {
      const { steps } = await workers.claimSteps({
        workerId: 'grpc-e2e',
        namespaces: [E2E_NAMESPACE],
        maxSteps: 4,
        waitMs: 2_000,
      });
      for (const step of steps) {
        expect(step.taskUuid).toBe(task.taskUuid);
        const beat = await workers.heartbeat({
          workerId: 'grpc-e2e',
          leases: [{ stepUuid: step.stepUuid, leaseToken: step.leaseToken }],
        });
        expect(beat.leases[0]?.status).toBe('LEASE_STATUS_VALID');
        await workers.completeStep({
          workerId: 'grpc-e2e',
          stepUuid: step.stepUuid,
          leaseToken: step.leaseToken,
          result: { step: step.stepName, parents: Object.keys(step.parentResults).sort() },
          executionTimeMs: 1,
        });
        order.push(step.stepName);
      }
    }
    expect(order).toEqual(['load_invoice', 'compute_tax', 'charge_card', 'send_receipt']);

    const updates = await watched;
    const last = updates.at(-1)!;
    expect([last.updateType, last.taskState]).toEqual([
      TaskUpdateType.TASK_UPDATE_TYPE_TASK_COMPLETE,
      TaskState.TASK_STATE_COMPLETE,
    ]);
    const events = updates.map(taskStatusEventFromProto);
    const completedSteps = events.filter((e) => e.step?.state === 'complete').map((e) => e.step!.name);
    expect(completedSteps).toEqual(order);
    const ids = events.filter((e) => e.type !== 'keepalive').map((e) => e.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    const stored = await waitForTaskState(h.services, task.taskUuid, ['complete']);
    expect(stored.completedAt).not.toBeNull();

    // Resuming from a cursor replays exactly what came after it, and the stream ends again at the terminal event.
    const cursor = ids[2]!;
    const resumed: TaskStatusUpdate[] = [];
    for await (const u of tasks.streamTaskStatus({ taskUuid: task.taskUuid, includeSteps: true, afterEventId: cursor }))
      resumed.push(u);
    expect(resumed.map((u) => u.eventId)).toEqual(ids.filter((id) => id > cursor));
  });

  it('StreamTaskStatus: NOT_FOUND for an unknown task, INVALID_ARGUMENT for a malformed one', async () => {
    const drain = async (taskUuid: string) => {
      for await (const _ of h.clients.tasks.streamTaskStatus({ taskUuid })) void _;
    };
    expect((await grpcErrorOf(drain(MISSING))).status).toBe(Status.NOT_FOUND);
    expect((await grpcErrorOf(drain('x'))).status).toBe(Status.INVALID_ARGUMENT);
  });
});

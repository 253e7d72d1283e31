// Over a real gRPC server and database: task options, the operator's close (TaskService.ResolveTask), manual
// DLQ entries (DlqService.CreateEntry), and CreateTask with the reference's defaults, bad inputs included.
import {
  createTaskInputToProto,
  dlqCreateResponseFromProto,
  getTaskResponseFromProto,
  taskFromProto,
  taskPageFromProto,
} from '@tasker/shared/convert/proto/index';
import { Status } from 'nice-grpc';
import { beforeAll, describe, expect, it } from 'vitest';
import { createErroredTask, createOpsTask, OPS_TEMPLATE, registerOpsTemplate } from './helpers/operator-fixtures.js';
import { grpcErrorOf, useGrpcRuntime } from './helpers/grpc-client.js';
import { TEST_PRINCIPAL } from './helpers/runtime.js';

const h = useGrpcRuntime();
const MISSING = '0190a4f0-5a1b-7c3d-8e4f-00000000beef';
let invoice = 1000;

beforeAll(async () => {
  await registerOpsTemplate(h.services);
});

function request(overrides: Record<string, unknown> = {}) {
  invoice += 1;
  return {
    ...createTaskInputToProto({
      ...OPS_TEMPLATE,
      context: { invoice_id: invoice },
      initiator: 'grpc-ops',
      sourceSystem: 'vitest',
      reason: 'compat',
    }),
    ...overrides,
  };
}

async function created(overrides: Record<string, unknown> = {}) {
  const task = taskFromProto((await h.clients.tasks.createTask(request(overrides))).task!);
  return task;
}

const cancel = (taskUuid: string) =>
  h.services.tasks.cancel(TEST_PRINCIPAL, taskUuid, { reason: null, performedBy: null });
const paths = (err: { details: Record<string, unknown> | null }) =>
  ((err.details?.fields ?? []) as Array<{ path: string }>).map((f) => f.path).sort();

describe('CreateTask', () => {
  it('stores options and returns them from CreateTask, GetTask and ListTasks', async () => {
    const task = await created({ options: { channel: 'grpc', empty: '' }, tags: ['grpc-options'] });
    expect(task.options).toEqual({ channel: 'grpc', empty: '' });
    const got = getTaskResponseFromProto(await h.clients.tasks.getTask({ taskUuid: task.taskUuid }));
    expect(got.task.options).toEqual({ channel: 'grpc', empty: '' });
    const page = taskPageFromProto(await h.clients.tasks.listTasks({ tags: ['grpc-options'], states: [] }), 50);
    expect(page.items.map((t) => t.options)).toEqual([{ channel: 'grpc', empty: '' }]);
    await cancel(task.taskUuid);
  });

  it('refuses options past their bounds as INVALID_ARGUMENT naming the option', async () => {
    const long = await grpcErrorOf(h.clients.tasks.createTask(request({ options: { mode: 'x'.repeat(4097) } })));
    expect([long.status, long.code, paths(long)]).toEqual([
      Status.INVALID_ARGUMENT,
      'VALIDATION_FAILED',
      ['options.mode'],
    ]);
    const many = await grpcErrorOf(
      h.clients.tasks.createTask(
        request({ options: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }),
      ),
    );
    expect(paths(many)).toEqual(['options']);
  });

  it("gives a request without initiator, source_system and reason the reference's defaults", async () => {
    const task = await created({ initiator: undefined, sourceSystem: undefined, reason: undefined });
    expect(task).toMatchObject({ initiator: 'grpc', sourceSystem: 'tasker-core', reason: 'Task created via gRPC' });
    expect(await h.services.tasks.get(TEST_PRINCIPAL, task.taskUuid)).toMatchObject({
      initiator: 'grpc',
      sourceSystem: 'tasker-core',
      reason: 'Task created via gRPC',
    });
    await cancel(task.taskUuid);
    // Given but empty is still refused, naming each field.
    const err = await grpcErrorOf(h.clients.tasks.createTask(request({ initiator: '', sourceSystem: '', reason: '' })));
    expect([err.status, paths(err)]).toEqual([Status.INVALID_ARGUMENT, ['initiator', 'reason', 'source_system']]);
  });
});

describe('ResolveTask', () => {
  it('closes an errored task as resolved_manually and its DLQ entry as manually_resolved', async () => {
    const task = await createErroredTask(h.services);
    const r = await h.clients.tasks.resolveTask({ taskUuid: task.taskUuid, performedBy: 'ops', reason: 'refunded' });
    expect(taskFromProto(r.task!)).toMatchObject({
      state: 'resolved_manually',
      execution: { failedSteps: 1, cancelledSteps: 1, completedSteps: 2 },
    });
    const { entry } = await h.clients.dlq.getEntryByTask({ taskUuid: task.taskUuid });
    expect(entry).toMatchObject({ resolvedBy: 'ops', resolutionNotes: 'refunded' });
    expect(entry?.resolutionStatus).toBe('DLQ_RESOLUTION_STATUS_MANUALLY_RESOLVED');
  });

  it('answers FAILED_PRECONDITION for a running task, NOT_FOUND for an unknown one, INVALID_ARGUMENT naming fields', async () => {
    const running = await createOpsTask(h.services);
    const refused = await grpcErrorOf(
      h.clients.tasks.resolveTask({ taskUuid: running.taskUuid, performedBy: 'ops', reason: 'x' }),
    );
    expect([refused.status, refused.code, refused.details?.state]).toEqual([
      Status.FAILED_PRECONDITION,
      'INVALID_STATE',
      'steps_in_process',
    ]);
    expect(
      (await grpcErrorOf(h.clients.tasks.resolveTask({ taskUuid: MISSING, performedBy: 'ops', reason: 'x' }))).status,
    ).toBe(Status.NOT_FOUND);
    const bad = await grpcErrorOf(h.clients.tasks.resolveTask({ taskUuid: 'nope', performedBy: '', reason: '' }));
    expect([bad.status, paths(bad)]).toEqual([Status.INVALID_ARGUMENT, ['performed_by', 'reason', 'task_uuid']]);
    await cancel(running.taskUuid);
  });
});

describe('DlqService.CreateEntry', () => {
  it('opens a manual_dlq entry, then refuses a second one with ALREADY_EXISTS naming the open entry', async () => {
    const task = await createOpsTask(h.services, { ticket: 'T-7' });
    const entry = dlqCreateResponseFromProto(
      await h.clients.dlq.createEntry({ taskUuid: task.taskUuid, performedBy: 'ops', reason: 'looks stuck' }),
    );
    expect(entry).toMatchObject({
      taskUuid: task.taskUuid,
      reason: 'manual_dlq',
      originalState: 'steps_in_process',
      resolutionStatus: 'pending',
    });
    expect(entry.taskSnapshot).toMatchObject({
      task: { options: { ticket: 'T-7' } },
      manual_dlq: { opened_by: 'ops', reason: 'looks stuck' },
    });
    const again = await grpcErrorOf(
      h.clients.dlq.createEntry({ taskUuid: task.taskUuid, performedBy: 'ops', reason: 'again' }),
    );
    expect([again.status, again.code, again.details?.dlq_entry_uuid]).toEqual([
      Status.ALREADY_EXISTS,
      'ALREADY_EXISTS',
      entry.dlqEntryUuid,
    ]);
    await cancel(task.taskUuid);
  });

  it('answers NOT_FOUND for an unknown task and INVALID_ARGUMENT naming bad fields', async () => {
    expect(
      (await grpcErrorOf(h.clients.dlq.createEntry({ taskUuid: MISSING, performedBy: 'ops', reason: 'x' }))).status,
    ).toBe(Status.NOT_FOUND);
    const bad = await grpcErrorOf(
      h.clients.dlq.createEntry({ taskUuid: MISSING, performedBy: '', reason: 'r'.repeat(1001) }),
    );
    expect([bad.status, paths(bad)]).toEqual([Status.INVALID_ARGUMENT, ['performed_by', 'reason']]);
  });
});

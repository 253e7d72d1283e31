import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { SortDirection, TaskState } from '../../gen/tasker/v1/common.js';
import {
  CreateTaskRequest,
  GetTaskResponse,
  ListTasksRequest,
  ListTasksResponse,
  Task as PbTask,
  TaskSortField,
} from '../../gen/tasker/v1/tasks.js';
import { makeCreateTaskInput, makeStep, makeTask, makeUuid } from '../../testing/builders.js';
import { makeMinimalStep, makeMinimalTask, wire, distinctVariants } from '../../testing/proto-builders.js';
import {
  cancelTaskRequestFromProto,
  cancelTaskRequestToProto,
  createTaskInputFromProto,
  createTaskInputToProto,
  getTaskResponseFromProto,
  getTaskResponseToProto,
  GRPC_CREATE_TASK_DEFAULTS,
  resolveTaskRequestFromProto,
  resolveTaskRequestToProto,
  resumeTaskRequestFromProto,
  resumeTaskRequestToProto,
  taskContextFromProto,
  taskContextToProto,
  taskFromProto,
  taskListQueryFromProto,
  taskListQueryToProto,
  taskPageFromProto,
  taskPageToProto,
  taskToProto,
} from './task.js';

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError && err.code === 'VALIDATION_FAILED') {
      return (err.details?.fields as Array<{ path: string }>).map((f) => f.path);
    }
    throw err;
  }
  throw new Error('expected VALIDATION_FAILED');
}

describe('Task', () => {
  it.each([
    ['fully populated', makeTask()],
    ...distinctVariants(makeTask()),
    ['with a start time', makeTask({ state: 'pending', runAt: new Date('2030-01-02T03:04:05.678Z') })],
    ['minimal', makeMinimalTask()],
  ])('round-trips every field over the wire (%s)', (_, task) => {
    expect(taskFromProto(wire(PbTask, taskToProto(task)))).toEqual(task);
  });

  it('rejects a task without its request time', () => {
    const pb = { ...taskToProto(makeTask()), requestedAt: undefined };
    expect(fieldsOf(() => taskFromProto(pb))).toEqual(['task.requested_at']);
  });

  it('rejects a task whose state is UNSPECIFIED', () => {
    const pb = { ...taskToProto(makeTask()), state: TaskState.TASK_STATE_UNSPECIFIED };
    expect(fieldsOf(() => taskFromProto(pb))).toEqual(['task.state']);
  });
});

describe('CreateTaskRequest', () => {
  it.each([
    ['fully populated', makeCreateTaskInput()],
    ...distinctVariants(makeCreateTaskInput({ priority: 7 })),
    ['with a start time', makeCreateTaskInput({ runAt: new Date('2030-01-02T03:04:05.678Z') })],
    [
      'minimal',
      { namespace: 'n', name: 'x', version: '1', context: {}, initiator: 'i', sourceSystem: 's', reason: 'r' },
    ],
  ])('round-trips every field (%s)', (_, input) => {
    expect(createTaskInputFromProto(wire(CreateTaskRequest, createTaskInputToProto(input)))).toEqual(input);
  });

  it('names every invalid field at once', () => {
    const req = CreateTaskRequest.fromPartial({
      initiator: '',
      sourceSystem: '',
      reason: '',
      version: 'x'.repeat(51),
      priority: 101,
      tags: ['', 'ok'],
      correlationId: 'not-a-uuid',
      parentCorrelationId: '123',
      idempotencyKey: '',
    });
    expect(fieldsOf(() => createTaskInputFromProto(req)).sort()).toEqual(
      [
        'namespace',
        'name',
        'version',
        'context',
        'initiator',
        'source_system',
        'reason',
        'priority',
        'correlation_id',
        'parent_correlation_id',
        'idempotency_key',
        'tags[0]',
      ].sort(),
    );
  });

  it("gives an absent initiator, source_system and reason the reference's gRPC defaults", () => {
    const req = CreateTaskRequest.fromPartial({ namespace: 'n', name: 'x', version: '1', context: {} });
    expect(wire(CreateTaskRequest, req).initiator).toBeUndefined();
    expect(createTaskInputFromProto(wire(CreateTaskRequest, req))).toEqual({
      namespace: 'n',
      name: 'x',
      version: '1',
      context: {},
      initiator: 'grpc',
      sourceSystem: 'tasker-core',
      reason: 'Task created via gRPC',
    });
    expect(GRPC_CREATE_TASK_DEFAULTS).toEqual({
      initiator: 'grpc',
      sourceSystem: 'tasker-core',
      reason: 'Task created via gRPC',
    });
  });

  it('carries options both ways and leaves an empty map out', () => {
    const input = makeCreateTaskInput({ options: { a: '1', 'b.c': '' } });
    expect(createTaskInputFromProto(wire(CreateTaskRequest, createTaskInputToProto(input))).options).toEqual({
      a: '1',
      'b.c': '',
    });
    const none = createTaskInputFromProto(wire(CreateTaskRequest, createTaskInputToProto({ ...input, options: {} })));
    expect(none).not.toHaveProperty('options');
  });

  it('accepts the REST bounds exactly', () => {
    const input = makeCreateTaskInput({ priority: -100, reason: 'r'.repeat(500), namespace: 'n'.repeat(255) });
    expect(createTaskInputFromProto(createTaskInputToProto(input))).toEqual(input);
    expect(
      fieldsOf(() => createTaskInputFromProto(createTaskInputToProto({ ...input, reason: 'r'.repeat(501) }))),
    ).toEqual(['reason']);
  });
});

describe('ResolveTaskRequest', () => {
  it('round-trips', () => {
    const command = { taskUuid: makeUuid(), input: { performedBy: 'ops', reason: 'accepted as is' } };
    expect(resolveTaskRequestFromProto(resolveTaskRequestToProto(command))).toEqual(command);
  });

  it('names the bad fields', () => {
    expect(
      fieldsOf(() => resolveTaskRequestFromProto({ taskUuid: 'x', performedBy: '', reason: 'r'.repeat(1001) })).sort(),
    ).toEqual(['performed_by', 'reason', 'task_uuid']);
  });
});

describe('GetTask response', () => {
  it('round-trips task, steps and context', () => {
    const task = makeTask();
    const steps = [makeStep({ taskUuid: task.taskUuid }), makeMinimalStep({ taskUuid: task.taskUuid })];
    const context = {
      taskUuid: task.taskUuid,
      inputs: { a: 1 },
      outputs: { s: { b: [true] } },
      merged: { a: 1, s: { b: [true] } },
    };
    const back = getTaskResponseFromProto(wire(GetTaskResponse, getTaskResponseToProto({ task, steps, context })));
    expect(back).toEqual({ task, steps, context });
  });

  it('leaves steps and context absent when not asked for', () => {
    const task = makeMinimalTask();
    const back = getTaskResponseFromProto(
      wire(GetTaskResponse, getTaskResponseToProto({ task, steps: null, context: null })),
    );
    expect(back).toEqual({ task, steps: null, context: null });
  });
});

describe('ListTasksRequest', () => {
  it('round-trips every filter', () => {
    const query = {
      limit: 1000,
      offset: 20,
      namespace: 'billing',
      name: 'invoice',
      version: '1.2.0',
      states: ['pending' as const, 'resolved_manually' as const],
      initiator: 'me',
      sourceSystem: 'web',
      tags: ['a', 'b'],
      createdAfter: new Date('2024-01-01T00:00:00.123Z'),
      createdBefore: new Date('2024-02-01T00:00:00Z'),
      sort: { field: 'priority' as const, direction: 'asc' as const },
    };
    expect(taskListQueryFromProto(wire(ListTasksRequest, taskListQueryToProto(query)))).toEqual(query);
  });

  it('defaults paging and an unspecified sort to created_at descending', () => {
    expect(taskListQueryFromProto(ListTasksRequest.fromPartial({}))).toEqual({ limit: 50, offset: 0 });
    const sorted = ListTasksRequest.fromPartial({
      sort: { field: TaskSortField.TASK_SORT_FIELD_UNSPECIFIED, direction: SortDirection.SORT_DIRECTION_UNSPECIFIED },
    });
    expect(taskListQueryFromProto(sorted).sort).toEqual({ field: 'created_at', direction: 'desc' });
  });

  it('rejects an UNSPECIFIED state, a zero or oversized page and empty filters', () => {
    const req = ListTasksRequest.fromPartial({
      pagination: { limit: 1001 },
      states: [TaskState.TASK_STATE_COMPLETE, TaskState.TASK_STATE_UNSPECIFIED],
      namespace: '',
      version: 'v'.repeat(51),
    });
    expect(fieldsOf(() => taskListQueryFromProto(req)).sort()).toEqual([
      'namespace',
      'pagination.limit',
      'states[1]',
      'version',
    ]);
    expect(fieldsOf(() => taskListQueryFromProto(ListTasksRequest.fromPartial({ pagination: { limit: 0 } })))).toEqual([
      'pagination.limit',
    ]);
  });

  it('round-trips a page', () => {
    const page = { items: [makeTask(), makeMinimalTask()], total: 7, limit: 2, offset: 2 };
    const pb = wire(ListTasksResponse, taskPageToProto(page));
    expect(pb.pagination).toEqual({ total: 7, count: 2, offset: 2, hasMore: true });
    expect(taskPageFromProto(pb, 2)).toEqual(page);
  });
});

describe('Cancel, resume, context', () => {
  it('round-trips a cancel and a resume', () => {
    const cancel = { taskUuid: makeUuid(), input: { reason: 'no longer needed', performedBy: 'ops' } };
    expect(cancelTaskRequestFromProto(cancelTaskRequestToProto(cancel))).toEqual(cancel);
    const bare = { taskUuid: makeUuid(), input: { reason: null, performedBy: null } };
    expect(cancelTaskRequestFromProto(cancelTaskRequestToProto(bare))).toEqual(bare);
    const resume = { taskUuid: makeUuid(), input: { performedBy: 'ops', reason: 'fixed' } };
    expect(resumeTaskRequestFromProto(resumeTaskRequestToProto(resume))).toEqual(resume);
  });

  it('rejects a bad task uuid naming the field', () => {
    expect(fieldsOf(() => cancelTaskRequestFromProto({ taskUuid: 'nope' }))).toEqual(['task_uuid']);
    expect(
      fieldsOf(() =>
        cancelTaskRequestFromProto({ taskUuid: makeUuid(), reason: '', performedBy: 'p'.repeat(256) }),
      ).sort(),
    ).toEqual(['performed_by', 'reason']);
    expect(fieldsOf(() => resumeTaskRequestFromProto({ taskUuid: '', performedBy: '', reason: '' })).sort()).toEqual([
      'performed_by',
      'reason',
      'task_uuid',
    ]);
  });

  it('round-trips a context view', () => {
    const view = { taskUuid: makeUuid(), inputs: { x: 1 }, outputs: {}, merged: { x: 1 } };
    expect(taskContextFromProto(taskContextToProto(view), view.taskUuid)).toEqual(view);
  });
});

import { describe, expect, it } from 'vitest';
import { TASK_STATES } from '../../domain/states.js';
import {
  EXECUTION_STATUSES,
  HEALTH_STATUSES,
  RECOMMENDED_ACTIONS,
  TASK_SORT_FIELDS,
  type TaskListQuery,
} from '../../domain/task.js';
import {
  CancelTaskRequestSchema,
  CreateTaskRequestSchema,
  ResolveTaskRequestSchema,
  ResumeTaskRequestSchema,
  TaskContextResponseSchema,
  TaskListQuerySchema,
  TaskListResponseSchema,
  TaskResponseSchema,
  TaskSummaryResponseSchema,
} from '../../schemas/rest/task.js';
import { makeCreateTaskInput, makeStep, makeTask, makeTaskExecution, makeTaskSummary } from '../../testing/builders.js';
import {
  cancelTaskInputFromRest,
  cancelTaskInputToRest,
  createTaskInputFromRest,
  createTaskInputToRest,
  resolveTaskInputFromRest,
  resolveTaskInputToRest,
  resumeTaskInputFromRest,
  resumeTaskInputToRest,
  taskContextFromRest,
  taskContextToRest,
  taskFromRest,
  taskListQueryFromRest,
  taskListQueryToRest,
  taskPageFromRest,
  taskPageToRest,
  taskToRest,
  taskWithStepsFromRest,
  taskWithStepsToRest,
} from './task.js';
import { taskSummaryFromRest, taskSummaryToRest } from './summary.js';

const minimalTask = () =>
  makeTask({
    context: {},
    tags: [],
    priority: 0,
    parentCorrelationId: null,
    idempotencyKey: null,
    options: {},
    completedAt: null,
    execution: makeTaskExecution({ totalSteps: 0, completionPercentage: 0 }),
  });

/** Through JSON, as on the wire. */
const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe('resolve ↔ REST', () => {
  it('round-trips the body and names bad fields', () => {
    const input = { performedBy: 'ops', reason: 'accepted as is' };
    expect(resolveTaskInputFromRest(ResolveTaskRequestSchema.parse(wire(resolveTaskInputToRest(input))))).toEqual(
      input,
    );
    const bad = ResolveTaskRequestSchema.safeParse({ performed_by: 'ops' });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['reason']);
  });
});

describe('task ↔ REST', () => {
  it.each([
    ['full', makeTask()],
    ['delayed', makeTask({ state: 'pending', runAt: new Date('2030-01-02T03:04:05.678Z') })],
    ['minimal', minimalTask()],
  ])('round-trips a %s task through the schema', (_, task) => {
    const rest = TaskResponseSchema.parse(wire(taskToRest(task)));
    expect(taskFromRest(rest)).toEqual(task);
  });

  it('carries every task state, execution status, recommended action and health status both ways', () => {
    for (const state of TASK_STATES) {
      const task = makeTask({ state });
      expect(taskToRest(task).status).toBe(state);
      expect(taskFromRest(TaskResponseSchema.parse(wire(taskToRest(task)))).state).toBe(state);
    }
    for (const executionStatus of EXECUTION_STATUSES) {
      const task = makeTask({ execution: makeTaskExecution({ executionStatus }) });
      expect(taskFromRest(TaskResponseSchema.parse(wire(taskToRest(task)))).execution.executionStatus).toBe(
        executionStatus,
      );
    }
    for (const recommendedAction of RECOMMENDED_ACTIONS) {
      const task = makeTask({ execution: makeTaskExecution({ recommendedAction }) });
      expect(taskFromRest(TaskResponseSchema.parse(wire(taskToRest(task)))).execution.recommendedAction).toBe(
        recommendedAction,
      );
    }
    for (const healthStatus of HEALTH_STATUSES) {
      const task = makeTask({ execution: makeTaskExecution({ healthStatus }) });
      expect(taskFromRest(TaskResponseSchema.parse(wire(taskToRest(task)))).execution.healthStatus).toBe(healthStatus);
    }
  });

  it('rejects an unknown state on decode', () => {
    const rest = { ...taskToRest(makeTask()), status: 'TASK_STATE_PENDING' };
    expect(TaskResponseSchema.safeParse(rest).success).toBe(false);
  });

  it('adds steps only for a task with steps, and round-trips them', () => {
    expect(taskToRest(makeTask())).not.toHaveProperty('steps');
    const value = { task: makeTask(), steps: [makeStep(), makeStep({ lastError: null, results: null })] };
    const rest = TaskResponseSchema.parse(wire(taskWithStepsToRest(value)));
    expect(rest.steps).toHaveLength(2);
    expect(taskWithStepsFromRest(rest)).toEqual(value);
  });

  it('pages: offset/limit ↔ page/per_page with totals', () => {
    const page = { items: [makeTask(), makeTask()], total: 7, limit: 2, offset: 2 };
    const rest = TaskListResponseSchema.parse(wire(taskPageToRest(page)));
    expect(rest.pagination).toEqual({
      page: 2,
      per_page: 2,
      total_count: 7,
      total_pages: 4,
      has_next: true,
      has_previous: true,
    });
    expect(taskPageFromRest(rest)).toEqual(page);
    const last = taskPageToRest({ items: [makeTask()], total: 7, limit: 2, offset: 6 });
    expect(last.pagination).toMatchObject({ page: 4, has_next: false, has_previous: true });
    const empty = taskPageToRest({ items: [], total: 0, limit: 25, offset: 0 });
    expect(empty.pagination).toEqual({
      page: 1,
      per_page: 25,
      total_count: 0,
      total_pages: 0,
      has_next: false,
      has_previous: false,
    });
  });

  it.each([
    ['full', makeCreateTaskInput()],
    [
      'minimal',
      {
        namespace: 'n',
        name: 't',
        version: '1',
        context: {},
        initiator: 'i',
        sourceSystem: 's',
        reason: 'r',
      },
    ],
  ])('round-trips a %s create request, reading every field', (_, input) => {
    const body = CreateTaskRequestSchema.parse(wire(createTaskInputToRest(input)));
    expect(createTaskInputFromRest(body)).toEqual(input);
  });

  it.each([
    ['an array', ['a']],
    ['a string', 'fast'],
    ['a number value', { retries: 3 }],
    ['a nested object', { nested: { a: 'b' } }],
  ])('rejects options that are %s, naming options', (_, options) => {
    const result = CreateTaskRequestSchema.safeParse({ ...createTaskInputToRest(makeCreateTaskInput()), options });
    expect(result.success).toBe(false);
    expect(result.error?.issues.every((i) => i.path[0] === 'options')).toBe(true);
  });

  it('carries run_at both ways and prefers it to requested_at', () => {
    const runAt = new Date('2030-01-02T03:04:05.678Z');
    const input = makeCreateTaskInput({ runAt });
    const body = CreateTaskRequestSchema.parse(createTaskInputToRest(input));
    expect(body.run_at).toBe('2030-01-02T03:04:05.678Z');
    expect(createTaskInputFromRest(body)).toEqual(input);
    const both = CreateTaskRequestSchema.parse({ ...body, requested_at: '2031-01-01T00:00:00' });
    expect(createTaskInputFromRest(both).runAt).toEqual(runAt);
    const bad = CreateTaskRequestSchema.safeParse({ ...body, run_at: '2030-01-02T03:04:05' });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['run_at']);
  });

  it("reads the reference's requested_at in the future as run_at (naive = UTC, or with an offset)", () => {
    const input = makeCreateTaskInput();
    const body = createTaskInputToRest(input);
    const now = new Date('2030-01-01T00:00:00Z');
    for (const [requestedAt, expected] of [
      ['2030-05-01T10:00:00', '2030-05-01T10:00:00.000Z'],
      ['2030-05-01T10:00', '2030-05-01T10:00:00.000Z'],
      ['2030-05-01T10:00:00.123456', '2030-05-01T10:00:00.123Z'],
      ['2030-05-01 10:00:00+02:00', '2030-05-01T08:00:00.000Z'],
      ['2030-05-01T10:00:00-0130', '2030-05-01T11:30:00.000Z'],
      ['2030-05-01T10:00:00+05', '2030-05-01T05:00:00.000Z'],
    ] as const) {
      const parsed = CreateTaskRequestSchema.parse({ ...body, requested_at: requestedAt });
      expect(createTaskInputFromRest(parsed, now).runAt?.toISOString()).toBe(expected);
    }
  });

  it("accepts the reference's requested_at (naive or with an offset) and ignores it", () => {
    const input = makeCreateTaskInput();
    const body = createTaskInputToRest(input);
    for (const requestedAt of [
      '2024-05-01T10:00:00',
      '2024-05-01T10:00:00.123456',
      '2024-05-01T10:00:00Z',
      '2024-05-01 10:00:00+02:00',
    ]) {
      const parsed = CreateTaskRequestSchema.parse({ ...body, requested_at: requestedAt });
      expect(createTaskInputFromRest(parsed)).toEqual(input);
    }
    const bad = CreateTaskRequestSchema.safeParse({ ...body, requested_at: 'yesterday' });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['requested_at']);
  });

  it('rejects unknown fields of a create request, naming them', () => {
    const result = CreateTaskRequestSchema.safeParse({
      ...createTaskInputToRest(makeCreateTaskInput()),
      colour: 'red',
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('colour');
  });

  it('parses list queries: repeated and comma-separated states, tags, dates, sort', () => {
    const parsed = TaskListQuerySchema.parse({
      page: '3',
      per_page: '10',
      state: ['pending,error', 'complete'],
      tags: 'a,b',
      created_after: '2024-01-01T00:00:00.000Z',
      sort_by: 'priority',
    });
    const query = taskListQueryFromRest(parsed);
    expect(query).toEqual({
      limit: 10,
      offset: 20,
      states: ['pending', 'error', 'complete'],
      tags: ['a', 'b'],
      createdAfter: new Date('2024-01-01T00:00:00.000Z'),
      sort: { field: 'priority', direction: 'desc' },
    });
    expect(taskListQueryFromRest(TaskListQuerySchema.parse({}))).toEqual({ limit: 25, offset: 0 });
  });

  it("maps the reference's ?status= onto states: state names, completed and pending as the reference means them", () => {
    const states = (status: string) => taskListQueryFromRest(TaskListQuerySchema.parse({ status })).states;
    expect(states('cancelled,error')).toEqual(['error', 'cancelled']);
    expect(states('completed')).toEqual(['complete']);
    expect(states('pending')).toEqual(TASK_STATES.filter((s) => s !== 'complete'));
    expect(states('complete')).toEqual(['complete']);
    const both = TaskListQuerySchema.safeParse({ status: 'complete', state: 'error' });
    expect(both.error?.issues.map((i) => i.path.join('.'))).toEqual(['status']);
    const unknown = TaskListQuerySchema.safeParse({ status: 'done' });
    expect(unknown.error?.issues[0]?.message).toContain("'completed'");
  });

  it.each([
    ['per_page', { per_page: '101' }],
    ['per_page', { per_page: '0' }],
    ['page', { page: '0' }],
    ['page', { page: 'x' }],
    ['state', { state: 'pending,done' }],
    ['sort_by', { sort_by: 'name' }],
    ['created_after', { created_after: 'yesterday' }],
    ['bogus', { bogus: '1' }],
  ])('rejects a bad list query, naming %s', (field, query) => {
    const result = TaskListQuerySchema.safeParse(query);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(field);
  });

  it('round-trips a full list query through URL parameters', () => {
    const query: TaskListQuery = {
      limit: 10,
      offset: 30,
      namespace: 'billing',
      name: 'invoice_settlement',
      version: '1.0.0',
      states: [...TASK_STATES],
      initiator: 'me',
      sourceSystem: 'crm',
      tags: ['a', 'b'],
      createdAfter: new Date('2024-01-01T00:00:00.000Z'),
      createdBefore: new Date('2024-02-01T00:00:00.000Z'),
      sort: { field: 'completed_at', direction: 'asc' },
    };
    expect(taskListQueryFromRest(TaskListQuerySchema.parse(taskListQueryToRest(query)))).toEqual(query);
    for (const field of TASK_SORT_FIELDS) {
      const q: TaskListQuery = { limit: 5, offset: 0, sort: { field, direction: 'desc' } };
      expect(taskListQueryFromRest(TaskListQuerySchema.parse(taskListQueryToRest(q)))).toEqual(q);
    }
  });

  it('cancel and resume bodies both ways', () => {
    expect(cancelTaskInputFromRest(undefined)).toEqual({ reason: null, performedBy: null });
    const cancel = { reason: 'no longer needed', performedBy: 'ops' };
    expect(cancelTaskInputFromRest(CancelTaskRequestSchema.parse(cancelTaskInputToRest(cancel)))).toEqual(cancel);
    expect(cancelTaskInputToRest({ reason: null, performedBy: null })).toEqual({});
    const resume = { performedBy: 'ops', reason: 'fixed' };
    expect(resumeTaskInputFromRest(ResumeTaskRequestSchema.parse(resumeTaskInputToRest(resume)))).toEqual(resume);
  });

  it('context view both ways', () => {
    const view = {
      taskUuid: makeTask().taskUuid,
      inputs: { a: 1 },
      outputs: { s: { b: [true] } },
      merged: { a: 1, s: { b: [true] } },
    };
    expect(taskContextFromRest(TaskContextResponseSchema.parse(wire(taskContextToRest(view))))).toEqual(view);
  });

  it.each([
    ['full', makeTaskSummary()],
    [
      'minimal',
      makeTaskSummary({
        task: minimalTask(),
        template: { steps: [] },
        steps: [],
        dlq: { inDlq: false, dlqReason: null, resolutionStatus: null },
      }),
    ],
  ])('round-trips a %s summary with derived links', (_, summary) => {
    const rest = TaskSummaryResponseSchema.parse(wire(taskSummaryToRest(summary)));
    expect(rest.links.events).toBe(`/v1/tasks/${summary.task.taskUuid}/events`);
    expect(taskSummaryFromRest(rest)).toEqual(summary);
  });
});

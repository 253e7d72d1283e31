// Task routes over a real server and database: success, not found, invalid state, validation failures.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TaskListResponseSchema,
  TaskResponseSchema,
  TaskSummaryResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import {
  LINEAR_STEPS,
  MISSING_UUID,
  createLinearTask,
  linearTaskBody,
  registerLinearTemplate,
  useRestHarness,
} from './rest-helpers.js';

const h = useRestHarness();

beforeAll(async () => {
  await registerLinearTemplate(h);
});

function fieldPaths(body: { error: { details?: { fields?: Array<{ path: string }> } } }): string[] {
  return (body.error.details?.fields ?? []).map((f) => f.path);
}

describe('POST /v1/tasks', () => {
  it('creates a task: 201, Location, a schema-valid body with the request fields', async () => {
    const body = linearTaskBody({ priority: 7, tags: ['eu', 'rush'], idempotency_key: `k-${Date.now()}` });
    const res = await h.api('POST', '/v1/tasks', { json: body });
    expect(res.status).toBe(201);
    const task = TaskResponseSchema.parse(res.body);
    expect(res.headers.get('location')).toBe(`/v1/tasks/${task.task_uuid}`);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(task).toMatchObject({
      namespace: 'billing',
      name: 'invoice_settlement',
      version: '1.0.0',
      context: body.context,
      priority: 7,
      tags: ['eu', 'rush'],
      initiator: 'rest-tests',
      source_system: 'vitest',
      total_steps: LINEAR_STEPS.length,
    });
  });

  it('answers 409 for a duplicate identity', async () => {
    const body = linearTaskBody();
    expect((await h.api('POST', '/v1/tasks', { json: body })).status).toBe(201);
    const again = await h.api('POST', '/v1/tasks', { json: body });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_EXISTS');
  });

  it('answers 404 for an unknown template', async () => {
    const res = await h.api('POST', '/v1/tasks', { json: linearTaskBody({ name: 'no_such_template' }) });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('answers 400 naming the context field the input schema requires', async () => {
    const res = await h.api('POST', '/v1/tasks', { json: linearTaskBody({ context: { other: 1 } }) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(res.body.error)).toContain('invoice_id');
  });

  it.each([
    ['wrong types', { priority: 'high', tags: 'x' }, ['body.priority', 'body.tags']],
    ['unknown fields', { colour: 'red' }, ['body.colour']],
    ['out-of-range priority', { priority: 1000 }, ['body.priority']],
    ['an invalid correlation id', { correlation_id: 'abc' }, ['body.correlation_id']],
    ['a non-object context', { context: [1, 2] }, ['body.context']],
  ])('answers 400 for %s, naming the fields', async (_, overrides, paths) => {
    const res = await h.api('POST', '/v1/tasks', { json: linearTaskBody(overrides) });
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toEqual(expect.arrayContaining(paths));
  });

  it('answers 400 for malformed JSON and 415 for another media type', async () => {
    const malformed = await h.api('POST', '/v1/tasks', {
      raw: '{"namespace":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('VALIDATION_FAILED');
    const text = await h.api('POST', '/v1/tasks', { raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('GET /v1/tasks/{task_uuid} and friends', () => {
  let taskUuid: string;
  beforeAll(async () => {
    taskUuid = await createLinearTask(h);
  });

  it('gets a task, with steps on request', async () => {
    const plain = await h.api('GET', `/v1/tasks/${taskUuid}`);
    expect(plain.status).toBe(200);
    expect(TaskResponseSchema.parse(plain.body).steps).toBeUndefined();
    const withSteps = await h.api('GET', `/v1/tasks/${taskUuid}?include_steps=true`);
    const task = TaskResponseSchema.parse(withSteps.body);
    expect(task.steps?.map((s) => s.name)).toEqual([...LINEAR_STEPS]);
  });

  it('gets the summary and the context', async () => {
    const summary = await h.api('GET', `/v1/tasks/${taskUuid}/summary`);
    expect(summary.status).toBe(200);
    const parsed = TaskSummaryResponseSchema.parse(summary.body);
    expect(parsed.template.steps.map((s) => s.name)).toEqual([...LINEAR_STEPS]);
    expect(parsed.dlq.in_dlq).toBe(false);
    const context = await h.api('GET', `/v1/tasks/${taskUuid}/context`);
    expect(context.status).toBe(200);
    expect(context.body.task_uuid).toBe(taskUuid);
    expect(context.body.inputs).toHaveProperty('invoice_id');
  });

  it.each(['', '/summary', '/context', '/workflow_steps'])(
    'answers 404 for an unknown task (GET …%s)',
    async (suffix) => {
      const res = await h.api('GET', `/v1/tasks/${MISSING_UUID}${suffix}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    },
  );

  it.each(['', '/summary', '/context', '/workflow_steps', '/events'])(
    'answers 400 naming task_uuid for an invalid UUID (GET …%s)',
    async (suffix) => {
      const res = await h.api('GET', `/v1/tasks/not-a-uuid${suffix}`);
      expect(res.status).toBe(400);
      expect(fieldPaths(res.body)).toEqual(['params.task_uuid']);
    },
  );
});

describe('GET /v1/tasks', () => {
  const created: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i += 1)
      created.push(await createLinearTask(h, { tags: ['listing', `n${i}`], source_system: 'lister' }));
  });

  it('pages with totals', async () => {
    const first = await h.api('GET', '/v1/tasks?source_system=lister&per_page=2&page=1');
    expect(first.status).toBe(200);
    const page1 = TaskListResponseSchema.parse(first.body);
    expect(page1.pagination).toEqual({
      page: 1,
      per_page: 2,
      total_count: 3,
      total_pages: 2,
      has_next: true,
      has_previous: false,
    });
    const page2 = TaskListResponseSchema.parse(
      (await h.api('GET', '/v1/tasks?source_system=lister&per_page=2&page=2')).body,
    );
    expect(page2.pagination).toMatchObject({ page: 2, has_next: false, has_previous: true });
    const all = [...page1.tasks, ...page2.tasks].map((t) => t.task_uuid);
    expect(new Set(all)).toEqual(new Set(created));
  });

  it('filters by every tag, by several states, and sorts', async () => {
    const tagged = TaskListResponseSchema.parse((await h.api('GET', '/v1/tasks?tags=listing,n1')).body);
    expect(tagged.tasks.map((t) => t.task_uuid)).toEqual([created[1]]);
    const states = await h.api('GET', '/v1/tasks?source_system=lister&state=complete&state=cancelled,error');
    expect(TaskListResponseSchema.parse(states.body).pagination.total_count).toBe(0);
    const asc = TaskListResponseSchema.parse(
      (await h.api('GET', '/v1/tasks?source_system=lister&sort_by=created_at&sort_direction=asc')).body,
    );
    expect(asc.tasks.map((t) => t.task_uuid)).toEqual(created);
    const desc = TaskListResponseSchema.parse((await h.api('GET', '/v1/tasks?source_system=lister')).body);
    expect(desc.tasks.map((t) => t.task_uuid)).toEqual([...created].reverse());
  });

  it('filters by creation time', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const res = await h.api('GET', `/v1/tasks?source_system=lister&created_after=${encodeURIComponent(future)}`);
    expect(TaskListResponseSchema.parse(res.body).tasks).toEqual([]);
  });

  it.each([
    ['per_page=0', 'query.per_page'],
    ['per_page=101', 'query.per_page'],
    ['page=0', 'query.page'],
    ['page=-1', 'query.page'],
    ['state=bogus', 'query.state[0]'],
    ['sort_by=colour', 'query.sort_by'],
    ['created_after=yesterday', 'query.created_after'],
    ['unknown=1', 'query.unknown'],
  ])('answers 400 for %s naming %s', async (query, path) => {
    const res = await h.api('GET', `/v1/tasks?${query}`);
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toContain(path);
  });
});

describe('DELETE /v1/tasks/{task_uuid} and resume', () => {
  it('cancels, then answers 409 for the finished task', async () => {
    const taskUuid = await createLinearTask(h);
    const cancelled = await h.api('DELETE', `/v1/tasks/${taskUuid}`, {
      json: { reason: 'not needed', cancelled_by: 'ops' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const again = await h.api('DELETE', `/v1/tasks/${taskUuid}`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_STATE');
  });

  it('cancels without a body', async () => {
    const taskUuid = await createLinearTask(h);
    const res = await h.api('DELETE', `/v1/tasks/${taskUuid}`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
  });

  it('answers 404 for an unknown task and 400 for unknown body fields', async () => {
    expect((await h.api('DELETE', `/v1/tasks/${MISSING_UUID}`)).status).toBe(404);
    const taskUuid = await createLinearTask(h);
    const res = await h.api('DELETE', `/v1/tasks/${taskUuid}`, { json: { why: 'x' } });
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toEqual(['body.why']);
  });

  it('refuses to resume a task that is not in error', async () => {
    const taskUuid = await createLinearTask(h);
    const res = await h.api('POST', `/v1/tasks/${taskUuid}/resume`, { json: { performed_by: 'ops', reason: 'fixed' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('INVALID_STATE');
    const missing = await h.api('POST', `/v1/tasks/${MISSING_UUID}/resume`, {
      json: { performed_by: 'ops', reason: 'fixed' },
    });
    expect(missing.status).toBe(404);
    const invalid = await h.api('POST', `/v1/tasks/${taskUuid}/resume`, { json: { performed_by: 'ops' } });
    expect(invalid.status).toBe(400);
    expect(fieldPaths(invalid.body)).toEqual(['body.reason']);
  });
});

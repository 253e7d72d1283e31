// Over a real REST server and database: task options, the operator's close (POST …/resolve), manual DLQ entries
// (POST /v1/dlq/task/{uuid}), and what reference clients send (?status=, requested_at), bad inputs included.
import { beforeAll, describe, expect, it } from 'vitest';
import { DlqEntrySchema, TaskListResponseSchema, TaskResponseSchema } from '@tasker/shared/schemas/rest/index';
import { TASK_STATES } from '@tasker/shared';
import { createErroredTask, createOpsTask, registerOpsTemplate } from './helpers/operator-fixtures.js';
import { TEST_PRINCIPAL } from './helpers/runtime.js';
import {
  MISSING_UUID,
  createLinearTask,
  linearTaskBody,
  registerLinearTemplate,
  useRestHarness,
} from './rest-helpers.js';

const h = useRestHarness();

beforeAll(async () => {
  await registerLinearTemplate(h);
  await registerOpsTemplate(h.services);
});

function fieldPaths(body: { error: { details?: { fields?: Array<{ path: string }> } } }): string[] {
  return (body.error.details?.fields ?? []).map((f) => f.path);
}

describe('task options', () => {
  it('are stored and returned by create, get and list', async () => {
    const options = { channel: 'web', note: 'ünïcode "quoted"' };
    const created = await h.api('POST', '/v1/tasks', { json: linearTaskBody({ options, tags: ['with-options'] }) });
    expect(created.status).toBe(201);
    expect(TaskResponseSchema.parse(created.body).options).toEqual(options);
    const got = await h.api('GET', `/v1/tasks/${created.body.task_uuid}`);
    expect(got.body.options).toEqual(options);
    const listed = TaskListResponseSchema.parse((await h.api('GET', '/v1/tasks?tags=with-options')).body);
    expect(listed.tasks.map((t) => t.options)).toEqual([options]);
    const plain = await h.api('GET', `/v1/tasks/${await createLinearTask(h)}`);
    expect(plain.body.options).toEqual({});
  });

  it.each([
    ['an array', ['a'], ['body.options']],
    ['a string', 'fast', ['body.options']],
    ['a non-string value', { retries: 3 }, ['body.options.retries']],
    ['a value too long', { mode: 'x'.repeat(4097) }, ['options.mode']],
    ['too many entries', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])), ['options']],
  ])('answer 400 for %s, naming options', async (_, options, paths) => {
    const res = await h.api('POST', '/v1/tasks', { json: linearTaskBody({ options }) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(fieldPaths(res.body)).toEqual(paths);
  });
});

describe("what the reference's clients send", () => {
  it('accepts requested_at and ignores it: requested_at is when the request arrived', async () => {
    const before = Date.now();
    const res = await h.api('POST', '/v1/tasks', { json: linearTaskBody({ requested_at: '2020-01-01T00:00:00' }) });
    expect(res.status).toBe(201);
    expect(Date.parse(res.body.requested_at)).toBeGreaterThanOrEqual(before - 1000);
    expect([res.body.status, res.body.run_at]).toEqual(['steps_in_process', null]);
    const bad = await h.api('POST', '/v1/tasks', { json: linearTaskBody({ requested_at: 'last tuesday' }) });
    expect([bad.status, fieldPaths(bad.body)]).toEqual([400, ['body.requested_at']]);
  });

  it('reads a requested_at in the future as run_at: the task waits pending for it', async () => {
    const later = new Date(Date.now() + 3_600_000);
    const naive = later.toISOString().slice(0, 19);
    const res = await h.api('POST', '/v1/tasks', { json: linearTaskBody({ requested_at: naive }) });
    expect([res.status, res.body.status, res.body.run_at, res.body.enqueued_steps]).toEqual([
      201,
      'pending',
      `${naive}.000Z`,
      0,
    ]);
    const tooFar = await h.api('POST', '/v1/tasks', { json: linearTaskBody({ run_at: '2999-01-01T00:00:00Z' }) });
    expect([tooFar.status, tooFar.body.error.code, fieldPaths(tooFar.body)]).toEqual([
      400,
      'VALIDATION_FAILED',
      ['run_at'],
    ]);
  });

  it("requires initiator, source_system and reason, as the reference's JSON TaskRequest does (gRPC defaults them)", async () => {
    const { initiator: _i, source_system: _s, reason: _r, ...body } = linearTaskBody();
    const res = await h.api('POST', '/v1/tasks', { json: body });
    expect([res.status, fieldPaths(res.body).sort()]).toEqual([
      400,
      ['body.initiator', 'body.reason', 'body.source_system'],
    ]);
  });

  it('lists by ?status= as by ?state=, with the reference’s completed and pending', async () => {
    const running = await createLinearTask(h, { tags: ['status-alias'] });
    const cancelled = await createLinearTask(h, { tags: ['status-alias'] });
    expect((await h.api('DELETE', `/v1/tasks/${cancelled}`)).status).toBe(200);
    const uuids = async (query: string) => {
      const res = await h.api('GET', `/v1/tasks?tags=status-alias&${query}`);
      expect(res.status).toBe(200);
      return (res.body.tasks as Array<{ task_uuid: string }>).map((t) => t.task_uuid).sort();
    };
    expect(await uuids('status=cancelled')).toEqual(await uuids('state=cancelled'));
    expect(await uuids('status=cancelled')).toEqual([cancelled]);
    expect(await uuids('status=steps_in_process,cancelled')).toEqual([running, cancelled].sort());
    // The reference's `pending` = not complete; its `completed` = complete.
    expect(await uuids('status=pending')).toEqual([running, cancelled].sort());
    expect(await uuids('status=completed')).toEqual([]);
    expect(await uuids('state=pending')).toEqual([]);
    const both = await h.api('GET', '/v1/tasks?status=cancelled&state=cancelled');
    expect([both.status, fieldPaths(both.body)]).toEqual([400, ['query.status']]);
    const unknown = await h.api('GET', '/v1/tasks?status=finished');
    expect([unknown.status, fieldPaths(unknown.body)]).toEqual([400, ['query.status[0]']]);
    expect(unknown.body.error.details.fields[0].message).toContain(TASK_STATES[0]);
  });
});

describe('POST /v1/tasks/{task_uuid}/resolve', () => {
  it('closes an errored task as resolved_manually and its DLQ entry as manually_resolved', async () => {
    const task = await createErroredTask(h.services);
    const res = await h.api('POST', `/v1/tasks/${task.taskUuid}/resolve`, {
      json: { performed_by: 'ops', reason: 'refunded' },
    });
    expect(res.status).toBe(200);
    expect(TaskResponseSchema.parse(res.body)).toMatchObject({
      status: 'resolved_manually',
      failed_steps: 1,
      cancelled_steps: 1,
      completed_steps: 2,
    });
    const entry = await h.api('GET', `/v1/dlq/task/${task.taskUuid}`);
    expect(entry.body).toMatchObject({
      dlq_reason: 'max_retries_exceeded',
      resolution_status: 'manually_resolved',
      resolved_by: 'ops',
      resolution_notes: 'refunded',
    });
  });

  it('answers 409 for a running task, 404 for an unknown one and 400 naming bad fields', async () => {
    const running = await createOpsTask(h.services);
    const refused = await h.api('POST', `/v1/tasks/${running.taskUuid}/resolve`, {
      json: { performed_by: 'ops', reason: 'x' },
    });
    expect([refused.status, refused.body.error.code, refused.body.error.details.state]).toEqual([
      409,
      'INVALID_STATE',
      'steps_in_process',
    ]);
    expect(
      (await h.api('POST', `/v1/tasks/${MISSING_UUID}/resolve`, { json: { performed_by: 'ops', reason: 'x' } })).status,
    ).toBe(404);
    const bad = await h.api('POST', `/v1/tasks/${running.taskUuid}/resolve`, { json: { performed_by: '' } });
    expect([bad.status, fieldPaths(bad.body).sort()]).toEqual([400, ['body.performed_by', 'body.reason']]);
    const badUuid = await h.api('POST', '/v1/tasks/nope/resolve', { json: { performed_by: 'ops', reason: 'x' } });
    expect([badUuid.status, fieldPaths(badUuid.body)]).toEqual([400, ['params.task_uuid']]);
    await h.services.tasks.cancel(TEST_PRINCIPAL, running.taskUuid, { reason: null, performedBy: null });
  });
});

describe('POST /v1/dlq/task/{task_uuid}', () => {
  it('opens a manual_dlq entry (201), then refuses a second one with 409 naming the open entry', async () => {
    const task = await createOpsTask(h.services, { ticket: 'T-9' });
    const res = await h.api('POST', `/v1/dlq/task/${task.taskUuid}`, {
      json: { performed_by: 'ops', reason: 'customer says stuck' },
    });
    expect(res.status).toBe(201);
    const entry = DlqEntrySchema.parse(res.body);
    expect(entry).toMatchObject({
      task_uuid: task.taskUuid,
      dlq_reason: 'manual_dlq',
      original_state: 'steps_in_process',
      resolution_status: 'pending',
    });
    expect(entry.task_snapshot).toMatchObject({
      task: { options: { ticket: 'T-9' } },
      manual_dlq: { opened_by: 'ops', reason: 'customer says stuck' },
    });
    const again = await h.api('POST', `/v1/dlq/task/${task.taskUuid}`, {
      json: { performed_by: 'ops', reason: 'again' },
    });
    expect([again.status, again.body.error.code, again.body.error.details.dlq_entry_uuid]).toEqual([
      409,
      'ALREADY_EXISTS',
      entry.dlq_entry_uuid,
    ]);
    await h.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, { reason: null, performedBy: null });
  });

  it('answers 404 for an unknown task and 400 naming bad fields', async () => {
    expect(
      (await h.api('POST', `/v1/dlq/task/${MISSING_UUID}`, { json: { performed_by: 'ops', reason: 'x' } })).status,
    ).toBe(404);
    const bad = await h.api('POST', `/v1/dlq/task/${MISSING_UUID}`, {
      json: { reason: 'r'.repeat(1001), colour: 'red' },
    });
    expect([bad.status, fieldPaths(bad.body).sort()]).toEqual([
      400,
      ['body.colour', 'body.performed_by', 'body.reason'],
    ]);
  });
});

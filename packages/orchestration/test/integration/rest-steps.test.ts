// Step routes: list, get, manual actions (and their state guards), audit.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  StepAuditListResponseSchema,
  StepListResponseSchema,
  StepResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import {
  LINEAR_STEPS,
  MISSING_UUID,
  createLinearTask,
  registerLinearTemplate,
  useRestHarness,
} from './rest-helpers.js';

const h = useRestHarness();

beforeAll(async () => {
  await registerLinearTemplate(h);
});

async function stepsOf(taskUuid: string) {
  const res = await h.api('GET', `/v1/tasks/${taskUuid}/workflow_steps`);
  expect(res.status).toBe(200);
  return StepListResponseSchema.parse(res.body);
}

function fieldPaths(body: { error: { details?: { fields?: Array<{ path: string }> } } }): string[] {
  return (body.error.details?.fields ?? []).map((f) => f.path);
}

describe('workflow steps', () => {
  let taskUuid: string;
  let otherTaskUuid: string;
  beforeAll(async () => {
    taskUuid = await createLinearTask(h);
    otherTaskUuid = await createLinearTask(h);
  });

  it('lists steps in creation order and gets one', async () => {
    const steps = await stepsOf(taskUuid);
    expect(steps.map((s) => s.name)).toEqual([...LINEAR_STEPS]);
    expect(steps.every((s) => s.task_uuid === taskUuid)).toBe(true);
    const first = steps[0]!;
    const res = await h.api('GET', `/v1/tasks/${taskUuid}/workflow_steps/${first.step_uuid}`);
    expect(res.status).toBe(200);
    expect(StepResponseSchema.parse(res.body)).toMatchObject({
      step_uuid: first.step_uuid,
      name: 'load_invoice',
      total_parents: 0,
    });
  });

  it('answers 404 for a step of another task, or an unknown step', async () => {
    const foreign = (await stepsOf(otherTaskUuid))[0]!;
    for (const stepUuid of [foreign.step_uuid, MISSING_UUID]) {
      for (const suffix of ['', '/audit']) {
        const res = await h.api('GET', `/v1/tasks/${taskUuid}/workflow_steps/${stepUuid}${suffix}`);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NOT_FOUND');
      }
    }
    const patch = await h.api('PATCH', `/v1/tasks/${taskUuid}/workflow_steps/${foreign.step_uuid}`, {
      json: { action_type: 'resolve_manually', reason: 'r', resolved_by: 'ops' },
    });
    expect(patch.status).toBe(404);
  });

  it('answers 400 naming step_uuid for an invalid UUID', async () => {
    const res = await h.api('GET', `/v1/tasks/${taskUuid}/workflow_steps/123`);
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toEqual(['params.step_uuid']);
  });

  it('refuses reset_for_retry on a step that is not in error (409)', async () => {
    const step = (await stepsOf(taskUuid))[0]!;
    const res = await h.api('PATCH', `/v1/tasks/${taskUuid}/workflow_steps/${step.step_uuid}`, {
      json: { action_type: 'reset_for_retry', reason: 'try again', reset_by: 'ops' },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('INVALID_STATE');
  });

  it('completes a step manually; its child can then run; the audit records who and why', async () => {
    const taskUuid2 = await createLinearTask(h);
    const root = (await stepsOf(taskUuid2))[0]!;
    const res = await h.api('PATCH', `/v1/tasks/${taskUuid2}/workflow_steps/${root.step_uuid}`, {
      json: {
        action_type: 'complete_manually',
        completion_data: { result: { amount: 10 } },
        reason: 'loaded by hand',
        completed_by: 'ops',
      },
    });
    expect(res.status).toBe(200);
    expect(StepResponseSchema.parse(res.body)).toMatchObject({ current_state: 'complete' });
    await expect.poll(async () => (await stepsOf(taskUuid2))[1]?.dependencies_satisfied, { timeout: 5000 }).toBe(true);
    const audit = await h.api('GET', `/v1/tasks/${taskUuid2}/workflow_steps/${root.step_uuid}/audit`);
    expect(audit.status).toBe(200);
    const rows = StepAuditListResponseSchema.parse(audit.body);
    expect(rows[0]).toMatchObject({
      action: 'complete_manually',
      performed_by: 'ops',
      reason: 'loaded by hand',
      to_state: 'complete',
    });

    const terminal = await h.api('PATCH', `/v1/tasks/${taskUuid2}/workflow_steps/${root.step_uuid}`, {
      json: { action_type: 'resolve_manually', reason: 'again', resolved_by: 'ops' },
    });
    expect(terminal.status).toBe(409);
  });

  it('resolves a step manually', async () => {
    const taskUuid3 = await createLinearTask(h);
    const root = (await stepsOf(taskUuid3))[0]!;
    const res = await h.api('PATCH', `/v1/tasks/${taskUuid3}/workflow_steps/${root.step_uuid}`, {
      json: { action_type: 'resolve_manually', reason: 'not needed', resolved_by: 'ops' },
    });
    expect(res.status).toBe(200);
    expect(res.body.current_state).toBe('resolved_manually');
  });

  it.each([
    ['an unknown action', { action_type: 'delete', reason: 'r' }, 'body.action_type'],
    ['a missing actor', { action_type: 'resolve_manually', reason: 'r' }, 'body.resolved_by'],
    ['an unknown field', { action_type: 'resolve_manually', reason: 'r', resolved_by: 'o', extra: 1 }, 'body.extra'],
    [
      'a missing completion result',
      { action_type: 'complete_manually', reason: 'r', completed_by: 'o' },
      'body.completion_data',
    ],
  ])('answers 400 for %s, naming %s', async (_, json, path) => {
    const step = (await stepsOf(taskUuid))[0]!;
    const res = await h.api('PATCH', `/v1/tasks/${taskUuid}/workflow_steps/${step.step_uuid}`, { json });
    expect(res.status).toBe(400);
    expect(fieldPaths(res.body)).toContain(path);
  });
});

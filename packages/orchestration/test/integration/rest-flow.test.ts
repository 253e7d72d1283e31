// End to end over HTTP only: a linear task runs to `complete` driven by a worker loop on /v1/workers while
// an SSE watcher receives every step event in order; a failed step is reset and the task resumed; a
// watcher that reconnects with Last-Event-ID misses nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  StepListResponseSchema,
  TaskEventSchema,
  TaskResponseSchema,
  type TaskEventResponse,
} from '@tasker/shared/schemas/rest/index';
import {
  LINEAR_STEPS,
  claimSteps,
  createLinearTask,
  readSse,
  registerLinearTemplate,
  runHttpWorker,
  taskStatus,
  useRestHarness,
  type SseMessage,
} from './rest-helpers.js';

const h = useRestHarness();

beforeAll(async () => {
  await registerLinearTemplate(h);
});

function eventsOf(messages: SseMessage[]): TaskEventResponse[] {
  return messages
    .filter((m) => m.event !== undefined && m.event !== 'error')
    .map((m) => {
      const event = TaskEventSchema.parse(JSON.parse(m.data ?? 'null'));
      expect(m.id).toBe(String(event.event_id));
      expect(m.event).toBe(event.type);
      return event;
    });
}

function openEvents(
  taskUuid: string,
  query = '?include_steps=true',
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${h.base}/v1/tasks/${taskUuid}/events${query}`, { headers });
}

describe('a linear task driven only over HTTP', () => {
  it('runs to complete, and the SSE watcher sees every step event in order', async () => {
    const workerRegistration = await h.api('POST', '/v1/workers/register', {
      json: { worker_id: 'flow-worker', hostname: 'test', version: '1', namespaces: ['billing'] },
    });
    expect(workerRegistration.status).toBe(200);
    const taskUuid = await createLinearTask(h);

    const stream = await openEvents(taskUuid);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const watching = readSse(stream);

    const completed = await runHttpWorker(h, 'flow-worker', async () => (await taskStatus(h, taskUuid)) === 'complete');
    expect(completed).toEqual([...LINEAR_STEPS]);

    const events = eventsOf(await watching);
    const ids = events.map((e) => e.event_id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const last = events.at(-1)!;
    expect(last.task_state).toBe('complete');
    expect(last.type).toBe('task_complete');

    // Every step went through claim and completion, and each step finished before the next one started.
    const stepEvents = events.filter((e) => e.type === 'step_state_change');
    for (const name of LINEAR_STEPS) {
      const states = stepEvents.filter((e) => e.step?.name === name).map((e) => e.step?.state);
      expect(states, name).toContain('in_progress');
      expect(states.at(-1), name).toBe('complete');
    }
    const completionOrder = stepEvents.filter((e) => e.step?.state === 'complete').map((e) => e.step?.name);
    expect(completionOrder).toEqual([...LINEAR_STEPS]);
    for (let i = 1; i < LINEAR_STEPS.length; i += 1) {
      const parentDone = stepEvents.findIndex(
        (e) => e.step?.name === LINEAR_STEPS[i - 1] && e.step?.state === 'complete',
      );
      const childRuns = stepEvents.findIndex(
        (e) => e.step?.name === LINEAR_STEPS[i] && e.step?.state === 'in_progress',
      );
      expect(parentDone).toBeLessThan(childRuns);
    }

    const task = TaskResponseSchema.parse((await h.api('GET', `/v1/tasks/${taskUuid}`)).body);
    expect(task).toMatchObject({ status: 'complete', completion_percentage: 100, completed_steps: 4 });
    expect(task.completed_at).not.toBeNull();
    const steps = StepListResponseSchema.parse((await h.api('GET', `/v1/tasks/${taskUuid}/workflow_steps`)).body);
    expect(steps.map((s) => s.current_state)).toEqual(['complete', 'complete', 'complete', 'complete']);
    expect(steps[1]?.results).toEqual({ step: 'compute_tax', parents: ['load_invoice'] });
    const context = await h.api('GET', `/v1/tasks/${taskUuid}/context`);
    expect(context.body.outputs).toHaveProperty('send_receipt');
    const audit = await h.api('GET', `/v1/tasks/${taskUuid}/workflow_steps/${steps[0]!.step_uuid}/audit`);
    expect(audit.body[0]).toMatchObject({ action: 'worker_result', worker_id: 'flow-worker', success: true });

    // Resuming from a cursor replays only later events, then ends at the terminal event.
    const cursor = events[Math.floor(events.length / 2)]!.event_id;
    const resumed = eventsOf(
      await readSse(await openEvents(taskUuid, '?include_steps=true', { 'last-event-id': String(cursor) })),
    );
    expect(resumed.map((e) => e.event_id)).toEqual(ids.filter((id) => id > cursor));
    const byQuery = eventsOf(await readSse(await openEvents(taskUuid, `?include_steps=true&after_event_id=${cursor}`)));
    expect(byQuery.map((e) => e.event_id)).toEqual(ids.filter((id) => id > cursor));

    // Without include_steps the stream carries task events only.
    const taskOnly = eventsOf(await readSse(await openEvents(taskUuid, '')));
    expect(taskOnly.every((e) => e.type !== 'step_state_change')).toBe(true);
    expect(taskOnly.at(-1)?.task_state).toBe('complete');
  });

  it('a failed step blocks the task; reset and resume let it finish', async () => {
    const taskUuid = await createLinearTask(h);
    const workerId = 'recovery-worker';
    // Complete the two steps before charge_card, then fail it without retries (max_attempts 1).
    const deadline = Date.now() + 15_000;
    let chargeFailed = false;
    while (!chargeFailed) {
      if (Date.now() > deadline) throw new Error('charge_card never became claimable');
      for (const step of await claimSteps(h, workerId, 300)) {
        if (step.task_uuid !== taskUuid) continue;
        if (step.step_name === 'charge_card') {
          const res = await h.api('POST', '/v1/workers/fail', {
            json: {
              worker_id: workerId,
              step_uuid: step.step_uuid,
              lease_token: step.lease_token,
              error: { message: 'card declined', retryable: false },
            },
          });
          expect(res.status).toBe(200);
          expect(res.body.step_state).toBe('error');
          chargeFailed = true;
        } else {
          await h.api('POST', '/v1/workers/complete', {
            json: {
              worker_id: workerId,
              step_uuid: step.step_uuid,
              lease_token: step.lease_token,
              result: { ok: true },
            },
          });
        }
      }
    }
    await expect.poll(() => taskStatus(h, taskUuid), { timeout: 10_000 }).toBe('error');

    const summary = await h.api('GET', `/v1/tasks/${taskUuid}/summary`);
    expect(summary.body.dlq.in_dlq).toBe(true);
    expect(summary.body.steps.find((s: { name: string }) => s.name === 'charge_card').error.message).toBe(
      'card declined',
    );

    const steps = StepListResponseSchema.parse((await h.api('GET', `/v1/tasks/${taskUuid}/workflow_steps`)).body);
    const charge = steps.find((s) => s.name === 'charge_card')!;
    expect(charge.current_state).toBe('error');
    const reset = await h.api('PATCH', `/v1/tasks/${taskUuid}/workflow_steps/${charge.step_uuid}`, {
      json: { action_type: 'reset_for_retry', reason: 'card replaced', reset_by: 'ops' },
    });
    expect(reset.status).toBe(200);
    expect(reset.body.attempts).toBe(0);

    const resumed = await h.api('POST', `/v1/tasks/${taskUuid}/resume`, {
      json: { performed_by: 'ops', reason: 'card replaced' },
    });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).not.toBe('error');

    const completed = await runHttpWorker(h, workerId, async () => (await taskStatus(h, taskUuid)) === 'complete');
    expect(completed).toEqual(['charge_card', 'send_receipt']);
  });
});

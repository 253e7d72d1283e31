import type { TaskState, TaskStatusEvent } from '@tasker/shared';
import { describe, expect, it } from 'vitest';
import { TaskerError } from './errors.js';
import { watchTask, type WatchSource } from './watch.js';

const TASK = '0190a4f0-5a1b-7c3d-8e4f-000000000001';
const policy = { maxAttempts: 3, baseMs: 1, maxMs: 2 };

function event(eventId: number, taskState: TaskState, step?: string): TaskStatusEvent {
  return {
    eventId,
    type: step === undefined ? 'task_state_change' : 'step_state_change',
    taskUuid: TASK,
    taskState,
    step: step === undefined ? null : { stepUuid: TASK, name: step, state: 'complete', attempt: 1 },
    expansion: null,
    occurredAt: new Date(eventId * 1000),
  };
}

const down = () => new TaskerError({ code: 'UNAVAILABLE', message: 'connection dropped', transport: 'rest' });

/** A source whose connections play the given scripts in turn; records the cursor each connection asked for. */
function scripted(
  connections: Array<Array<TaskStatusEvent | null | Error>>,
  terminal = false,
): WatchSource & { cursors: Array<number | undefined> } {
  const cursors: Array<number | undefined> = [];
  let n = 0;
  return {
    transport: 'rest',
    cursors,
    async isTerminal() {
      return terminal;
    },
    async *open(_uuid, after) {
      cursors.push(after);
      const script = connections[n] ?? [];
      n += 1;
      for (const item of script) {
        if (item instanceof Error) throw item;
        yield item;
      }
    },
  };
}

async function drain(source: WatchSource, afterEventId?: number): Promise<number[]> {
  const ids: number[] = [];
  for await (const e of watchTask(source, TASK, afterEventId === undefined ? {} : { afterEventId }, policy))
    ids.push(e.eventId);
  return ids;
}

describe('watchTask', () => {
  it('resumes from the last yielded id after a drop and never repeats an event', async () => {
    const source = scripted([
      [event(1, 'pending'), null, event(2, 'steps_in_process', 'a'), down()],
      // The server replays from the cursor; a duplicate of 2 is dropped if it sneaks in.
      [event(2, 'steps_in_process', 'a'), event(3, 'steps_in_process', 'b'), event(4, 'complete')],
    ]);
    expect(await drain(source)).toEqual([1, 2, 3, 4]);
    expect(source.cursors).toEqual([undefined, 2]);
  });

  it('ends when the server closes the stream after the terminal task event; a step event is not terminal', async () => {
    const source = scripted([[event(5, 'complete', 'last'), event(6, 'complete')], [event(7, 'complete')]]);
    expect(await drain(source)).toEqual([5, 6]);
    expect(source.cursors).toHaveLength(1);
  });

  it('follows the server through a replayed error that a resume superseded', async () => {
    const source = scripted([[event(5, 'error'), event(6, 'evaluating_results'), event(7, 'complete')]]);
    expect(await drain(source)).toEqual([5, 6, 7]);
    expect(source.cursors).toHaveLength(1);
  });

  it('reconnects when the connection drops right after an error event, and ends if nothing follows', async () => {
    const source = scripted(
      [[event(5, 'error'), new TaskerError({ code: 'UNAVAILABLE', message: 'drop', transport: 'rest' })], []],
      true,
    );
    expect(await drain(source)).toEqual([5]);
    expect(source.cursors).toEqual([undefined, 5]);
  });

  it('reconnects when the stream ends early and gives up after maxAttempts failures', async () => {
    const source = scripted([[event(1, 'pending')], [], [], []]);
    await expect(drain(source)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(source.cursors).toEqual([undefined, 1, 1]);
  });

  it('ends quietly when a cursor past the end yields nothing for a finished task', async () => {
    expect(await drain(scripted([[]], true), 99)).toEqual([]);
  });

  it('rethrows errors that reconnecting cannot fix', async () => {
    const source = scripted([[new TaskerError({ code: 'NOT_FOUND', message: 'no task', transport: 'grpc' })]]);
    await expect(drain(source)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(source.cursors).toHaveLength(1);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const source: WatchSource = {
      transport: 'grpc',
      isTerminal: async () => false,
      async *open(_uuid, _after, _steps, signal) {
        yield event(1, 'pending');
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
    };
    const seen: number[] = [];
    for await (const e of watchTask(source, TASK, { signal: controller.signal }, policy)) {
      seen.push(e.eventId);
      controller.abort();
    }
    expect(seen).toEqual([1]);
  });
});

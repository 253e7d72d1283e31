// Task event replay: task and step events of one task in event_id order after a cursor. Task events are
// task_transitions (keyed (task_uuid, event_id)); step events come from the unified view tasker.step_events
// (transitions, finished attempts, the dispatch cycle in flight), filtered on its cursor_event_id so every
// branch is an index range scan. Checkpoints (migration 0024) are events without a state change: they come from
// the history ring of steps.checkpoint, each entry keeping the event id it drew.
import type { StepState, TaskState } from '@tasker/shared';
import type { Db } from './tasks.js';

interface TransitionEventRow {
  event_id: number;
  kind: 'task' | 'step' | 'checkpoint';
  step_uuid: string | null;
  step_name: string | null;
  to_state: string;
  attempt: number;
  created_at: Date;
}

/**
 * One recorded event of a task's history: a task transition, or a step's (with the step and its attempt): a state
 * change, or a checkpoint of the running step (toState in_progress).
 */
export type TaskHistoryEvent =
  | { kind: 'task'; eventId: number; toState: TaskState; createdAt: Date }
  | {
      kind: 'step' | 'checkpoint';
      eventId: number;
      stepUuid: string;
      stepName: string;
      toState: StepState;
      attempt: number;
      createdAt: Date;
    };

function historyEventFromRow(row: TransitionEventRow): TaskHistoryEvent {
  if (row.kind === 'task')
    return { kind: 'task', eventId: row.event_id, toState: row.to_state as TaskState, createdAt: row.created_at };
  return {
    kind: row.kind,
    eventId: row.event_id,
    stepUuid: row.step_uuid as string,
    stepName: row.step_name as string,
    toState: row.to_state as StepState,
    attempt: row.attempt,
    createdAt: row.created_at,
  };
}

export async function replayTaskEvents(
  sql: Db,
  args: { taskUuid: string; afterEventId: number; limit: number; includeSteps: boolean },
): Promise<TaskHistoryEvent[]> {
  const rows = !args.includeSteps
    ? await sql<TransitionEventRow[]>`
      SELECT event_id, 'task' AS kind, NULL::uuid AS step_uuid, NULL::text AS step_name, to_state, 0 AS attempt, created_at
      FROM tasker.task_transitions
      WHERE task_uuid = ${args.taskUuid} AND event_id > ${args.afterEventId}
      ORDER BY event_id LIMIT ${args.limit}`
    : await sql<TransitionEventRow[]>`
    SELECT * FROM (
      (SELECT event_id, 'task' AS kind, NULL::uuid AS step_uuid, NULL::text AS step_name, to_state, 0 AS attempt, created_at
       FROM tasker.task_transitions
       WHERE task_uuid = ${args.taskUuid} AND event_id > ${args.afterEventId}
       ORDER BY event_id LIMIT ${args.limit})
      UNION ALL
      (SELECT se.event_id, 'step', se.step_uuid, s.name, se.to_state, se.attempt, se.created_at
       FROM tasker.step_events se JOIN tasker.steps s ON s.step_uuid = se.step_uuid
       WHERE se.task_uuid = ${args.taskUuid} AND se.cursor_event_id > ${args.afterEventId} AND se.event_id > ${args.afterEventId}
       ORDER BY se.event_id LIMIT ${args.limit})
      UNION ALL
      (SELECT (h.e->>'event_id')::bigint, 'checkpoint', s.step_uuid, s.name, 'in_progress', (h.e->>'attempt')::integer,
              (h.e->>'timestamp')::timestamptz
       FROM tasker.steps s CROSS JOIN LATERAL jsonb_array_elements(s.checkpoint->'history') AS h(e)
       WHERE s.task_uuid = ${args.taskUuid} AND s.checkpoint IS NOT NULL
         AND (h.e->>'event_id')::bigint > ${args.afterEventId}
       ORDER BY 1 LIMIT ${args.limit})
    ) e
    ORDER BY event_id LIMIT ${args.limit}`;
  return rows.map(historyEventFromRow);
}

/** The task's state as of `eventId` (its latest task transition at or before it); undefined before creation. */
export async function findTaskStateAt(sql: Db, taskUuid: string, eventId: number): Promise<TaskState | undefined> {
  const [row] = await sql<{ to_state: TaskState }[]>`
    SELECT to_state FROM tasker.task_transitions
    WHERE task_uuid = ${taskUuid} AND event_id <= ${eventId}
    ORDER BY event_id DESC LIMIT 1`;
  return row?.to_state;
}

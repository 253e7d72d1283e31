// Task event replay: task and step events of one task in event_id order after a cursor. Task events are
// task_transitions (keyed (task_uuid, event_id)); step events come from the unified view tasker.step_events
// (transitions, finished attempts, the dispatch cycle in flight), filtered on its cursor_event_id so every
// branch is an index range scan.
import type { StepState, TaskState } from '@tasker/shared';
import type { Db } from './tasks.js';

export interface TransitionEventRow {
  event_id: number;
  kind: 'task' | 'step';
  step_uuid: string | null;
  step_name: string | null;
  to_state: string;
  attempt: number;
  created_at: Date;
}

export async function replayTaskEvents(
  sql: Db,
  args: { taskUuid: string; afterEventId: number; limit: number; includeSteps: boolean },
): Promise<TransitionEventRow[]> {
  if (!args.includeSteps) {
    return sql<TransitionEventRow[]>`
      SELECT event_id, 'task' AS kind, NULL::uuid AS step_uuid, NULL::text AS step_name, to_state, 0 AS attempt, created_at
      FROM tasker.task_transitions
      WHERE task_uuid = ${args.taskUuid} AND event_id > ${args.afterEventId}
      ORDER BY event_id LIMIT ${args.limit}`;
  }
  return sql<TransitionEventRow[]>`
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
    ) e
    ORDER BY event_id LIMIT ${args.limit}`;
}

/** The task's state as of `eventId` (its latest task transition at or before it); undefined before creation. */
export async function findTaskStateAt(sql: Db, taskUuid: string, eventId: number): Promise<TaskState | undefined> {
  const [row] = await sql<{ to_state: TaskState }[]>`
    SELECT to_state FROM tasker.task_transitions
    WHERE task_uuid = ${taskUuid} AND event_id <= ${eventId}
    ORDER BY event_id DESC LIMIT 1`;
  return row?.to_state;
}

export function isTaskEventRow(row: TransitionEventRow): row is TransitionEventRow & { to_state: TaskState } {
  return row.kind === 'task';
}

export function isStepEventRow(row: TransitionEventRow): row is TransitionEventRow & { to_state: StepState; step_uuid: string; step_name: string } {
  return row.kind === 'step';
}

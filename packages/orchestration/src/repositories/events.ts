// Task event replay: task and step events of one task in event_id order after a cursor. Task events are
// task_transitions (keyed (task_uuid, event_id)); step events come from the unified view tasker.step_events
// (transitions, finished attempts, the dispatch cycle in flight), filtered on its cursor_event_id; expansion
// events are the ledger rows of tasker.task_expansions (unique on (task_uuid, event_id)); checkpoints (migration
// 0024) are events without a state change, from the history ring of steps.checkpoint, each entry keeping the
// event id it drew. Every branch is an index range scan.
import type { ExpansionEventType, StepState, TaskExpansion, TaskState } from '@tasker/shared';
import type { Db } from './tasks.js';

interface TransitionEventRow {
  event_id: number;
  kind: 'task' | 'step' | 'checkpoint' | 'expansion';
  step_uuid: string | null;
  step_name: string | null;
  /** The state entered; for an expansion, its event type. */
  to_state: string;
  attempt: number;
  created_at: Date;
  /** Expansions only. */
  detail: ExpansionDetail | null;
}

interface ExpansionDetail {
  outcome_type: TaskExpansion['outcomeType'];
  worker_template: string | null;
  batch_ids: string[] | null;
  created_steps: { step_uuid: string; name: string }[];
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
    }
  | { kind: 'expansion'; eventId: number; type: ExpansionEventType; expansion: TaskExpansion; createdAt: Date };

function historyEventFromRow(row: TransitionEventRow): TaskHistoryEvent {
  if (row.kind === 'expansion') {
    const d = row.detail as ExpansionDetail;
    return {
      kind: 'expansion',
      eventId: row.event_id,
      type: row.to_state as ExpansionEventType,
      expansion: {
        triggerStepUuid: row.step_uuid as string,
        triggerStepName: row.step_name as string,
        outcomeType: d.outcome_type,
        createdSteps: d.created_steps.map((c) => ({ stepUuid: c.step_uuid, name: c.name })),
        workerTemplate: d.worker_template,
        batchIds: d.batch_ids ?? [],
      },
      createdAt: row.created_at,
    };
  }
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
      SELECT event_id, 'task' AS kind, NULL::uuid AS step_uuid, NULL::text AS step_name, to_state, 0 AS attempt,
             created_at, NULL::jsonb AS detail
      FROM tasker.task_transitions
      WHERE task_uuid = ${args.taskUuid} AND event_id > ${args.afterEventId}
      ORDER BY event_id LIMIT ${args.limit}`
    : await sql<TransitionEventRow[]>`
    SELECT * FROM (
      (SELECT event_id, 'task' AS kind, NULL::uuid AS step_uuid, NULL::text AS step_name, to_state, 0 AS attempt,
              created_at, NULL::jsonb AS detail
       FROM tasker.task_transitions
       WHERE task_uuid = ${args.taskUuid} AND event_id > ${args.afterEventId}
       ORDER BY event_id LIMIT ${args.limit})
      UNION ALL
      (SELECT se.event_id, 'step', se.step_uuid, s.name, se.to_state, se.attempt, se.created_at, NULL::jsonb
       FROM tasker.step_events se JOIN tasker.steps s ON s.step_uuid = se.step_uuid
       WHERE se.task_uuid = ${args.taskUuid} AND se.cursor_event_id > ${args.afterEventId} AND se.event_id > ${args.afterEventId}
       ORDER BY se.event_id LIMIT ${args.limit})
      UNION ALL
      (SELECT (h.e->>'event_id')::bigint, 'checkpoint', s.step_uuid, s.name, 'in_progress', (h.e->>'attempt')::integer,
              (h.e->>'timestamp')::timestamptz, NULL::jsonb
       FROM tasker.steps s CROSS JOIN LATERAL jsonb_array_elements(s.checkpoint->'history') AS h(e)
       WHERE s.task_uuid = ${args.taskUuid} AND s.checkpoint IS NOT NULL
         AND (h.e->>'event_id')::bigint > ${args.afterEventId}
       ORDER BY 1 LIMIT ${args.limit})
      UNION ALL
      (SELECT x.event_id, 'expansion', x.trigger_step_uuid, x.trigger_name, x.event, 0, x.created_at,
              jsonb_build_object('outcome_type', x.outcome_type, 'worker_template', x.worker_template,
                'batch_ids', to_jsonb(x.batch_ids),
                'created_steps', (SELECT coalesce(jsonb_agg(jsonb_build_object('step_uuid', c.step_uuid, 'name', c.name)
                                                            ORDER BY n.i), '[]')
                                  FROM unnest(x.created_steps) WITH ORDINALITY AS n(name, i)
                                  JOIN tasker.steps c ON c.task_uuid = x.task_uuid AND c.name = n.name))
       FROM tasker.task_expansions x
       WHERE x.task_uuid = ${args.taskUuid} AND x.event_id > ${args.afterEventId}
       ORDER BY x.event_id LIMIT ${args.limit})
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

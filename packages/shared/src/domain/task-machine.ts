import { AppError } from '../errors.js';
import { followPath } from './event-path.js';
import { TASK_STATES, type TaskState } from './states.js';

/**
 * Every event that may move a task. One guarded table, no legacy aliases (docs/compatibility.md §1–§2): the
 * reference's `complete`/`fail` shortcuts, `all_steps_completed`, `reset` and an unguarded `resolve_manually` are
 * gone, and the writes the reference made around its table (finalization → blocked_by_failures → error, staleness
 * → error) are events here, so every change a task sees passes through {@link nextTaskState}.
 */
export const TASK_EVENTS = [
  'start',
  'ready_steps_found',
  'no_steps_found',
  'no_dependencies_ready',
  'steps_enqueued',
  'enqueue_failed',
  'step_completed',
  'step_failed',
  'all_steps_successful',
  'steps_in_flight',
  'retry_scheduled',
  'permanent_failure',
  'dependencies_ready',
  'retry_ready',
  'give_up',
  'manual_resolution',
  'staleness_timeout',
  'resume',
  'cancel',
] as const;
export type TaskEvent = (typeof TASK_EVENTS)[number];

type TaskTransitionRow = Readonly<Partial<Record<TaskEvent, TaskState>>>;

const CANCEL = { cancel: 'cancelled' } as const;
// The staleness detector only looks at tasks resting in these states (docs/engine.md, *Staleness*).
const STALE = { staleness_timeout: 'error' } as const;

/**
 * The task machine as data: `TASK_TRANSITIONS[from][event]` is the next state, absent = not allowed.
 *
 * Departures from the reference, and why:
 * - A step result, success or failure, moves a resting task to `evaluating_results` (`step_completed` /
 *   `step_failed`), which alone decides what follows. The reference routed failures to `waiting_for_retry`
 *   directly but in practice sent every result through evaluation; one decision point keeps retries,
 *   permanent failures and finalization consistent.
 * - Results can arrive while the task rests in `waiting_for_retry` or `waiting_for_dependencies` (another
 *   branch is still running), so both accept the result events too.
 * - `evaluating_results` gains `steps_in_flight` (→ steps_in_process: nothing new to dispatch, steps still
 *   running) and `retry_scheduled` (→ waiting_for_retry: only backoffs remain). The reference left such a
 *   task parked in `evaluating_results` for a poller.
 * - `staleness_timeout` makes the detector's write a guarded transition from the three states it inspects.
 * - `error` stays terminal for everything except `resume`: an operator who fixed the failed steps resumes the task
 *   from its DLQ entry (docs/engine.md, *Task and step lifecycle*). `resume` is a separate, audited operator event
 *   rather than a weakening of terminality, and it re-enters at `evaluating_results` so the normal decision logic
 *   picks the next state from the steps as they are now. It is also accepted from `blocked_by_failures`, where the
 *   engine may not yet have given up when the operator acts. Cancel is not allowed from `error`: the task is
 *   already closed, and the DLQ entry records the operator's conclusion.
 * - `manual_resolution` (the reference's blocked_by_failures → resolved_manually) is also accepted from `error`:
 *   the operator's other conclusion after a failure, closing the task instead of resuming it. It is an explicit,
 *   audited operator event (`tasks.resolve`), like `resume`.
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskState, TaskTransitionRow>> = {
  pending: { start: 'initializing', ...CANCEL },
  initializing: {
    ready_steps_found: 'enqueuing_steps',
    no_steps_found: 'complete',
    no_dependencies_ready: 'waiting_for_dependencies',
    ...CANCEL,
  },
  enqueuing_steps: { steps_enqueued: 'steps_in_process', enqueue_failed: 'error', ...CANCEL },
  steps_in_process: {
    step_completed: 'evaluating_results',
    step_failed: 'evaluating_results',
    ...STALE,
    ...CANCEL,
  },
  evaluating_results: {
    all_steps_successful: 'complete',
    ready_steps_found: 'enqueuing_steps',
    steps_in_flight: 'steps_in_process',
    retry_scheduled: 'waiting_for_retry',
    no_dependencies_ready: 'waiting_for_dependencies',
    permanent_failure: 'blocked_by_failures',
    ...CANCEL,
  },
  waiting_for_dependencies: {
    dependencies_ready: 'evaluating_results',
    step_completed: 'evaluating_results',
    step_failed: 'evaluating_results',
    ...STALE,
    ...CANCEL,
  },
  waiting_for_retry: {
    retry_ready: 'enqueuing_steps',
    step_completed: 'evaluating_results',
    step_failed: 'evaluating_results',
    ...STALE,
    ...CANCEL,
  },
  blocked_by_failures: {
    give_up: 'error',
    manual_resolution: 'resolved_manually',
    resume: 'evaluating_results',
    ...CANCEL,
  },
  complete: {},
  error: { resume: 'evaluating_results', manual_resolution: 'resolved_manually' },
  cancelled: {},
  resolved_manually: {},
};

/** The state a task enters on `event`, or `undefined` when the machine forbids it. */
export function findNextTaskState(state: TaskState, event: TaskEvent): TaskState | undefined {
  return TASK_TRANSITIONS[state][event];
}

/** Whether `event` is allowed for a task in `state`. */
export function canTaskTransition(state: TaskState, event: TaskEvent): boolean {
  return findNextTaskState(state, event) !== undefined;
}

/**
 * The state a task enters on `event`.
 * @throws AppError INVALID_STATE with details `{ from, event }` when the machine forbids it.
 */
export function nextTaskState(state: TaskState, event: TaskEvent): TaskState {
  const next = findNextTaskState(state, event);
  if (next === undefined) {
    throw new AppError('INVALID_STATE', `Task in state '${state}' does not accept event '${event}'`, {
      details: { from: state, event },
    });
  }
  return next;
}

/** Events a task in `state` accepts, in {@link TASK_EVENTS} order. */
export function allowedTaskEvents(state: TaskState): TaskEvent[] {
  return TASK_EVENTS.filter((event) => canTaskTransition(state, event));
}

/** States from which `event` is allowed (e.g. the SQL `WHERE state = ANY(...)` of a guarded update). */
export function taskStatesAccepting(event: TaskEvent): TaskState[] {
  return TASK_STATES.filter((state) => canTaskTransition(state, event));
}

/** Every allowed transition as a flat list (docs, diagrams, tests). */
export function listTaskTransitions(): { from: TaskState; event: TaskEvent; to: TaskState }[] {
  return TASK_STATES.flatMap((from) =>
    allowedTaskEvents(from).map((event) => ({ from, event, to: TASK_TRANSITIONS[from][event] as TaskState })),
  );
}

function isTaskEvent(event: string): event is TaskEvent {
  return (TASK_EVENTS as readonly string[]).includes(event);
}

/**
 * Where a recorded path (`step_completed>all_steps_successful`) leads from `from` (null = the task's creation,
 * which starts with `create` into pending), or undefined when the machine forbids a hop.
 */
export function taskPathEnd(from: TaskState | null, path: string): TaskState | undefined {
  return followPath(from, path, { initial: 'pending', isEvent: isTaskEvent, next: findNextTaskState });
}

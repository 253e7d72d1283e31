import { AppError } from '../errors.js';
import { followPath } from './event-path.js';
import { STEP_STATES, type StepState } from './states.js';

/**
 * Every event that may move a workflow step. Worker-side events (`claim`, `complete_result`, `fail_result`,
 * `release`) come through the worker protocol, `lease_expired` from the sweeper, `staleness_timeout` from the
 * staleness detector, `enqueue`/`complete`/`wait_for_retry`/`fail`/`retry`/`cancel` from the engine, and the last
 * three from operators.
 */
export const STEP_EVENTS = [
  'enqueue',
  'claim',
  'complete_result',
  'fail_result',
  'lease_expired',
  'release',
  'complete',
  'wait_for_retry',
  'fail',
  'retry',
  'cancel',
  'staleness_timeout',
  'reset_for_retry',
  'resolve_manually',
  'complete_manually',
] as const;
export type StepEvent = (typeof STEP_EVENTS)[number];

/** Step events an operator may apply through the step-resolution API. */
export const MANUAL_STEP_EVENTS = [
  'reset_for_retry',
  'resolve_manually',
  'complete_manually',
] as const satisfies readonly StepEvent[];

type StepTransitionRow = Readonly<Partial<Record<StepEvent, StepState>>>;

const CANCEL = { cancel: 'cancelled' } as const;
const CLOSE_MANUALLY = { resolve_manually: 'resolved_manually', complete_manually: 'complete' } as const;
const STOP_STALE = { staleness_timeout: 'error' } as const;

/**
 * The step machine as data: `STEP_TRANSITIONS[from][event]` is the next state, absent = not allowed.
 *
 * Decisions (the departures from the reference: docs/compatibility.md §1–§2):
 * - `complete`, `cancelled` and `resolved_manually` are terminal: nothing leaves them, operator actions
 *   included (the reference let `resolve_manually`/`complete_manually` rewrite any state).
 * - `error` is the state operators fix, so it is not terminal: `reset_for_retry` (→ pending; the only way
 *   out of error back into execution), `resolve_manually`, `complete_manually`, and `cancel` (a cancelled
 *   task closes every unfinished step, and an unfixed error step is unfinished). The engine never moves an
 *   error step by itself: the reference's `error --retry--> pending` is gone.
 * - Reset goes to `pending`, not `enqueued`: the task is in `error` at that point and must not have work
 *   claimed until the operator resumes it; resume's evaluation then enqueues pending steps whose parents are
 *   satisfied.
 * - `retry` goes from `waiting_for_retry` straight to `enqueued`: the step's parents were satisfied when it
 *   first ran, so a stop in `pending` would only add a transition row and a round trip before it can be
 *   claimed again.
 * - Operators may also close `pending`, `enqueued` and `waiting_for_retry` steps (work not running anywhere).
 *   Not `in_progress`: a worker holds the lease, so cancel it or wait for its result. Not the two
 *   for-orchestration states: the engine settles those in the result's own transaction.
 * - `lease_expired` counts as a failed attempt (→ enqueued_as_error_for_orchestration, then normal retry
 *   rules); `release` is a draining worker handing a lease back and does not count as a failure.
 * - Worker results arrive as `complete_result`/`fail_result`; the engine then settles them with `complete`,
 *   `wait_for_retry` or `fail`. The reference's direct in_progress → complete/error and pending/enqueued →
 *   error shortcuts are gone for results.
 * - `staleness_timeout`: the staleness detector closing a stale task stops every step that could still run
 *   (enqueued, in_progress, waiting_for_retry) in the same transaction. They go to `error`, not `cancelled`
 *   (terminal), so the way back is the operator's usual one: reset the step, resume the task. A running
 *   attempt ends with outcome `cancelled`: its worker's heartbeat answers `cancelled`, a late result is refused.
 */
export const STEP_TRANSITIONS: Readonly<Record<StepState, StepTransitionRow>> = {
  pending: { enqueue: 'enqueued', ...CLOSE_MANUALLY, ...CANCEL },
  enqueued: { claim: 'in_progress', ...CLOSE_MANUALLY, ...CANCEL, ...STOP_STALE },
  in_progress: {
    complete_result: 'enqueued_for_orchestration',
    fail_result: 'enqueued_as_error_for_orchestration',
    lease_expired: 'enqueued_as_error_for_orchestration',
    release: 'enqueued',
    ...CANCEL,
    ...STOP_STALE,
  },
  enqueued_for_orchestration: { complete: 'complete', ...CANCEL },
  enqueued_as_error_for_orchestration: { wait_for_retry: 'waiting_for_retry', fail: 'error', ...CANCEL },
  waiting_for_retry: { retry: 'enqueued', ...CLOSE_MANUALLY, ...CANCEL, ...STOP_STALE },
  complete: {},
  error: { reset_for_retry: 'pending', ...CLOSE_MANUALLY, ...CANCEL },
  cancelled: {},
  resolved_manually: {},
};

/** The state a step enters on `event`, or `undefined` when the machine forbids it. */
export function findNextStepState(state: StepState, event: StepEvent): StepState | undefined {
  return STEP_TRANSITIONS[state][event];
}

/** Whether `event` is allowed for a step in `state`. */
export function canStepTransition(state: StepState, event: StepEvent): boolean {
  return findNextStepState(state, event) !== undefined;
}

/**
 * The state a step enters on `event`.
 * @throws AppError INVALID_STATE with details `{ from, event }` when the machine forbids it.
 */
export function nextStepState(state: StepState, event: StepEvent): StepState {
  const next = findNextStepState(state, event);
  if (next === undefined) {
    throw new AppError('INVALID_STATE', `Step in state '${state}' does not accept event '${event}'`, {
      details: { from: state, event },
    });
  }
  return next;
}

/** Events a step in `state` accepts, in {@link STEP_EVENTS} order. */
export function allowedStepEvents(state: StepState): StepEvent[] {
  return STEP_EVENTS.filter((event) => canStepTransition(state, event));
}

/** States from which `event` is allowed (e.g. the SQL `WHERE state = ANY(...)` of a guarded update). */
export function stepStatesAccepting(event: StepEvent): StepState[] {
  return STEP_STATES.filter((state) => canStepTransition(state, event));
}

/** Every allowed transition as a flat list (docs, diagrams, tests). */
export function listStepTransitions(): { from: StepState; event: StepEvent; to: StepState }[] {
  return STEP_STATES.flatMap((from) =>
    allowedStepEvents(from).map((event) => ({ from, event, to: STEP_TRANSITIONS[from][event] as StepState })),
  );
}

function isStepEvent(event: string): event is StepEvent {
  return (STEP_EVENTS as readonly string[]).includes(event);
}

/**
 * Where a recorded path (`complete_result>complete`, `create>enqueue`) leads from `from` (null = the step's
 * creation, which starts with `create` into pending), or undefined when the machine forbids a hop.
 */
export function stepPathEnd(from: StepState | null, path: string): StepState | undefined {
  return followPath(from, path, { initial: 'pending', isEvent: isStepEvent, next: findNextStepState });
}

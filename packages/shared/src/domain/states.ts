/** The 12 task states (public vocabulary; same names and order as proto `TaskState` 1..12). */
export const TASK_STATES = [
  'pending',
  'initializing',
  'enqueuing_steps',
  'steps_in_process',
  'evaluating_results',
  'waiting_for_dependencies',
  'waiting_for_retry',
  'blocked_by_failures',
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** The 10 workflow step states (same names and order as proto `StepState` 1..10). */
export const STEP_STATES = [
  'pending',
  'enqueued',
  'in_progress',
  'enqueued_for_orchestration',
  'enqueued_as_error_for_orchestration',
  'waiting_for_retry',
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
] as const;
export type StepState = (typeof STEP_STATES)[number];

/** A task in one of these states never changes again (except `error` via the audited operator `resume`). */
export const TERMINAL_TASK_STATES: readonly TaskState[] = ['complete', 'error', 'cancelled', 'resolved_manually'];
/** A step in one of these states never changes again. `error` is not terminal: operators reset or resolve it. */
export const TERMINAL_STEP_STATES: readonly StepState[] = ['complete', 'cancelled', 'resolved_manually'];
/** Step states that satisfy a child's dependency. */
export const SATISFYING_STEP_STATES: readonly StepState[] = ['complete', 'resolved_manually'];

export function isTerminalTaskState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.includes(state);
}

export function isTerminalStepState(state: StepState): boolean {
  return TERMINAL_STEP_STATES.includes(state);
}

export function isTaskState(value: string): value is TaskState {
  return (TASK_STATES as readonly string[]).includes(value);
}

export function isStepState(value: string): value is StepState {
  return (STEP_STATES as readonly string[]).includes(value);
}

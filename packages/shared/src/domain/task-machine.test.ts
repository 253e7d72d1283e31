import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { TASK_STATES, TERMINAL_TASK_STATES, type TaskState } from './states.js';
import {
  TASK_EVENTS,
  TASK_TRANSITIONS,
  allowedTaskEvents,
  canTaskTransition,
  listTaskTransitions,
  nextTaskState,
  taskStatesAccepting,
  type TaskEvent,
} from './task-machine.js';

// Written out by hand from the design (docs/engine.md, *State machines*), independently of
// TASK_TRANSITIONS: every pair not listed here must be rejected.
const EXPECTED: readonly [TaskState, TaskEvent, TaskState][] = [
  ['pending', 'start', 'initializing'],
  ['pending', 'cancel', 'cancelled'],
  ['initializing', 'ready_steps_found', 'enqueuing_steps'],
  ['initializing', 'no_steps_found', 'complete'],
  ['initializing', 'no_dependencies_ready', 'waiting_for_dependencies'],
  ['initializing', 'cancel', 'cancelled'],
  ['enqueuing_steps', 'steps_enqueued', 'steps_in_process'],
  ['enqueuing_steps', 'enqueue_failed', 'error'],
  ['enqueuing_steps', 'cancel', 'cancelled'],
  ['steps_in_process', 'step_completed', 'evaluating_results'],
  ['steps_in_process', 'step_failed', 'evaluating_results'],
  ['steps_in_process', 'staleness_timeout', 'error'],
  ['steps_in_process', 'cancel', 'cancelled'],
  ['evaluating_results', 'all_steps_successful', 'complete'],
  ['evaluating_results', 'ready_steps_found', 'enqueuing_steps'],
  ['evaluating_results', 'steps_in_flight', 'steps_in_process'],
  ['evaluating_results', 'retry_scheduled', 'waiting_for_retry'],
  ['evaluating_results', 'no_dependencies_ready', 'waiting_for_dependencies'],
  ['evaluating_results', 'permanent_failure', 'blocked_by_failures'],
  ['evaluating_results', 'cancel', 'cancelled'],
  ['waiting_for_dependencies', 'dependencies_ready', 'evaluating_results'],
  ['waiting_for_dependencies', 'step_completed', 'evaluating_results'],
  ['waiting_for_dependencies', 'step_failed', 'evaluating_results'],
  ['waiting_for_dependencies', 'staleness_timeout', 'error'],
  ['waiting_for_dependencies', 'cancel', 'cancelled'],
  ['waiting_for_retry', 'retry_ready', 'enqueuing_steps'],
  ['waiting_for_retry', 'step_completed', 'evaluating_results'],
  ['waiting_for_retry', 'step_failed', 'evaluating_results'],
  ['waiting_for_retry', 'staleness_timeout', 'error'],
  ['waiting_for_retry', 'cancel', 'cancelled'],
  ['blocked_by_failures', 'give_up', 'error'],
  ['blocked_by_failures', 'manual_resolution', 'resolved_manually'],
  ['blocked_by_failures', 'resume', 'evaluating_results'],
  ['blocked_by_failures', 'cancel', 'cancelled'],
  ['error', 'resume', 'evaluating_results'],
  ['error', 'manual_resolution', 'resolved_manually'],
];

function expectedNext(from: TaskState, event: TaskEvent): TaskState | undefined {
  return EXPECTED.find(([f, e]) => f === from && e === event)?.[2];
}

const ALL_PAIRS = TASK_STATES.flatMap((state) => TASK_EVENTS.map((event) => [state, event] as const));

describe('task state machine', () => {
  it('has the 12 states and covers all of them in the table', () => {
    expect(TASK_STATES).toHaveLength(12);
    expect(Object.keys(TASK_TRANSITIONS).sort()).toEqual([...TASK_STATES].sort());
  });

  it('expected table has no duplicate (state, event) rows', () => {
    const keys = EXPECTED.map(([f, e]) => `${f}/${e}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(ALL_PAIRS)('%s + %s matches the expected table', (state, event) => {
    const expected = expectedNext(state, event);
    expect(canTaskTransition(state, event)).toBe(expected !== undefined);
    if (expected === undefined) {
      let thrown: unknown;
      try {
        nextTaskState(state, event);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe('INVALID_STATE');
      expect((thrown as AppError).details).toEqual({ from: state, event });
    } else {
      expect(nextTaskState(state, event)).toBe(expected);
    }
  });

  it('lets nothing leave complete, cancelled or resolved_manually', () => {
    for (const state of ['complete', 'cancelled', 'resolved_manually'] as const) {
      expect(allowedTaskEvents(state)).toEqual([]);
    }
  });

  it('lets error out only through the operator actions: resume, or the close as resolved_manually', () => {
    expect(TERMINAL_TASK_STATES).toContain('error');
    expect(allowedTaskEvents('error')).toEqual(['manual_resolution', 'resume']);
    expect(taskStatesAccepting('manual_resolution').sort()).toEqual(['blocked_by_failures', 'error']);
  });

  it('accepts cancel from every non-terminal state and from no terminal one', () => {
    const nonTerminal = TASK_STATES.filter((s) => !TERMINAL_TASK_STATES.includes(s));
    expect(taskStatesAccepting('cancel').sort()).toEqual([...nonTerminal].sort());
  });

  it('keeps no legacy event names', () => {
    for (const legacy of ['complete', 'fail', 'reset', 'resolve_manually', 'all_steps_completed', 'timeout']) {
      expect(TASK_EVENTS as readonly string[]).not.toContain(legacy);
    }
  });

  it('lists exactly the expected transitions', () => {
    const listed = listTaskTransitions().map(({ from, event, to }) => `${from}/${event}/${to}`);
    expect(listed.sort()).toEqual(EXPECTED.map(([f, e, t]) => `${f}/${e}/${t}`).sort());
  });

  it('every event is used and every state is reachable from pending', () => {
    const used = new Set(EXPECTED.map(([, e]) => e));
    expect([...TASK_EVENTS].filter((e) => !used.has(e))).toEqual([]);
    const reached = new Set<TaskState>(['pending']);
    for (let grew = true; grew;) {
      grew = false;
      for (const [from, , to] of EXPECTED) {
        if (reached.has(from) && !reached.has(to)) {
          reached.add(to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...TASK_STATES].sort());
  });
});

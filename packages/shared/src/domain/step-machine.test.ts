import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { STEP_STATES, TERMINAL_STEP_STATES, type StepState } from './states.js';
import {
  MANUAL_STEP_EVENTS,
  STEP_EVENTS,
  STEP_TRANSITIONS,
  allowedStepEvents,
  canStepTransition,
  listStepTransitions,
  nextStepState,
  stepStatesAccepting,
  type StepEvent,
} from './step-machine.js';

// Written out by hand from the design (docs/engine.md, *State machines*), independently of
// STEP_TRANSITIONS: every pair not listed here must be rejected.
const EXPECTED: readonly [StepState, StepEvent, StepState][] = [
  ['pending', 'enqueue', 'enqueued'],
  ['pending', 'resolve_manually', 'resolved_manually'],
  ['pending', 'complete_manually', 'complete'],
  ['pending', 'cancel', 'cancelled'],
  ['enqueued', 'claim', 'in_progress'],
  ['enqueued', 'resolve_manually', 'resolved_manually'],
  ['enqueued', 'complete_manually', 'complete'],
  ['enqueued', 'cancel', 'cancelled'],
  ['enqueued', 'staleness_timeout', 'error'],
  ['in_progress', 'complete_result', 'enqueued_for_orchestration'],
  ['in_progress', 'fail_result', 'enqueued_as_error_for_orchestration'],
  ['in_progress', 'lease_expired', 'enqueued_as_error_for_orchestration'],
  ['in_progress', 'release', 'enqueued'],
  ['in_progress', 'cancel', 'cancelled'],
  ['in_progress', 'staleness_timeout', 'error'],
  ['enqueued_for_orchestration', 'complete', 'complete'],
  ['enqueued_for_orchestration', 'cancel', 'cancelled'],
  ['enqueued_as_error_for_orchestration', 'wait_for_retry', 'waiting_for_retry'],
  ['enqueued_as_error_for_orchestration', 'fail', 'error'],
  ['enqueued_as_error_for_orchestration', 'cancel', 'cancelled'],
  ['waiting_for_retry', 'retry', 'enqueued'],
  ['waiting_for_retry', 'resolve_manually', 'resolved_manually'],
  ['waiting_for_retry', 'complete_manually', 'complete'],
  ['waiting_for_retry', 'cancel', 'cancelled'],
  ['waiting_for_retry', 'staleness_timeout', 'error'],
  ['error', 'reset_for_retry', 'pending'],
  ['error', 'resolve_manually', 'resolved_manually'],
  ['error', 'complete_manually', 'complete'],
  ['error', 'cancel', 'cancelled'],
];

function expectedNext(from: StepState, event: StepEvent): StepState | undefined {
  return EXPECTED.find(([f, e]) => f === from && e === event)?.[2];
}

const ALL_PAIRS = STEP_STATES.flatMap((state) => STEP_EVENTS.map((event) => [state, event] as const));

describe('step state machine', () => {
  it('has the 10 states and covers all of them in the table', () => {
    expect(STEP_STATES).toHaveLength(10);
    expect(Object.keys(STEP_TRANSITIONS).sort()).toEqual([...STEP_STATES].sort());
  });

  it('expected table has no duplicate (state, event) rows', () => {
    const keys = EXPECTED.map(([f, e]) => `${f}/${e}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(ALL_PAIRS)('%s + %s matches the expected table', (state, event) => {
    const expected = expectedNext(state, event);
    expect(canStepTransition(state, event)).toBe(expected !== undefined);
    if (expected === undefined) {
      let thrown: unknown;
      try {
        nextStepState(state, event);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe('INVALID_STATE');
      expect((thrown as AppError).details).toEqual({ from: state, event });
    } else {
      expect(nextStepState(state, event)).toBe(expected);
    }
  });

  it('lets nothing, operator actions included, leave a terminal step', () => {
    for (const state of TERMINAL_STEP_STATES) expect(allowedStepEvents(state)).toEqual([]);
    for (const event of MANUAL_STEP_EVENTS) {
      for (const state of TERMINAL_STEP_STATES) expect(canStepTransition(state, event)).toBe(false);
    }
  });

  it('resets only error steps, back to pending', () => {
    expect(stepStatesAccepting('reset_for_retry')).toEqual(['error']);
    expect(nextStepState('error', 'reset_for_retry')).toBe('pending');
  });

  it('never moves an error step without an operator or a cancel', () => {
    expect(allowedStepEvents('error')).toEqual(['cancel', 'reset_for_retry', 'resolve_manually', 'complete_manually']);
  });

  it('accepts cancel from every non-terminal state', () => {
    const nonTerminal = STEP_STATES.filter((s) => !TERMINAL_STEP_STATES.includes(s));
    expect(stepStatesAccepting('cancel').sort()).toEqual([...nonTerminal].sort());
  });

  it('lists exactly the expected transitions', () => {
    const listed = listStepTransitions().map(({ from, event, to }) => `${from}/${event}/${to}`);
    expect(listed.sort()).toEqual(EXPECTED.map(([f, e, t]) => `${f}/${e}/${t}`).sort());
  });

  it('every event is used and every state is reachable from pending', () => {
    const used = new Set(EXPECTED.map(([, e]) => e));
    expect([...STEP_EVENTS].filter((e) => !used.has(e))).toEqual([]);
    const reached = new Set<StepState>(['pending']);
    for (let grew = true; grew;) {
      grew = false;
      for (const [from, , to] of EXPECTED) {
        if (reached.has(from) && !reached.has(to)) {
          reached.add(to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...STEP_STATES].sort());
  });
});

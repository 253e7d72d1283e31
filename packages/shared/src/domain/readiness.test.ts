import { describe, expect, it } from 'vitest';
import {
  backoffBoundsMs,
  executionStatusOf,
  isRetryEligible,
  nominalBackoffMs,
  stepReadinessOf,
  taskExecutionOf,
  type StepCounts,
} from './readiness.js';

function counts(overrides: Partial<StepCounts>): StepCounts {
  const c: StepCounts = {
    total: 0,
    pending: 0,
    enqueued: 0,
    inProgress: 0,
    enqueuedForOrchestration: 0,
    enqueuedAsErrorForOrchestration: 0,
    waitingForRetry: 0,
    complete: 0,
    error: 0,
    cancelled: 0,
    resolvedManually: 0,
    ...overrides,
  };
  if (overrides.total === undefined) {
    c.total =
      c.pending +
      c.enqueued +
      c.inProgress +
      c.enqueuedForOrchestration +
      c.enqueuedAsErrorForOrchestration +
      c.waitingForRetry +
      c.complete +
      c.error +
      c.cancelled +
      c.resolvedManually;
  }
  return c;
}

describe('execution status (first match, docs/engine.md "Read models")', () => {
  it.each([
    [{ error: 1, enqueued: 2 }, 'blocked_by_failures'],
    [{ enqueued: 1, inProgress: 1 }, 'has_ready_steps'],
    [{ inProgress: 1, pending: 2 }, 'processing'],
    [{ waitingForRetry: 1, pending: 1 }, 'processing'],
    [{ complete: 3, resolvedManually: 1 }, 'all_complete'],
    [{ complete: 1, pending: 1 }, 'waiting_for_dependencies'],
    [{}, 'waiting_for_dependencies'],
  ] as const)('%j → %s', (c, status) => {
    expect(executionStatusOf(counts(c))).toBe(status);
  });

  it('derives counts, percentage, action and health', () => {
    const e = taskExecutionOf(
      counts({
        complete: 1,
        resolvedManually: 1,
        enqueued: 1,
        waitingForRetry: 1,
        enqueuedForOrchestration: 1,
        pending: 1,
      }),
      'steps_in_process',
    );
    expect(e).toMatchObject({
      totalSteps: 6,
      completedSteps: 2,
      readySteps: 1,
      enqueuedSteps: 2,
      waitingForRetrySteps: 1,
      completionPercentage: 33.33,
      executionStatus: 'has_ready_steps',
      recommendedAction: 'execute_ready_steps',
      healthStatus: 'recovering',
    });
    expect(taskExecutionOf(counts({ complete: 2 }), 'complete').recommendedAction).toBe('none');
    expect(taskExecutionOf(counts({ error: 1, complete: 1 }), 'error')).toMatchObject({
      recommendedAction: 'handle_failures',
      healthStatus: 'blocked',
    });
    expect(taskExecutionOf(counts({ pending: 1 }), 'error').recommendedAction).toBe('none');
  });
});

describe('retry eligibility and step readiness', () => {
  it('follows max_attempts semantics (total runs; 0 = one run, no retry)', () => {
    expect(isRetryEligible(0, 0, false)).toBe(true);
    expect(isRetryEligible(1, 0, true)).toBe(false);
    expect(isRetryEligible(1, 1, true)).toBe(false);
    expect(isRetryEligible(2, 3, true)).toBe(true);
    expect(isRetryEligible(2, 3, false)).toBe(false);
  });

  it('computes readiness fields', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const base = {
      attempts: 1,
      maxAttempts: 3,
      retryable: true,
      totalParents: 2,
      unsatisfiedParents: 0,
      nextRetryAt: null,
    };
    expect(stepReadinessOf({ ...base, state: 'enqueued' }, now)).toEqual({
      dependenciesSatisfied: true,
      completedParents: 2,
      retryEligible: true,
      readyForExecution: true,
    });
    expect(stepReadinessOf({ ...base, state: 'pending', unsatisfiedParents: 1 }, now).readyForExecution).toBe(false);
    expect(
      stepReadinessOf({ ...base, state: 'waiting_for_retry', nextRetryAt: new Date(now.getTime() + 1) }, now)
        .readyForExecution,
    ).toBe(false);
    expect(stepReadinessOf({ ...base, state: 'waiting_for_retry', nextRetryAt: now }, now).readyForExecution).toBe(
      true,
    );
    expect(stepReadinessOf({ ...base, state: 'in_progress' }, now).readyForExecution).toBe(false);
  });
});

describe('backoff', () => {
  const policy = { backoffBaseMs: 100, maxBackoffMs: 1000, jitter: 0.1 };
  it.each([
    ['none', [0, 0, 0, 0]],
    ['linear', [100, 200, 300, 400]],
    ['exponential', [100, 200, 400, 800]],
    ['fibonacci', [100, 100, 200, 300]],
  ] as const)('%s', (backoff, expected) => {
    expect([1, 2, 3, 4].map((a) => nominalBackoffMs({ ...policy, backoff }, a))).toEqual(expected);
  });

  it('caps, jitters and honours Retry-After up to the cap', () => {
    expect(nominalBackoffMs({ ...policy, backoff: 'exponential' }, 10)).toBe(1000);
    expect(nominalBackoffMs({ ...policy, backoff: 'exponential' }, 3, 3)).toBe(900);
    const two = backoffBoundsMs({ ...policy, backoff: 'exponential' }, 2);
    expect(two.min).toBeCloseTo(180);
    expect(two.max).toBeCloseTo(220);
    const ten = backoffBoundsMs({ ...policy, backoff: 'exponential' }, 10);
    expect(ten.min).toBeCloseTo(900);
    expect(ten.max).toBe(1000);
    expect(backoffBoundsMs({ ...policy, backoff: 'exponential' }, 1, { retryAfterMs: 5000 })).toEqual({
      min: 1000,
      max: 1000,
    });
    expect(backoffBoundsMs({ ...policy, backoff: 'exponential' }, 1, { retryAfterMs: 300 })).toEqual({
      min: 300,
      max: 300,
    });
  });
});

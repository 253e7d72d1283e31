// Pure readiness rules (docs/engine.md, *Read models* and *Retries*): a task's execution status from its step
// counts, a step's readiness fields, retry eligibility and backoff delays. The engine's SQL applies the same
// rules; these functions are what read models, tests and docs use.
import type { StepState, TaskState } from './states.js';
import type { BackoffKind } from './template.js';
import type { ExecutionStatus, HealthStatus, RecommendedAction, TaskExecution } from './task.js';

/** How many of a task's steps are in each state (the task row's counters). */
export interface StepCounts {
  total: number;
  pending: number;
  enqueued: number;
  inProgress: number;
  enqueuedForOrchestration: number;
  enqueuedAsErrorForOrchestration: number;
  waitingForRetry: number;
  complete: number;
  error: number;
  cancelled: number;
  resolvedManually: number;
}

const RECOMMENDATION: Readonly<Record<ExecutionStatus, RecommendedAction>> = {
  blocked_by_failures: 'handle_failures',
  has_ready_steps: 'execute_ready_steps',
  processing: 'wait_for_completion',
  all_complete: 'finalize_task',
  waiting_for_dependencies: 'wait_for_dependencies',
};

/**
 * First matching row (docs/engine.md, *Read models*): any `error` step → blocked_by_failures; any claimable
 * (`enqueued`) step → has_ready_steps; anything running, being settled or in backoff → processing; everything
 * complete or resolved → all_complete; otherwise waiting_for_dependencies.
 */
export function executionStatusOf(c: StepCounts): ExecutionStatus {
  if (c.error > 0) return 'blocked_by_failures';
  if (c.enqueued > 0) return 'has_ready_steps';
  if (c.inProgress + c.enqueuedForOrchestration + c.enqueuedAsErrorForOrchestration + c.waitingForRetry > 0)
    return 'processing';
  if (c.total > 0 && c.complete + c.resolvedManually === c.total) return 'all_complete';
  return 'waiting_for_dependencies';
}

/**
 * `blocked` with a failed step; `recovering` while a step waits out a retry backoff (the reference defined
 * but never produced it); otherwise `healthy`.
 */
export function healthStatusOf(c: StepCounts): HealthStatus {
  if (c.error > 0) return 'blocked';
  if (c.waitingForRetry > 0) return 'recovering';
  return 'healthy';
}

/** Completed share in percent with two decimals (0 for a task without steps). */
export function completionPercentage(c: StepCounts): number {
  if (c.total === 0) return 0;
  return Math.round(((c.complete + c.resolvedManually) / c.total) * 10_000) / 100;
}

/**
 * The execution view of a task. A finished task (complete, cancelled, resolved_manually) recommends `none`:
 * nothing is left to do; an `error` task keeps `handle_failures` while a step is failed, else `none` until
 * an operator resumes it.
 */
export function taskExecutionOf(c: StepCounts, taskState: TaskState): TaskExecution {
  const executionStatus = executionStatusOf(c);
  let recommendedAction = RECOMMENDATION[executionStatus];
  if (taskState === 'complete' || taskState === 'cancelled' || taskState === 'resolved_manually')
    recommendedAction = 'none';
  else if (taskState === 'error' && executionStatus !== 'blocked_by_failures') recommendedAction = 'none';
  return {
    totalSteps: c.total,
    pendingSteps: c.pending,
    inProgressSteps: c.inProgress,
    completedSteps: c.complete + c.resolvedManually,
    failedSteps: c.error,
    readySteps: c.enqueued,
    enqueuedSteps: c.enqueued + c.enqueuedForOrchestration + c.enqueuedAsErrorForOrchestration,
    waitingForRetrySteps: c.waitingForRetry,
    cancelledSteps: c.cancelled,
    completionPercentage: completionPercentage(c),
    executionStatus,
    recommendedAction,
    healthStatus: healthStatusOf(c),
  };
}

/**
 * Whether a step may run (again): never run yet, or retryable with runs left. `maxAttempts` counts every
 * run including the first; 0 allows the first run and no retry (docs/engine.md, *Retries*).
 */
export function isRetryEligible(attempts: number, maxAttempts: number, retryable: boolean): boolean {
  return attempts === 0 || (retryable && attempts < maxAttempts);
}

export interface StepReadinessInput {
  state: StepState;
  attempts: number;
  maxAttempts: number;
  retryable: boolean;
  totalParents: number;
  unsatisfiedParents: number;
  nextRetryAt: Date | null;
}

export interface StepReadiness {
  dependenciesSatisfied: boolean;
  completedParents: number;
  retryEligible: boolean;
  /** Claimable now (`enqueued`), or pending/backing-off with everything in place for dispatch. */
  readyForExecution: boolean;
}

export function stepReadinessOf(s: StepReadinessInput, now: Date): StepReadiness {
  const dependenciesSatisfied = s.unsatisfiedParents === 0;
  const retryEligible = isRetryEligible(s.attempts, s.maxAttempts, s.retryable);
  const backoffOver = s.nextRetryAt === null || s.nextRetryAt.getTime() <= now.getTime();
  const readyForExecution =
    s.state === 'enqueued' ||
    ((s.state === 'pending' || s.state === 'waiting_for_retry') &&
      dependenciesSatisfied &&
      retryEligible &&
      backoffOver);
  return {
    dependenciesSatisfied,
    completedParents: s.totalParents - s.unsatisfiedParents,
    retryEligible,
    readyForExecution,
  };
}

export interface BackoffPolicy {
  backoff: BackoffKind;
  backoffBaseMs: number;
  maxBackoffMs: number;
  jitter: number;
}

/** fib(1) = fib(2) = 1, fib(3) = 2, … */
function fibonacci(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i += 1) [a, b] = [b, a + b];
  return a;
}

/**
 * The un-jittered delay before the next run after `attempts` runs failed (attempts ≥ 1): none = 0,
 * linear = base × attempts, exponential = base × multiplier^(attempts − 1), fibonacci = base × fib(attempts);
 * capped at maxBackoffMs. The engine's SQL (`tasker.backoff_delay_ms`) implements the same formula.
 */
export function nominalBackoffMs(policy: BackoffPolicy, attempts: number, multiplier = 2): number {
  const n = Math.max(1, attempts);
  let delay: number;
  switch (policy.backoff) {
    case 'none':
      delay = 0;
      break;
    case 'linear':
      delay = policy.backoffBaseMs * n;
      break;
    case 'exponential':
      delay = policy.backoffBaseMs * multiplier ** (n - 1);
      break;
    case 'fibonacci':
      delay = policy.backoffBaseMs * fibonacci(n);
      break;
  }
  return Math.min(delay, policy.maxBackoffMs);
}

/**
 * The range the jittered delay falls in: nominal × (1 ± jitter), clamped to [0, maxBackoffMs]. A server
 * `retryAfterMs` replaces the computed delay (no jitter), capped at maxBackoffMs.
 */
export function backoffBoundsMs(
  policy: BackoffPolicy,
  attempts: number,
  options: { multiplier?: number; retryAfterMs?: number | null } = {},
): { min: number; max: number } {
  if (options.retryAfterMs !== undefined && options.retryAfterMs !== null) {
    const d = Math.min(options.retryAfterMs, policy.maxBackoffMs);
    return { min: d, max: d };
  }
  const nominal = nominalBackoffMs(policy, attempts, options.multiplier);
  return {
    min: Math.max(0, nominal * (1 - policy.jitter)),
    max: Math.min(policy.maxBackoffMs, nominal * (1 + policy.jitter)),
  };
}

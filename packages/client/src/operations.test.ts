import { describe, expect, it } from 'vitest';
import { OPERATIONS, isRetryable } from './operations.js';

describe('idempotency table', () => {
  it('retries create only with an idempotency key', () => {
    expect(isRetryable('tasks.create')).toBe(false);
    expect(isRetryable('tasks.create', true)).toBe(true);
  });

  it('never retries operations that could act twice', () => {
    for (const op of [
      'tasks.cancel',
      'tasks.resume',
      'tasks.resolve',
      'dlq.create',
      'steps.applyManualAction',
      'workers.claim',
      'workers.complete',
      'workers.fail',
      'workers.reportResults',
    ] as const) {
      expect(OPERATIONS[op]).toBe('once');
      expect(isRetryable(op, true)).toBe(false);
    }
  });

  it('retries reads', () => {
    expect(isRetryable('tasks.get')).toBe(true);
    expect(isRetryable('dlq.stats')).toBe(true);
    expect(isRetryable('tasks.watch')).toBe(false);
  });
});

import type { TaskSummary } from '@tasker/shared';
import { describe, expect, it } from 'vitest';
import { InPlaceRenderer, WatchView, eventLine } from './watch-view.js';

const task = {
  taskUuid: 'T',
  namespace: 'ns',
  name: 'n',
  version: '1',
  state: 'pending',
  createdAt: new Date(0),
  updatedAt: new Date(0),
};
const summary = {
  task,
  template: {
    steps: [
      { name: 'a', stepType: 'standard', handler: 'A', dependencies: [], retryable: true, maxAttempts: 3 },
      { name: 'b', stepType: 'standard', handler: 'B', dependencies: ['a'], retryable: true, maxAttempts: 1 },
    ],
  },
  steps: [],
  dlq: { inDlq: false, dlqReason: null, resolutionStatus: null },
} as unknown as TaskSummary;

const step = (eventId: number, name: string, state: 'in_progress' | 'complete', attempt: number, ms: number) => ({
  eventId,
  type: 'step_state_change' as const,
  taskUuid: 'T',
  taskState: 'steps_in_process' as const,
  step: { stepUuid: name, name, state, attempt },
  occurredAt: new Date(ms),
});

describe('watch view', () => {
  it('shows each step with state, attempts, timing and dependencies', () => {
    const view = new WatchView(summary);
    view.apply(step(1, 'a', 'in_progress', 1, 1000));
    view.apply(step(2, 'a', 'complete', 1, 1250));
    view.apply(step(3, 'b', 'in_progress', 1, 1300));
    const lines = view.render(new Date(1800));
    expect(lines[0]).toContain('steps_in_process');
    expect(lines[1]).toMatch(/✓ a\s+complete\s+attempt 1\/3\s+0\.25s$/);
    expect(lines[2]).toMatch(/▶ b\s+in_progress\s+attempt 1\/1\s+0\.50s {2}← a$/);
  });

  it('prints plain event lines and redraws in place', () => {
    expect(eventLine(step(7, 'a', 'complete', 2, 0))).toBe(
      '1970-01-01T00:00:00.000Z  #7  step  a  complete  attempt 2',
    );
    const out: string[] = [];
    const renderer = new InPlaceRenderer((t) => out.push(t));
    renderer.draw(['x', 'y']);
    renderer.draw(['z']);
    expect(out).toEqual(['x\ny\n', '\x1b[2F\x1b[0Jz\n']);
    const narrow: string[] = [];
    new InPlaceRenderer((t) => narrow.push(t), 6).draw(['abcdefghij', 'abc']);
    expect(narrow).toEqual(['abcd…\nabc\n']);
  });
});

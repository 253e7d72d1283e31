import type { StepState, TaskExpansion, TaskStatusEvent, TaskSummary } from '@tasker/shared';
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
  expansion: null,
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

const dynamicSummary = {
  task,
  template: {
    steps: [
      { name: 'start', stepType: 'standard', handler: 'S', dependencies: [], retryable: true, maxAttempts: 1 },
      { name: 'split', stepType: 'batchable', handler: 'B', dependencies: ['start'], retryable: true, maxAttempts: 1 },
      {
        name: 'process',
        stepType: 'batch_worker',
        handler: 'W',
        dependencies: ['split'],
        retryable: true,
        maxAttempts: 2,
      },
      {
        name: 'aggregate',
        stepType: 'deferred_convergence',
        handler: 'A',
        dependencies: ['process'],
        retryable: true,
        maxAttempts: 1,
      },
      { name: 'route', stepType: 'decision', handler: 'D', dependencies: ['start'], retryable: true, maxAttempts: 1 },
      {
        name: 'ship_express',
        stepType: 'standard',
        handler: 'E',
        dependencies: ['route'],
        retryable: true,
        maxAttempts: 1,
      },
      {
        name: 'ship_normal',
        stepType: 'standard',
        handler: 'N',
        dependencies: ['route'],
        retryable: true,
        maxAttempts: 1,
      },
    ],
  },
  steps: [],
  dlq: { inDlq: false, dlqReason: null, resolutionStatus: null },
} as unknown as TaskSummary;

let nextId = 100;
const change = (name: string, state: StepState, attempt = 0): TaskStatusEvent => ({
  ...step(nextId++, name, 'complete', attempt, nextId * 10),
  step: { stepUuid: name, name, state, attempt },
});
const expanded = (
  type: 'decision.branches_created' | 'batch.workers_created',
  trigger: string,
  created: string[],
  extra: Partial<TaskExpansion> = {},
): TaskStatusEvent => ({
  eventId: nextId++,
  type,
  taskUuid: 'T',
  taskState: 'steps_in_process',
  step: null,
  expansion: {
    triggerStepUuid: trigger,
    triggerStepName: trigger,
    outcomeType: type === 'decision.branches_created' ? 'create_steps' : 'create_batches',
    createdSteps: created.map((name) => ({ stepUuid: name, name })),
    workerTemplate: null,
    batchIds: [],
    ...extra,
  },
  occurredAt: new Date(nextId * 10),
});

/** [indentation, name, state] of each step line. */
const shape = (lines: string[]) =>
  lines.slice(1).map((l) => {
    const m = /^( *)\S (\S+) +(\S+)/.exec(l);
    return [m?.[1]?.length, m?.[2], m?.[3]];
  });

describe('watch view of a growing graph', () => {
  it('starts with the steps a dynamic task starts with, and grows them under the step that created them', () => {
    const view = new WatchView(dynamicSummary);
    expect(shape(view.render(new Date(0)))).toEqual([
      [2, 'start', 'pending'],
      [2, 'split', 'pending'],
      [2, 'route', 'pending'],
    ]);
    for (const e of [
      change('start', 'complete', 1),
      change('split', 'in_progress', 1),
      change('route', 'in_progress', 1),
      // The created steps' events come first, then the expansion's.
      change('process_001', 'pending'),
      change('process_002', 'pending'),
      change('aggregate', 'pending'),
      expanded('batch.workers_created', 'split', ['process_001', 'process_002', 'aggregate'], {
        workerTemplate: 'process',
        batchIds: ['001', '002'],
      }),
      change('split', 'complete', 1),
      change('ship_express', 'pending'),
      expanded('decision.branches_created', 'route', ['ship_express']),
      change('route', 'complete', 1),
      change('process_001', 'in_progress', 1),
    ])
      view.apply(e);
    const lines = view.render(new Date(5000));
    expect(shape(lines)).toEqual([
      [2, 'start', 'complete'],
      [2, 'split', 'complete'],
      [4, 'process_001', 'in_progress'],
      [4, 'process_002', 'pending'],
      [4, 'aggregate', 'pending'],
      [2, 'route', 'complete'],
      [4, 'ship_express', 'pending'],
    ]);
    // A worker takes its template's dependencies and attempts; columns stay aligned under indentation.
    expect(lines[3]).toMatch(/▶ process_001 +in_progress +attempt 1\/2 .* ← split$/);
    expect(lines[5]).toMatch(/· aggregate +pending +attempt 0\/1 +← process$/);
    expect(lines[3]!.indexOf('in_progress')).toBe(lines[1]!.indexOf('complete'));
  });

  it('nests expansions of created steps, shows an outcome that created nothing, and reads creators from steps', () => {
    const summary = {
      ...dynamicSummary,
      steps: [
        { name: 'start', state: 'complete', attempts: 1, maxAttempts: 1, completedAt: new Date(1) },
        { name: 'route', state: 'complete', attempts: 1, maxAttempts: 1, completedAt: new Date(2) },
        { name: 'ship_express', state: 'in_progress', attempts: 1, maxAttempts: 1, completedAt: null },
        { name: 'split', state: 'complete', attempts: 1, maxAttempts: 1, completedAt: new Date(3) },
      ],
    } as unknown as TaskSummary;
    const view = new WatchView(summary, [
      { name: 'ship_express', createdByStepName: 'route', batch: null },
      { name: 'route', createdByStepName: null, batch: null },
    ]);
    view.apply(expanded('batch.workers_created', 'split', [], { outcomeType: 'no_batches' }));
    view.apply(change('nested', 'pending'));
    view.apply(expanded('decision.branches_created', 'ship_express', ['nested']));
    const lines = view.render(new Date(9000));
    expect(shape(lines)).toEqual([
      [2, 'start', 'complete'],
      [2, 'route', 'complete'],
      [4, 'ship_express', 'in_progress'],
      [6, 'nested', 'pending'],
      [2, 'split', 'complete'],
    ]);
    expect(lines[5]).toMatch(/\(no_batches\)$/);
  });

  it('prints an expansion as one plain line', () => {
    expect(
      eventLine({
        ...expanded('batch.workers_created', 'split', ['w_001', 'w_002'], { batchIds: ['001', '002'] }),
        eventId: 9,
        occurredAt: new Date(0),
      }),
    ).toBe('1970-01-01T00:00:00.000Z  #9  batch.workers_created  split  → w_001, w_002  batches 001, 002');
    expect(
      eventLine({
        ...expanded('decision.branches_created', 'route', [], { outcomeType: 'no_branches' }),
        eventId: 10,
        occurredAt: new Date(0),
      }),
    ).toBe('1970-01-01T00:00:00.000Z  #10  decision.branches_created  route  → none (no_branches)');
  });
});

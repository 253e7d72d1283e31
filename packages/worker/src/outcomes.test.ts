import { makeClaimedStep } from '@tasker/shared/testing/builders';
import { describe, expect, it } from 'vitest';
import { PermanentError } from './errors.js';
import { batchCursor, createBatches, decisionOutcome, noBatches, noBranches } from './outcomes.js';
import { buildStepContext } from './run-step.js';
import { silentLogger } from './logger.js';

function workerContext(initialization: Record<string, never> | object) {
  const step = makeClaimedStep({
    stepName: 'rollup_chunk_003',
    handler: { callable: 'Catalog.RollupChunk', method: null, initialization: initialization as never },
  });
  return buildStepContext(step, new AbortController().signal, silentLogger);
}

function refusal(fn: () => unknown): PermanentError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PermanentError) return err;
    throw err;
  }
  throw new Error('expected a PermanentError');
}

describe('decision outcomes', () => {
  it('builds create_steps with the extra result keys beside it', () => {
    expect(decisionOutcome(['lead_signoff', 'controller_signoff'], { route: 'dual', amount: 7200 })).toEqual({
      route: 'dual',
      amount: 7200,
      decision_point_outcome: { type: 'create_steps', step_names: ['lead_signoff', 'controller_signoff'] },
    });
    expect(noBranches({ reason: 'nothing_to_do' })).toEqual({
      reason: 'nothing_to_do',
      decision_point_outcome: { type: 'no_branches' },
    });
    expect(noBranches()).toEqual({ decision_point_outcome: { type: 'no_branches' } });
  });

  it('keeps the outcome key even when extra has one', () => {
    const built = decisionOutcome(['a'], { decision_point_outcome: 'overwritten' });
    expect(built['decision_point_outcome']).toEqual({ type: 'create_steps', step_names: ['a'] });
  });

  it('refuses an empty or repeated list as invalid_outcome', () => {
    expect(refusal(() => decisionOutcome([])).errorType).toBe('invalid_outcome');
    expect(refusal(() => decisionOutcome(['a', 'b', 'a'])).message).toContain('a twice');
  });
});

describe('batch outcomes', () => {
  const configs = [
    { batch_id: '001', start_cursor: 1, end_cursor: 201, batch_size: 200 },
    { batch_id: '002', start_cursor: 201, end_cursor: 401, batch_size: 200 },
  ];

  it('builds create_batches from cursor configs with worker_count', () => {
    expect(createBatches({ workerTemplateName: 'rollup_chunk', cursorConfigs: configs, extra: { rows: 400 } })).toEqual(
      {
        rows: 400,
        batch_processing_outcome: {
          type: 'create_batches',
          worker_template_name: 'rollup_chunk',
          worker_count: 2,
          cursor_configs: configs,
        },
      },
    );
  });

  it('leaves the ranges to the server generator with total_items, batch_size and max_workers', () => {
    expect(createBatches({ totalItems: 1000, batchSize: 200, maxWorkers: 5 })).toEqual({
      batch_processing_outcome: { type: 'create_batches', total_items: 1000, batch_size: 200, max_workers: 5 },
    });
    expect(createBatches({ totalItems: 0 })).toEqual({
      batch_processing_outcome: { type: 'create_batches', total_items: 0 },
    });
    expect(noBatches({ reason: 'empty file' })).toEqual({
      reason: 'empty file',
      batch_processing_outcome: { type: 'no_batches' },
    });
  });

  it('refuses what the engine would refuse', () => {
    const bad: [string, () => unknown][] = [
      ['at least one cursor config', () => createBatches({ cursorConfigs: [] })],
      [
        'repeat batch_id 001',
        () => createBatches({ cursorConfigs: [configs[0]!, { ...configs[1]!, batch_id: '001' }] }),
      ],
      ['batch_id must be', () => createBatches({ cursorConfigs: [{ ...configs[0]!, batch_id: 'a b' }] })],
      ['[5, 5) is empty', () => createBatches({ cursorConfigs: [{ ...configs[0]!, start_cursor: 5, end_cursor: 5 }] })],
      ['[9, 3) is empty', () => createBatches({ cursorConfigs: [{ ...configs[0]!, start_cursor: 9, end_cursor: 3 }] })],
      [
        '[-1, 3) is empty',
        () => createBatches({ cursorConfigs: [{ ...configs[0]!, start_cursor: -1, end_cursor: 3 }] }),
      ],
      ['batch_size must be', () => createBatches({ cursorConfigs: [{ ...configs[0]!, batch_size: 1.5 }] })],
      ['totalItems must be', () => createBatches({ totalItems: -1 })],
      ['batchSize must be', () => createBatches({ totalItems: 10, batchSize: 0 })],
      ['maxWorkers must be', () => createBatches({ totalItems: 10, maxWorkers: 0 })],
    ];
    for (const [message, fn] of bad) {
      const err = refusal(fn);
      expect(err.message, message).toContain(message);
      expect(err.errorType).toBe('invalid_outcome');
    }
  });

  it('accepts non-numeric cursors (timestamps, ids) without range checks', () => {
    const built = createBatches({
      cursorConfigs: [{ batch_id: 'jan', start_cursor: '2026-01-01', end_cursor: '2026-02-01', batch_size: 0 }],
    });
    expect(built['batch_processing_outcome']).toMatchObject({ worker_count: 1 });
  });
});

describe('batchCursor', () => {
  it("reads a worker's range and metadata from its configuration", () => {
    const ctx = workerContext({
      metric: 'inventory_value',
      cursor: { batch_id: '003', start_cursor: 401, end_cursor: 601, batch_size: 200 },
      batch_metadata: { cursor_field: 'row_number', failure_strategy: 'fail_fast' },
      is_no_op: false,
      __template_step_name: 'rollup_chunk',
    });
    expect(batchCursor(ctx)).toEqual({
      cursor: { batch_id: '003', start_cursor: 401, end_cursor: 601, batch_size: 200 },
      batchMetadata: { cursorField: 'row_number', failureStrategy: 'fail_fast' },
      isNoOp: false,
      workerTemplate: 'rollup_chunk',
    });
  });

  it('reads the no-op worker of no_batches', () => {
    const inputs = batchCursor(
      workerContext({
        cursor: { batch_id: '000', start_cursor: 0, end_cursor: 0, batch_size: 0 },
        batch_metadata: { cursor_field: 'id', failure_strategy: 'continue_on_failure' },
        is_no_op: true,
        __template_step_name: 'rollup_chunk',
      }),
    );
    expect(inputs).toMatchObject({ isNoOp: true, cursor: { batch_id: '000', end_cursor: 0 } });
  });

  it('refuses a step that is not a batch worker', () => {
    const err = refusal(() => batchCursor(workerContext({ region: 'eu' })));
    expect(err).toMatchObject({ errorType: 'not_a_batch_worker' });
    expect(err.message).toContain('rollup_chunk_003');
  });
});

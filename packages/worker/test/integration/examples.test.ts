// The example templates and handlers as shipped: every template is valid and covered by a handler, and the
// handlers compute what the templates' descriptions promise (no database involved).
import { makeClaimedStep } from '@tasker/shared/testing/builders';
import { describe, expect, it } from 'vitest';
import { handlers } from '../../../../examples/handlers/index.js';
import {
  PermanentError,
  RetryableError,
  StepAbortError,
  prepareTemplates,
  readTemplatesDir,
  silentLogger,
} from '../../src/index.js';
import { buildStepContext } from '../../src/run-step.js';
import { REPO_ROOT } from './helpers/processes.js';

function context(overrides: Parameters<typeof makeClaimedStep>[0], signal = new AbortController().signal) {
  return buildStepContext(makeClaimedStep(overrides), signal, silentLogger);
}

describe('examples', () => {
  it('load with the example handlers: ten templates, namespaces within the 29-character limit', async () => {
    const loaded = prepareTemplates(await readTemplatesDir(`${REPO_ROOT}/examples/templates`), Object.keys(handlers));
    expect(loaded.map((t) => `${t.definition.namespace}/${t.definition.name}`).sort()).toEqual([
      'catalog_batch/sku_inventory_rollup',
      'dag_workflow/complex_dag',
      'diamond_workflow/parallel_computation',
      'failure_demo/rejected_order',
      'finance_approvals/expense_routing',
      'linear_workflow/mathematical_sequence',
      'pipeline_demo/pipeline_choice',
      'retry_demo/flaky_service',
      'schema_demo/checked_results',
      'tree_workflow/hierarchical_tree',
    ]);
    expect(loaded.map((t) => t.definition.steps.length).sort((a, b) => a - b)).toEqual([2, 2, 2, 3, 4, 4, 6, 7, 8, 9]);
    const dynamic = ['catalog_batch', 'finance_approvals', 'pipeline_demo'];
    for (const t of loaded.filter((x) => !dynamic.includes(x.definition.namespace)))
      expect(t.definition.inputSchema).toMatchObject({ required: ['even_number'] });
  });

  it('square the input or a parent, and multiply parents, exactly', async () => {
    const square = handlers['math.square']!;
    const multiply = handlers['math.multiply']!;
    expect(
      await square(
        context({
          context: { even_number: 6 },
          handler: { callable: 'math.square', method: null, initialization: { source: 'input' } },
        }),
      ),
    ).toMatchObject({ value: '36' });
    const big = String(6n ** 16n);
    expect(
      await square(
        context({
          parentResults: { prev: { value: big } },
          handler: { callable: 'math.square', method: null, initialization: { source: 'prev' } },
        }),
      ),
    ).toMatchObject({ value: String(6n ** 32n) });
    expect(
      await multiply(
        context({
          parentResults: { a: { value: '3' }, b: { value: '5' } },
          handler: { callable: 'math.multiply', method: null, initialization: { factors: ['a', 'b'] } },
        }),
      ),
    ).toMatchObject({ value: '15' });
    await expect(
      square(
        context({
          context: { even_number: 3 },
          handler: { callable: 'math.square', method: null, initialization: { source: 'input' } },
        }),
      ),
    ).rejects.toBeInstanceOf(PermanentError);
  });

  it('fail on purpose: flaky until its third attempt, reject always', async () => {
    const flaky = handlers['demo.flaky']!;
    const step = (attempt: number) =>
      context({
        attempt,
        context: { even_number: 4 },
        handler: { callable: 'demo.flaky', method: null, initialization: { succeed_on_attempt: 3 } },
      });
    await expect(flaky(step(1))).rejects.toBeInstanceOf(RetryableError);
    await expect(flaky(step(2))).rejects.toBeInstanceOf(RetryableError);
    expect(await flaky(step(3))).toMatchObject({ value: '4', attempts: '3' });
    await expect(
      handlers['demo.reject']!(context({ handler: { callable: 'demo.reject', method: null, initialization: {} } })),
    ).rejects.toBeInstanceOf(PermanentError);
  });

  it('route an expense by amount: instant below 1000, the lead below 5000, both signoffs above', async () => {
    const route = handlers['expense.route']!;
    const decide = async (amount: number) =>
      route(
        context({
          parentResults: { check_expense: { amount, submitter: 'ann' } },
          handler: { callable: 'expense.route', method: null, initialization: { low: 1000, high: 5000 } },
        }),
      );
    expect(await decide(500)).toEqual({
      route: 'instant',
      amount: 500,
      decision_point_outcome: { type: 'create_steps', step_names: ['instant_ok'] },
    });
    expect(await decide(1000)).toMatchObject({ decision_point_outcome: { step_names: ['lead_signoff'] } });
    expect(await decide(7200)).toMatchObject({
      route: 'dual',
      decision_point_outcome: { step_names: ['lead_signoff', 'controller_signoff'] },
    });
  });

  it('cut the 1000-row CSV into five ranges of 200 rows, value one, and none for an empty file', async () => {
    const scan = (rows: number) =>
      handlers['catalog.scan_file']!(
        context({
          context: { rows },
          handler: {
            callable: 'catalog.scan_file',
            method: null,
            initialization: { batch_size: 200, max_workers: 5, worker_template_name: 'rollup_chunk' },
          },
        }),
      );
    const outcome = (await scan(1000)) as { batch_processing_outcome: { cursor_configs: unknown[] } };
    expect(outcome).toMatchObject({
      total_rows: 1000,
      batch_processing_outcome: { type: 'create_batches', worker_template_name: 'rollup_chunk', worker_count: 5 },
    });
    expect(outcome.batch_processing_outcome.cursor_configs[2]).toEqual({
      batch_id: '003',
      start_cursor: 401,
      end_cursor: 601,
      batch_size: 200,
    });
    expect(await scan(0)).toEqual({ total_rows: 0, batch_processing_outcome: { type: 'no_batches' } });
    const chunk = await handlers['catalog.rollup_chunk']!(
      context({
        handler: {
          callable: 'catalog.rollup_chunk',
          method: null,
          initialization: {
            cursor: { batch_id: '001', start_cursor: 1, end_cursor: 3, batch_size: 2 },
            batch_metadata: { cursor_field: 'row_number', failure_strategy: 'fail_fast' },
            is_no_op: false,
            __template_step_name: 'rollup_chunk',
          },
        },
      }),
    );
    // Row 1: quantity 2 × 125 cents; row 2: quantity 3 × 150 cents.
    expect(chunk).toEqual({ batch_id: '001', rows: 2, inventory_value_cents: 700 });
  });

  it('stop waiting for delay_ms when the step is aborted', async () => {
    const controller = new AbortController();
    const run = handlers['math.square']!(
      context(
        {
          context: { even_number: 2, delay_ms: 60_000 },
          handler: { callable: 'math.square', method: null, initialization: { source: 'input' } },
        },
        controller.signal,
      ),
    );
    controller.abort(new StepAbortError('cancelled', 'cancelled'));
    await expect(run).rejects.toBeInstanceOf(StepAbortError);
  });
});

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
  it('load with the example handlers: seven templates, namespaces within the 29-character limit', async () => {
    const loaded = prepareTemplates(await readTemplatesDir(`${REPO_ROOT}/examples/templates`), Object.keys(handlers));
    expect(loaded.map((t) => `${t.definition.namespace}/${t.definition.name}`).sort()).toEqual([
      'dag_workflow/complex_dag',
      'diamond_workflow/parallel_computation',
      'failure_demo/rejected_order',
      'linear_workflow/mathematical_sequence',
      'retry_demo/flaky_service',
      'schema_demo/checked_results',
      'tree_workflow/hierarchical_tree',
    ]);
    expect(loaded.map((t) => t.definition.steps.length).sort()).toEqual([2, 2, 2, 4, 4, 7, 8]);
    for (const t of loaded) expect(t.definition.inputSchema).toMatchObject({ required: ['even_number'] });
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

import { describe, expect, it } from 'vitest';
import { findDependencyCycle, topologicalOrder } from './template-graph.js';
import { parseTemplate, REFERENCE_TEMPLATE_DEFAULTS } from './template-parse.js';
import { checkAgainstSchema, compileJsonSchema } from './template-schema.js';

const LINEAR_YAML = `
name: invoice_settlement
namespace_name: billing
version: 1.0.0
input_schema: {type: object, required: [invoice_id]}
lifecycle: {max_steps_in_process_minutes: 45}
steps:
  - {name: load_invoice, handler: {callable: Billing.LoadInvoice}, dependencies: []}
  - {name: compute_tax, handler: {callable: Billing.ComputeTax, initialization: {region: eu}}, depends_on: [load_invoice]}
  - {name: charge_card, step_type: standard, handler: {callable: Billing.ChargeCard}, dependencies: [compute_tax],
     retry: {retryable: false, max_attempts: 1}}
  - {name: send_receipt, handler: {callable: Billing.SendReceipt}, dependencies: [charge_card],
     retry: {backoff: linear, backoff_base_ms: 200, max_backoff_ms: 1000, jitter: 0}, timeout_seconds: 30}
`;

function problemsOf(raw: unknown): { path: string; message: string }[] {
  const result = parseTemplate(raw);
  if (result.ok) throw new Error('expected problems');
  return result.errors;
}

describe('parseTemplate', () => {
  it('parses the reference format from YAML text, resolving aliases and applying defaults', () => {
    const result = parseTemplate(LINEAR_YAML);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const d = result.definition;
    expect(d).toMatchObject({
      namespace: 'billing',
      name: 'invoice_settlement',
      version: '1.0.0',
      identityStrategy: 'strict',
    });
    expect(d.lifecycle?.maxStepsInProcessMinutes).toBe(45);
    expect(d.steps.map((s) => s.name)).toEqual(['load_invoice', 'compute_tax', 'charge_card', 'send_receipt']);
    expect(d.steps[1]?.dependencies).toEqual(['load_invoice']);
    expect(d.steps[1]?.handler.initialization).toEqual({ region: 'eu' });
    expect(d.steps[0]?.retry).toEqual({
      retryable: true,
      maxAttempts: 3,
      backoff: 'exponential',
      backoffBaseMs: REFERENCE_TEMPLATE_DEFAULTS.backoffBaseMs,
      maxBackoffMs: REFERENCE_TEMPLATE_DEFAULTS.maxBackoffMs,
      jitter: 0.15,
    });
    expect(d.steps[2]?.retry).toMatchObject({ retryable: false, maxAttempts: 1 });
    expect(d.steps[3]?.retry).toEqual({
      retryable: true,
      maxAttempts: 3,
      backoff: 'linear',
      backoffBaseMs: 200,
      maxBackoffMs: 1000,
      jitter: 0,
    });
    expect(d.steps[3]?.timeoutSeconds).toBe(30);
    expect(result.configuration['namespace_name']).toBe('billing');
  });

  it('accepts `namespace` instead of `namespace_name` and an object instead of text', () => {
    const result = parseTemplate({
      name: 'x',
      namespace: 'ns',
      version: '2',
      steps: [{ name: 'a', handler: { callable: 'A' } }],
    });
    expect(result.ok).toBe(true);
  });

  it('applies caller defaults to keys the template leaves out only', () => {
    const result = parseTemplate(LINEAR_YAML, { defaults: { backoffBaseMs: 50, maxBackoffMs: 10_000 } });
    if (!result.ok) throw new Error('invalid');
    expect(result.definition.steps[0]?.retry).toMatchObject({ backoffBaseMs: 50, maxBackoffMs: 10_000 });
    expect(result.definition.steps[3]?.retry).toMatchObject({ backoffBaseMs: 200, maxBackoffMs: 1000 });
  });

  it('merges environment overrides by step name', () => {
    const raw = {
      name: 'x',
      namespace_name: 'ns',
      version: '1.0.0',
      steps: [{ name: 'a', handler: { callable: 'A', initialization: { v: 1 } } }],
      environments: { test: { steps: [{ name: 'a', timeout_seconds: 5, handler: { initialization: { v: 2 } } }] } },
    };
    const result = parseTemplate(raw, { environment: 'test' });
    if (!result.ok) throw new Error('invalid');
    expect(result.definition.steps[0]).toMatchObject({
      timeoutSeconds: 5,
      handler: { callable: 'A', initialization: { v: 2 } },
    });
  });

  it('reports every problem at once with its path', () => {
    const errors = problemsOf({
      name: 'bad name!',
      namespace_name: 'way_too_long_namespace_name_over_29',
      version: 'v1',
      input_schema: { type: 'objekt' },
      steps: [
        {
          name: 'a',
          handler: { callable: 'A' },
          retry: { max_attempts: 101, backoff: 'random', backoff_base_ms: 500, max_backoff_ms: 100 },
        },
        { name: 'a', handler: {}, dependencies: ['missing', 'a'], timeout_seconds: 0 },
        { name: 'c', type: 'decision', handler: { callable: 'C' } },
      ],
    });
    const paths = errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'name',
        'namespace_name',
        'version',
        'input_schema',
        'steps[0].retry.max_attempts',
        'steps[0].retry.backoff',
        'steps[0].retry.max_backoff_ms',
        'steps[1].handler.callable',
        'steps[1].timeout_seconds',
        'steps[1].name',
        'steps[1].dependencies[0]',
        'steps[2].dependencies',
      ]),
    );
    expect(errors.find((e) => e.path === 'steps[1].dependencies[0]')?.message).toMatch(/unknown step 'missing'/);
  });

  it('refuses a result_schema that does not compile, naming the step, and keeps one that does', () => {
    const raw = (schema: unknown) => ({
      name: 'x',
      namespace_name: 'ns',
      version: '1.0.0',
      steps: [
        { name: 'a', handler: { callable: 'A' } },
        { name: 'b', handler: { callable: 'B' }, result_schema: schema },
      ],
    });
    const errors = problemsOf(raw({ type: 'object', required: 'total' }));
    expect(errors).toEqual([
      { path: 'steps[1].result_schema', message: expect.stringMatching(/^is not a valid JSON Schema: .*required/) },
    ]);
    expect(problemsOf(raw('not a schema'))).toEqual([{ path: 'steps[1].result_schema', message: 'must be an object' }]);
    const ok = parseTemplate(raw({ type: 'object', required: ['total'] }));
    if (!ok.ok) throw new Error('invalid');
    expect(ok.definition.steps.map((s) => s.resultSchema)).toEqual([null, { type: 'object', required: ['total'] }]);
  });

  it('reports a cycle with its path', () => {
    const errors = problemsOf({
      name: 'cyc',
      namespace_name: 'ns',
      version: '1.0.0',
      steps: [
        { name: 'a', handler: { callable: 'A' } },
        { name: 'b', handler: { callable: 'B' }, dependencies: ['a', 'd'] },
        { name: 'c', handler: { callable: 'C' }, dependencies: ['b'] },
        { name: 'd', handler: { callable: 'D' }, dependencies: ['c'] },
      ],
    });
    expect(errors).toEqual([{ path: 'steps', message: expect.stringMatching(/b -> d -> c -> b/) }]);
  });

  it('rejects non-objects, bad YAML and empty step lists', () => {
    expect(problemsOf('name: [unclosed')[0]?.message).toMatch(/not valid YAML/);
    expect(problemsOf(42)[0]?.path).toBe('');
    expect(problemsOf({ name: 'x', namespace_name: 'n', version: '1', steps: [] }).map((e) => e.path)).toEqual([
      'steps',
    ]);
  });
});

describe('template graph', () => {
  it('finds no cycle in a diamond and orders it topologically', () => {
    const nodes = [
      { name: 'd', dependencies: ['b', 'c'] },
      { name: 'b', dependencies: ['a'] },
      { name: 'c', dependencies: ['a'] },
      { name: 'a', dependencies: [] },
    ];
    expect(findDependencyCycle(nodes)).toBeNull();
    expect(topologicalOrder(nodes)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('finds a self-loop and a long cycle', () => {
    expect(findDependencyCycle([{ name: 'a', dependencies: ['a'] }])).toEqual(['a', 'a']);
    const chain = Array.from({ length: 5000 }, (_, i) => ({ name: `s${i}`, dependencies: [`s${(i + 1) % 5000}`] }));
    expect(findDependencyCycle(chain)).toHaveLength(5001);
  });
});

describe('template JSON Schema', () => {
  it('compiles schemas with formats and names failing context fields', () => {
    const compiled = compileJsonSchema({
      type: 'object',
      required: ['invoice_id'],
      properties: {
        email: { type: 'string', format: 'email' },
        items: { type: 'array', items: { type: 'object', required: ['sku'] } },
      },
    });
    if (!compiled.ok) throw new Error(compiled.message);
    expect(checkAgainstSchema(compiled.validate, { invoice_id: 1 }, 'context')).toEqual([]);
    const problems = checkAgainstSchema(compiled.validate, { email: 'nope', items: [{}] }, 'context');
    expect(problems.map((p) => p.path).sort()).toEqual(['context.email', 'context.invoice_id', 'context.items[0].sku']);
  });

  it('refuses schemas that do not compile', () => {
    expect(compileJsonSchema({ type: 12 }).ok).toBe(false);
    expect(compileJsonSchema([]).ok).toBe(false);
  });
});

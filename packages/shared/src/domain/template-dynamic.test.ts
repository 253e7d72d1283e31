// Every registration rule of dynamic steps (template-dynamic.ts, and the batch_config / type rules of
// template-step.ts): each broken alone gives exactly one problem, with its path; a valid template of each
// shape is accepted, and the graph helpers say which steps exist when and what each decision may create.
import { describe, expect, it } from 'vitest';
import type { JsonObject } from './json.js';
import {
  decisionSegment,
  defaultWorkerTemplate,
  hasDynamicSteps,
  initialStepNames,
  type DynamicNode,
} from './template-dynamic.js';
import { parseTemplate } from './template-parse.js';
import type { TemplateDefinition } from './template.js';

type RawStep = JsonObject & { name: string };

const h = (callable: string, initialization: JsonObject = {}) => ({ callable, initialization });

/** expense routing (the reference's §6a): a decision, three candidate branches, a convergence step. */
const DECISION: RawStep[] = [
  { name: 'check', handler: h('C'), dependencies: [] },
  { name: 'route', type: 'decision', handler: h('R'), dependencies: ['check'] },
  { name: 'instant', handler: h('I'), dependencies: ['route'] },
  { name: 'lead', handler: h('L'), dependencies: ['route'] },
  { name: 'controller', handler: h('K'), dependencies: ['route'] },
  { name: 'record', type: 'deferred_convergence', handler: h('Rec'), dependencies: ['instant', 'lead', 'controller'] },
];

/** analyzer → worker template → aggregator (§6b). */
const BATCH: RawStep[] = [
  { name: 'scan', type: 'batchable', handler: h('S', { worker_template_name: 'chunk' }), dependencies: [] },
  {
    name: 'chunk',
    type: 'batch_worker',
    handler: h('W'),
    dependencies: ['scan'],
    batch_config: { worker_template: 'chunk', parallelism: 5, batch_size: 200, failure_strategy: 'isolate' },
  },
  { name: 'merge', type: 'deferred_convergence', handler: h('M'), dependencies: ['chunk'] },
];

/** One batch pipeline under the decision `pick`: `{p}_scan` → `{p}_chunk` → `{p}_merge`. */
function pipeline(p: string): RawStep[] {
  return [
    { name: `${p}_scan`, type: 'batchable', handler: h(`${p}.Scan`), dependencies: ['pick'] },
    {
      name: `${p}_chunk`,
      type: 'batch_worker',
      handler: h(`${p}.Chunk`),
      dependencies: [`${p}_scan`],
      batch_config: { worker_template: `${p}_chunk` },
    },
    { name: `${p}_merge`, type: 'deferred_convergence', handler: h(`${p}.Merge`), dependencies: [`${p}_chunk`] },
  ];
}

/** A decision choosing a batch pipeline (§6c), with a convergence over both aggregators. */
const DECISION_BATCH: RawStep[] = [
  { name: 'start', handler: h('S'), dependencies: [] },
  { name: 'pick', type: 'decision', handler: h('P'), dependencies: ['start'] },
  ...pipeline('a'),
  ...pipeline('b'),
  { name: 'publish', type: 'deferred_convergence', handler: h('Pub'), dependencies: ['a_merge', 'b_merge'] },
];

/** A branch holding a decision of its own, and a convergence step with a static parent too. */
const NESTED: RawStep[] = [
  { name: 'start', handler: h('S'), dependencies: [] },
  { name: 'side', handler: h('Side'), dependencies: ['start'] },
  { name: 'outer', type: 'decision', handler: h('O'), dependencies: ['start'] },
  { name: 'left', handler: h('L'), dependencies: ['outer'] },
  { name: 'inner', type: 'decision', handler: h('In'), dependencies: ['left'] },
  { name: 'deep', handler: h('D'), dependencies: ['inner'] },
  { name: 'right', handler: h('R'), dependencies: ['outer'] },
  { name: 'join', type: 'deferred_convergence', handler: h('J'), dependencies: ['side', 'deep', 'right'] },
];

function template(steps: RawStep[]): JsonObject {
  return { name: 'dyn', namespace_name: 'dyn', version: '1.0.0', steps };
}

function accepted(steps: RawStep[]): TemplateDefinition {
  const result = parseTemplate(template(steps));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.definition;
}

function problems(steps: RawStep[]): { path: string; message: string }[] {
  const result = parseTemplate(template(steps));
  if (result.ok) throw new Error('expected problems');
  return result.errors;
}

/** A copy of `steps` with the step `name` changed by `edit` (which may delete keys). */
function edited(steps: RawStep[], name: string, edit: (s: RawStep) => void): RawStep[] {
  return steps.map((s) => {
    const copy = structuredClone(s);
    if (s.name === name) edit(copy);
    return copy;
  });
}

/** A rule broken alone: the template, and the one problem it must give. */
interface RuleCase {
  rule: string;
  steps: RawStep[];
  path: string;
  message: string;
}

function itReportsOnlyItsProblem(cases: readonly RuleCase[]): void {
  for (const c of cases) {
    it(c.rule, () => {
      expect(problems(c.steps)).toEqual([{ path: c.path, message: c.message }]);
    });
  }
}

const nodes = (d: TemplateDefinition): DynamicNode[] =>
  d.steps.map((s) => ({ name: s.name, type: s.type, dependencies: s.dependencies }));

describe('valid dynamic templates', () => {
  it('accepts a decision with candidate branches and a convergence step', () => {
    const d = accepted(DECISION);
    expect(d.steps.map((s) => s.type)).toEqual([
      'standard',
      'decision',
      'standard',
      'standard',
      'standard',
      'deferred_convergence',
    ]);
    expect(initialStepNames(nodes(d))).toEqual(['check', 'route']);
    expect(decisionSegment(nodes(d), 'route')).toEqual(['instant', 'lead', 'controller']);
    expect(hasDynamicSteps(d.steps)).toBe(true);
  });

  it('accepts a batch with its batch_config defaults applied, and the step_type / depends_on aliases', () => {
    const d = accepted(
      edited(BATCH, 'merge', (s) => {
        delete s['type'];
        delete s['dependencies'];
        s['step_type'] = 'deferred_convergence';
        s['depends_on'] = ['chunk'];
      }),
    );
    expect(d.steps[1]?.batchConfig).toEqual({
      batchSize: 200,
      parallelism: 5,
      cursorField: 'id',
      workerTemplate: 'chunk',
      failureStrategy: 'isolate',
    });
    expect(d.steps[2]).toMatchObject({ type: 'deferred_convergence', dependencies: ['chunk'] });
    expect(d.steps[0]?.batchConfig).toBeUndefined();
    expect(initialStepNames(nodes(d))).toEqual(['scan']);
    expect(defaultWorkerTemplate(d.steps[0]!, nodes(d))).toBe('chunk');

    const minimal = accepted(edited(BATCH, 'chunk', (s) => (s['batch_config'] = { worker_template: 'chunk' })));
    expect(minimal.steps[1]?.batchConfig).toEqual({
      batchSize: 1000,
      parallelism: 10,
      cursorField: 'id',
      workerTemplate: 'chunk',
      failureStrategy: 'continue_on_failure',
    });
  });

  it('accepts a decision choosing a batch pipeline: the analyzers are branches, workers and aggregators are not', () => {
    const d = accepted(DECISION_BATCH);
    expect(initialStepNames(nodes(d))).toEqual(['start', 'pick']);
    expect(decisionSegment(nodes(d), 'pick')).toEqual(['a_scan', 'b_scan']);
    // Without worker_template_name the batchable's only batch_worker is the default.
    expect(defaultWorkerTemplate(d.steps[2]!, nodes(d))).toBe('a_chunk');
  });

  it('accepts nested decisions: the inner decision is a branch of the outer, its branches are its own', () => {
    const d = accepted(NESTED);
    expect(initialStepNames(nodes(d))).toEqual(['start', 'side', 'outer', 'join']);
    expect(decisionSegment(nodes(d), 'outer')).toEqual(['left', 'inner', 'right']);
    expect(decisionSegment(nodes(d), 'inner')).toEqual(['deep']);
  });

  it('treats a template without dynamic steps as before: every step exists at once', () => {
    const d = accepted([
      { name: 'a', handler: h('A'), dependencies: [] },
      { name: 'b', handler: h('B'), dependencies: ['a'] },
    ]);
    expect(hasDynamicSteps(d.steps)).toBe(false);
    expect(initialStepNames(nodes(d))).toEqual(['a', 'b']);
  });
});

describe('each dynamic rule broken alone gives one problem with its path', () => {
  const cases: RuleCase[] = [
    {
      rule: 'a decision without dependencies',
      steps: edited(DECISION, 'route', (s) => (s['dependencies'] = [])),
      path: 'steps[1].dependencies',
      message: 'a decision step needs at least one dependency',
    },
    {
      rule: 'a deferred_convergence without dependencies',
      steps: [...DECISION, { name: 'lonely', type: 'deferred_convergence', handler: h('X'), dependencies: [] }],
      path: 'steps[6].dependencies',
      message: 'a deferred_convergence step needs at least one dependency',
    },
    {
      rule: "a batch_worker whose dependency isn't a batchable",
      steps: [
        { name: 'plain', handler: h('P'), dependencies: [] },
        ...edited(BATCH, 'chunk', (s) => (s['dependencies'] = ['plain'])).map((s) =>
          s.name === 'scan' ? { ...s, handler: h('S') } : s,
        ),
        {
          name: 'other',
          type: 'batch_worker',
          handler: h('O'),
          dependencies: ['scan'],
          batch_config: { worker_template: 'other' },
        },
      ],
      path: 'steps[2].dependencies',
      message: 'a batch_worker step depends on exactly one step, its batchable step',
    },
    {
      rule: 'a batch_worker with two dependencies',
      steps: [
        { name: 'plain', handler: h('P'), dependencies: [] },
        ...edited(BATCH, 'chunk', (s) => (s['dependencies'] = ['scan', 'plain'])),
      ],
      path: 'steps[2].dependencies',
      message: 'a batch_worker step depends on exactly one step, its batchable step',
    },
    {
      rule: "a batchable naming a worker_template_name that doesn't exist",
      steps: edited(BATCH, 'scan', (s) => (s['handler'] = h('S', { worker_template_name: 'missing' }))),
      path: 'steps[0].handler.initialization.worker_template_name',
      message: "must name a batch_worker step that depends on 'scan'",
    },
    {
      rule: 'a batchable naming a worker_template_name that is not a string',
      steps: edited(BATCH, 'scan', (s) => (s['handler'] = h('S', { worker_template_name: 7 }))),
      path: 'steps[0].handler.initialization.worker_template_name',
      message: "must name a batch_worker step that depends on 'scan'",
    },
    {
      rule: 'a batchable without a batch_worker',
      steps: [...BATCH, { name: 'lone_scan', type: 'batchable', handler: h('LS'), dependencies: [] }],
      path: 'steps[3].type',
      message: "batchable step 'lone_scan' has no batch_worker step depending on it",
    },
    {
      rule: 'a standard step depending on a batch_worker template',
      steps: [...BATCH, { name: 'after', handler: h('A'), dependencies: ['scan', 'chunk'] }],
      path: 'steps[3].dependencies[1]',
      message: "'chunk' is a batch_worker template: only a deferred_convergence step may depend on it",
    },
    {
      rule: 'a standard step depending on branches of two decisions',
      steps: [
        { name: 'start', handler: h('S'), dependencies: [] },
        { name: 'd1', type: 'decision', handler: h('D1'), dependencies: ['start'] },
        { name: 'd2', type: 'decision', handler: h('D2'), dependencies: ['start'] },
        { name: 'x', handler: h('X'), dependencies: ['d1'] },
        { name: 'y', handler: h('Y'), dependencies: ['d2'] },
        { name: 'both', handler: h('B'), dependencies: ['x', 'y'] },
      ],
      path: 'steps[5].dependencies',
      message: "depends on branches of decisions 'd1' and 'd2': only a deferred_convergence step may",
    },
    {
      rule: 'a cycle through a decision and its branch',
      steps: edited(DECISION, 'route', (s) => (s['dependencies'] = ['check', 'instant'])),
      path: 'steps',
      message: 'dependency cycle (each step depends on the next): route -> instant -> route',
    },
  ];

  itReportsOnlyItsProblem(cases);
});

describe('each step-type and batch_config rule broken alone gives one problem with its path', () => {
  const withBatchConfig = (config: JsonObject | string | null) =>
    edited(BATCH, 'chunk', (s) => {
      if (config === null) delete s['batch_config'];
      else s['batch_config'] = config;
    });
  const cases: RuleCase[] = [
    ...['deferred', 'decision_point', 'Decision'].map((type) => ({
      rule: `the guide's spelling '${type}' is not a type`,
      steps: edited(DECISION, 'record', (s) => (s['type'] = type)),
      path: 'steps[5].type',
      message: 'must be one of standard, decision, deferred_convergence, batchable, batch_worker',
    })),
    {
      rule: 'type and step_type disagreeing',
      steps: edited(DECISION, 'route', (s) => (s['step_type'] = 'standard')),
      path: 'steps[1].step_type',
      message: 'conflicts with type; give only one of them',
    },
    {
      rule: 'a batch_worker without batch_config',
      steps: withBatchConfig(null),
      path: 'steps[1].batch_config',
      message: 'is required on a batch_worker step: an object with at least worker_template',
    },
    {
      rule: 'batch_config that is not an object',
      steps: withBatchConfig('chunk'),
      path: 'steps[1].batch_config',
      message: 'must be an object',
    },
    {
      rule: 'an unknown batch_config key',
      steps: withBatchConfig({ worker_template: 'chunk', checkpoint_interval: 100 }),
      path: 'steps[1].batch_config.checkpoint_interval',
      message:
        'is not a batch_config key (known: batch_size, parallelism, cursor_field, worker_template, failure_strategy)',
    },
    ...[{}, { worker_template: '' }, { worker_template: 'x'.repeat(256) }, { worker_template: 5 }].map((config) => ({
      rule: `worker_template missing or malformed (${JSON.stringify(config).slice(0, 30)})`,
      steps: withBatchConfig(config as JsonObject),
      path: 'steps[1].batch_config.worker_template',
      message: 'is required: the name of this batch_worker step (1-255 characters)',
    })),
    {
      rule: 'a worker_template naming another step',
      steps: withBatchConfig({ worker_template: 'scan' }),
      path: 'steps[1].batch_config.worker_template',
      message: "must name this batch_worker step ('chunk'), not 'scan'",
    },
    {
      rule: 'an unknown failure_strategy',
      steps: withBatchConfig({ worker_template: 'chunk', failure_strategy: 'IsolateFailed' }),
      path: 'steps[1].batch_config.failure_strategy',
      message: 'must be one of continue_on_failure, fail_fast, isolate',
    },
    ...[0, 100_001].map((size) => ({
      rule: `batch_size ${size} outside 1..100000`,
      steps: withBatchConfig({ worker_template: 'chunk', batch_size: size }),
      path: 'steps[1].batch_config.batch_size',
      message: 'must be between 1 and 100000',
    })),
    {
      rule: 'a batch_size that is not an integer',
      steps: withBatchConfig({ worker_template: 'chunk', batch_size: 2.5 }),
      path: 'steps[1].batch_config.batch_size',
      message: 'must be an integer',
    },
    ...[0, 1001].map((parallelism) => ({
      rule: `parallelism ${parallelism} outside 1..1000`,
      steps: withBatchConfig({ worker_template: 'chunk', parallelism }),
      path: 'steps[1].batch_config.parallelism',
      message: 'must be between 1 and 1000',
    })),
    {
      rule: 'a cursor_field that is not a string',
      steps: withBatchConfig({ worker_template: 'chunk', cursor_field: 3 }),
      path: 'steps[1].batch_config.cursor_field',
      message: 'must be a string',
    },
    {
      rule: 'a cursor_field longer than 255 characters',
      steps: withBatchConfig({ worker_template: 'chunk', cursor_field: 'c'.repeat(256) }),
      path: 'steps[1].batch_config.cursor_field',
      message: 'must be at most 255 characters',
    },
    {
      rule: 'batch_config on a batchable step',
      steps: edited(BATCH, 'scan', (s) => (s['batch_config'] = { worker_template: 'chunk' })),
      path: 'steps[0].batch_config',
      message: 'belongs on a batch_worker step (it configures that worker template)',
    },
  ];

  itReportsOnlyItsProblem(cases);

  it('reports every problem of a template at once', () => {
    const steps = edited(
      edited(DECISION, 'route', (s) => (s['dependencies'] = [])),
      'record',
      (s) => (s['type'] = 'deferred'),
    );
    expect(problems(steps).map((p) => p.path)).toEqual(['steps[5].type', 'steps[1].dependencies']);
  });
});

describe('the reference layout in YAML', () => {
  it('accepts a batch written with the step_type and depends_on aliases', () => {
    const yaml = `
name: sku_inventory_rollup
namespace_name: catalog_batch
version: 1.0.0
steps:
  - {name: scan_file, step_type: batchable, handler: {callable: C.Scan, initialization: {batch_size: 200, max_workers: 5, worker_template_name: rollup_chunk}}}
  - name: rollup_chunk
    step_type: batch_worker
    depends_on: [scan_file]
    handler: {callable: C.Rollup}
    batch_config: {batch_size: 200, parallelism: 5, cursor_field: row_number, worker_template: rollup_chunk, failure_strategy: fail_fast}
  - {name: merge_rollups, step_type: deferred_convergence, depends_on: [rollup_chunk], handler: {callable: C.Merge}}
`;
    const result = parseTemplate(yaml);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.definition.steps.map((s) => [s.type, s.dependencies])).toEqual([
      ['batchable', []],
      ['batch_worker', ['scan_file']],
      ['deferred_convergence', ['rollup_chunk']],
    ]);
    expect(result.definition.steps[1]?.batchConfig).toMatchObject({
      cursorField: 'row_number',
      failureStrategy: 'fail_fast',
    });
  });
});

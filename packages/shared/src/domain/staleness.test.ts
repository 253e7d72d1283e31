import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig, type Config } from '../config.js';
import { lifecycleContradictions, stalenessEffectOf, templateStalenessWarnings } from './staleness.js';
import { parseTemplate } from './template-parse.js';
import type { TemplateDefinition, TemplateLifecycle } from './template.js';

const BASE = { name: 't', namespace_name: 'ns', version: '1.0.0' };

function parse(
  extra: Record<string, unknown>,
  steps: Record<string, unknown>[] = [{ name: 'a', handler: { callable: 'A' } }],
  defaults?: Partial<{ maxBackoffMs: number }>,
) {
  return parseTemplate({ ...BASE, steps, ...extra }, defaults === undefined ? {} : { defaults });
}

function definition(
  extra: Record<string, unknown>,
  steps?: Record<string, unknown>[],
  defaults?: { maxBackoffMs: number },
): TemplateDefinition {
  const result = parse(extra, steps, defaults);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.definition;
}

const lifecycle = (l: Partial<TemplateLifecycle>): TemplateLifecycle => ({
  maxDurationMinutes: null,
  maxWaitingForDependenciesMinutes: null,
  maxWaitingForRetryMinutes: null,
  maxStepsInProcessMinutes: null,
  stalenessAction: null,
  autoFailOnTimeout: null,
  autoDlqOnTimeout: null,
  ...l,
});

describe('lifecycle keys', () => {
  it('parses every reference key, absent ones as null', () => {
    expect(
      definition({ lifecycle: { staleness_action: 'error', auto_fail_on_timeout: true, max_duration_minutes: 90 } })
        .lifecycle,
    ).toEqual(lifecycle({ stalenessAction: 'error', autoFailOnTimeout: true, maxDurationMinutes: 90 }));
    expect(definition({ lifecycle: { auto_dlq_on_timeout: false } }).lifecycle).toEqual(
      lifecycle({ autoDlqOnTimeout: false }),
    );
    expect(definition({}).lifecycle).toBeNull();
  });

  it('refuses bad values and unknown keys, each at its path', () => {
    const result = parse({
      lifecycle: { staleness_action: 'retry', auto_fail_on_timeout: 1, auto_dlq_on_timeout: 'no', max_duration: 5 },
    });
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual([
      'lifecycle.max_duration',
      'lifecycle.staleness_action',
      'lifecycle.auto_fail_on_timeout',
      'lifecycle.auto_dlq_on_timeout',
    ]);
  });

  it.each([
    [{ staleness_action: 'dlq', auto_dlq_on_timeout: false }, ['lifecycle.auto_dlq_on_timeout']],
    [{ staleness_action: 'error', auto_fail_on_timeout: false }, ['lifecycle.auto_fail_on_timeout']],
    [{ staleness_action: 'error', auto_dlq_on_timeout: true }, ['lifecycle.auto_dlq_on_timeout']],
    [
      { staleness_action: 'error', auto_fail_on_timeout: false, auto_dlq_on_timeout: true },
      ['lifecycle.auto_fail_on_timeout', 'lifecycle.auto_dlq_on_timeout'],
    ],
    [
      { staleness_action: 'none', auto_fail_on_timeout: true, auto_dlq_on_timeout: true },
      ['lifecycle.auto_fail_on_timeout', 'lifecycle.auto_dlq_on_timeout'],
    ],
  ])('refuses the contradiction %j, naming the flag and the action', (l, paths) => {
    const result = parse({ lifecycle: l });
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => e.path)).toEqual(paths);
    for (const e of errors) expect(e.message).toContain(`lifecycle.staleness_action: ${l.staleness_action}`);
  });

  it.each([
    { staleness_action: 'dlq', auto_fail_on_timeout: false },
    { staleness_action: 'dlq', auto_fail_on_timeout: true, auto_dlq_on_timeout: true },
    { staleness_action: 'error', auto_fail_on_timeout: true, auto_dlq_on_timeout: false },
    { staleness_action: 'none', auto_fail_on_timeout: false, auto_dlq_on_timeout: false },
    { auto_fail_on_timeout: false, auto_dlq_on_timeout: false },
  ])('accepts the consistent combination %j', (l) => {
    expect(parse({ lifecycle: l }).ok).toBe(true);
  });
});

describe('stalenessEffectOf', () => {
  it.each([
    [null, { failTask: true, openEntry: true }],
    [lifecycle({}), { failTask: true, openEntry: true }],
    [lifecycle({ stalenessAction: 'dlq' }), { failTask: true, openEntry: true }],
    [lifecycle({ stalenessAction: 'dlq', autoFailOnTimeout: false }), { failTask: false, openEntry: true }],
    [lifecycle({ stalenessAction: 'error' }), { failTask: true, openEntry: false }],
    [lifecycle({ stalenessAction: 'none' }), { failTask: false, openEntry: false }],
    [lifecycle({ autoFailOnTimeout: false }), { failTask: false, openEntry: true }],
    [lifecycle({ autoDlqOnTimeout: false }), { failTask: true, openEntry: false }],
    [lifecycle({ autoFailOnTimeout: false, autoDlqOnTimeout: false }), { failTask: false, openEntry: false }],
    // Stored contradictions (validation refuses them): the action wins.
    [lifecycle({ stalenessAction: 'dlq', autoDlqOnTimeout: false }), { failTask: true, openEntry: true }],
    [lifecycle({ stalenessAction: 'none', autoFailOnTimeout: true }), { failTask: false, openEntry: false }],
  ])('%j → %j', (l, effect) => {
    expect(stalenessEffectOf(l)).toEqual(effect);
  });

  it('finds no contradiction in a lifecycle without an action', () => {
    expect(lifecycleContradictions(lifecycle({ autoFailOnTimeout: false, autoDlqOnTimeout: false }))).toEqual([]);
  });
});

describe('templateStalenessWarnings', () => {
  const settings = { taskMaxLifetimeHours: 4 };

  it('names a timeout and a retry cap longer than the template lifetime, not a long step within it', () => {
    const d = definition({ lifecycle: { max_duration_minutes: 60 } }, [
      { name: 'short', handler: { callable: 'A' }, timeout_seconds: 3600, retry: { max_backoff_ms: 3_600_000 } },
      { name: 'long', handler: { callable: 'B' }, timeout_seconds: 3601, retry: { max_backoff_ms: 3_600_001 } },
      { name: 'once', handler: { callable: 'C' }, retry: { max_attempts: 1, max_backoff_ms: 86_400_000 } },
      { name: 'never', handler: { callable: 'D' }, retry: { retryable: false, max_backoff_ms: 86_400_000 } },
    ]);
    const warnings = templateStalenessWarnings(d, settings);
    expect(warnings.map((w) => w.path)).toEqual(['steps[1].timeout_seconds', 'steps[1].retry.max_backoff_ms']);
    expect(warnings[0]?.message).toMatch(
      /^3601 s \(60\.0 min\) is longer than the task's maximum lifetime of 60 min \(lifecycle\.max_duration_minutes\)/,
    );
    expect(warnings[1]?.message).toContain('Retry-After');
  });

  it('uses the configured lifetime when the template sets none, and the retry cap the step runs with', () => {
    const d = definition({}, [{ name: 'a', handler: { callable: 'A' }, timeout_seconds: 14_460 }], {
      maxBackoffMs: 14_400_001,
    });
    const warnings = templateStalenessWarnings(d, settings);
    expect(warnings.map((w) => w.path)).toEqual(['steps[0].timeout_seconds', 'steps[0].retry.max_backoff_ms']);
    expect(warnings[0]?.message).toContain(
      'maximum lifetime of 240 min (staleness.thresholds.task_max_lifetime_hours = 4)',
    );
  });

  it('says nothing when the staleness action never fails the task', () => {
    const long = [{ name: 'a', handler: { callable: 'A' }, timeout_seconds: 86_400 }];
    for (const l of [
      { staleness_action: 'none' },
      { auto_fail_on_timeout: false },
      { staleness_action: 'dlq', auto_fail_on_timeout: false },
    ]) {
      expect(
        templateStalenessWarnings(definition({ lifecycle: { ...l, max_duration_minutes: 1 } }, long), settings),
      ).toEqual([]);
    }
    const failing = templateStalenessWarnings(
      definition({ lifecycle: { staleness_action: 'error', max_duration_minutes: 1 } }, long),
      settings,
    );
    expect(failing.map((w) => w.path)).toEqual(['steps[0].timeout_seconds', 'steps[0].retry.max_backoff_ms']);
  });
});

describe('the shipped configuration is consistent', () => {
  const text = readFileSync(new URL('../../../../config/default.yaml', import.meta.url), 'utf8');
  const base = parseYaml(text) as Config;
  const configs: [string, Pick<Config, 'staleness' | 'backoff' | 'worker' | 'engine'>][] = [
    ['default.yaml', base],
    ...(['development', 'production', 'test'] as const).map((env): [string, Config] => [
      env,
      loadConfig({ env: { TASKER_ENV: env } }),
    ]),
  ];

  it.each(configs)(
    '%s: a template that sets no limits, and a step as long as the default handler timeout, get no warning',
    (_, config) => {
      const d = definition(
        {},
        [
          {
            name: 'a',
            handler: { callable: 'A' },
            timeout_seconds: Math.ceil(config.worker.handler_timeout_ms / 1000),
          },
        ],
        {
          maxBackoffMs: config.backoff.max_backoff_ms,
        },
      );
      expect(
        templateStalenessWarnings(d, { taskMaxLifetimeHours: config.staleness.thresholds.task_max_lifetime_hours }),
      ).toEqual([]);
    },
  );

  it.each(configs)(
    '%s: every state threshold is shorter than the lifetime and longer than a lease and a pulse (the sweep follows it)',
    (_, config) => {
      const t = config.staleness.thresholds;
      const lifetime = t.task_max_lifetime_hours * 60;
      // A dead worker's lease lapses and is swept (a retry or an error: progress) well before staleness acts.
      const leaseAndSweepMinutes = (config.engine.lease_seconds * 1000 + config.engine.pulse_interval_ms) / 60_000;
      for (const minutes of [
        t.steps_in_process_minutes,
        t.waiting_for_retry_minutes,
        t.waiting_for_dependencies_minutes,
      ]) {
        expect(minutes).toBeLessThan(lifetime);
        expect(minutes).toBeGreaterThan(leaseAndSweepMinutes);
      }
    },
  );
});

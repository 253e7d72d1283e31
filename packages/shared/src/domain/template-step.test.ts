// Every step-level rule of template-step.ts (and the per-step graph checks of template-parse.ts), each broken
// alone on an otherwise valid one-step-after-another template: exactly one problem, with its path. The dynamic
// types' rules and batch_config are in template-dynamic.test.ts.
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from './json.js';
import { parseTemplate, REFERENCE_TEMPLATE_DEFAULTS } from './template-parse.js';
import { TEMPLATE_LIMITS } from './template-step.js';

const FIRST: JsonObject = { name: 'first', handler: { callable: 'F' }, dependencies: [] };

/** `first`, then the step `second` with `keys` merged over `{name, handler, dependencies: [first]}`. */
function withSecond(keys: JsonObject): JsonValue {
  const second: JsonObject = { name: 'second', handler: { callable: 'S' }, dependencies: ['first'], ...keys };
  for (const [k, v] of Object.entries(second)) if (v === null) delete second[k];
  return { name: 't', namespace_name: 'ns', version: '1.0.0', steps: [FIRST, second] };
}

function problemsOf(raw: JsonValue): { path: string; message: string }[] {
  const result = parseTemplate(raw);
  return result.ok ? [] : result.errors;
}

const LONG = 'x'.repeat(TEMPLATE_LIMITS.handlerMaxLength + 1);

const cases: { rule: string; keys: JsonObject; path: string; message: string }[] = [
  {
    rule: 'a name with a space',
    keys: { name: 'sec ond' },
    path: 'steps[1].name',
    message: 'is required: 1-128 characters of letters, digits, _ . - (not starting with . or -)',
  },
  {
    rule: 'a name starting with a dot',
    keys: { name: '.second' },
    path: 'steps[1].name',
    message: 'is required: 1-128 characters of letters, digits, _ . - (not starting with . or -)',
  },
  {
    rule: 'no handler',
    keys: { handler: null },
    path: 'steps[1].handler',
    message: 'is required: an object with a callable',
  },
  {
    rule: 'a handler that is a string',
    keys: { handler: 'S' },
    path: 'steps[1].handler',
    message: 'is required: an object with a callable',
  },
  ...[{}, { callable: '  ' }, { callable: LONG }, { callable: 7 }].map((handler) => ({
    rule: `a callable that is missing, blank, too long or not a string (${JSON.stringify(handler).slice(0, 20)})`,
    keys: { handler },
    path: 'steps[1].handler.callable',
    message: `is required: a non-empty string of at most ${TEMPLATE_LIMITS.handlerMaxLength} characters`,
  })),
  {
    rule: 'a method that is not a string',
    keys: { handler: { callable: 'S', method: 3 } },
    path: 'steps[1].handler.method',
    message: 'must be a string',
  },
  {
    rule: 'a resolver that is too long',
    keys: { handler: { callable: 'S', resolver: LONG } },
    path: 'steps[1].handler.resolver',
    message: `must be at most ${TEMPLATE_LIMITS.handlerMaxLength} characters`,
  },
  {
    rule: 'an initialization that is a list',
    keys: { handler: { callable: 'S', initialization: [1] } },
    path: 'steps[1].handler.initialization',
    message: 'must be an object',
  },
  {
    rule: 'dependencies that are not a list',
    keys: { dependencies: 'first' },
    path: 'steps[1].dependencies',
    message: 'must be a list of step names',
  },
  {
    rule: 'a dependency that is not a name',
    keys: { dependencies: ['first', ''] },
    path: 'steps[1].dependencies[1]',
    message: 'must be a step name',
  },
  {
    rule: 'a dependency listed twice',
    keys: { dependencies: ['first', 'first'] },
    path: 'steps[1].dependencies[1]',
    message: "lists 'first' twice",
  },
  {
    rule: 'dependencies and depends_on disagreeing',
    keys: { depends_on: [] },
    path: 'steps[1].depends_on',
    message: 'conflicts with dependencies; give only one of them',
  },
  {
    rule: 'a dependency on itself',
    keys: { dependencies: ['second'] },
    path: 'steps[1].dependencies[0]',
    message: 'a step cannot depend on itself',
  },
  {
    rule: 'a dependency on an unknown step',
    keys: { dependencies: ['zeroth'] },
    path: 'steps[1].dependencies[0]',
    message: "unknown step 'zeroth'",
  },
  { rule: 'a retry that is a number', keys: { retry: 3 }, path: 'steps[1].retry', message: 'must be an object' },
  {
    rule: 'retryable that is a string',
    keys: { retry: { retryable: 'yes' } },
    path: 'steps[1].retry.retryable',
    message: 'must be a boolean',
  },
  {
    rule: 'max_attempts above the limit',
    keys: { retry: { max_attempts: TEMPLATE_LIMITS.maxAttempts + 1 } },
    path: 'steps[1].retry.max_attempts',
    message: `must be between 0 and ${TEMPLATE_LIMITS.maxAttempts}`,
  },
  {
    rule: 'max_attempts that is not an integer',
    keys: { retry: { max_attempts: 2.5 } },
    path: 'steps[1].retry.max_attempts',
    message: 'must be an integer',
  },
  {
    rule: 'an unknown backoff',
    keys: { retry: { backoff: 'random' } },
    path: 'steps[1].retry.backoff',
    message: 'must be one of none, linear, exponential, fibonacci',
  },
  {
    rule: 'backoff_base_ms of 0',
    keys: { retry: { backoff_base_ms: 0 } },
    path: 'steps[1].retry.backoff_base_ms',
    message: `must be between 1 and ${TEMPLATE_LIMITS.maxBackoffMs}`,
  },
  {
    rule: 'max_backoff_ms below backoff_base_ms',
    keys: { retry: { backoff_base_ms: 500, max_backoff_ms: 100 } },
    path: 'steps[1].retry.max_backoff_ms',
    message: 'must be at least backoff_base_ms',
  },
  {
    rule: 'a jitter above 1',
    keys: { retry: { jitter: 1.5 } },
    path: 'steps[1].retry.jitter',
    message: 'must be a number between 0 and 1',
  },
  ...[0, TEMPLATE_LIMITS.maxTimeoutSeconds + 1].map((timeout) => ({
    rule: `timeout_seconds ${timeout}`,
    keys: { timeout_seconds: timeout },
    path: 'steps[1].timeout_seconds',
    message: `must be between 1 and ${TEMPLATE_LIMITS.maxTimeoutSeconds}`,
  })),
  {
    rule: 'a description that is not a string',
    keys: { description: ['x'] },
    path: 'steps[1].description',
    message: 'must be a string',
  },
  {
    rule: 'a result_schema that is a string',
    keys: { result_schema: 'object' },
    path: 'steps[1].result_schema',
    message: 'must be an object',
  },
];

describe('each step rule broken alone gives one problem with its path', () => {
  it('accepts the template the cases start from', () => {
    expect(problemsOf(withSecond({}))).toEqual([]);
  });

  for (const c of cases) {
    it(c.rule, () => {
      expect(problemsOf(withSecond(c.keys))).toEqual([{ path: c.path, message: c.message }]);
    });
  }

  it('refuses a step that is not an object', () => {
    expect(problemsOf({ name: 't', namespace_name: 'ns', version: '1', steps: [FIRST, 'second'] })).toEqual([
      { path: 'steps[1]', message: 'must be an object' },
    ]);
  });
});

describe('retry defaults around the keys a step gives', () => {
  const retryOf = (retry: JsonObject) => {
    const result = parseTemplate(withSecond({ retry }));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.definition.steps[1]?.retry;
  };

  it('raises the default cap to a base above it, and lowers the default base to a cap below it', () => {
    const base = REFERENCE_TEMPLATE_DEFAULTS.maxBackoffMs + 1000;
    expect(retryOf({ backoff_base_ms: base })).toMatchObject({ backoffBaseMs: base, maxBackoffMs: base });
    expect(retryOf({ max_backoff_ms: 200 })).toMatchObject({ backoffBaseMs: 200, maxBackoffMs: 200 });
  });

  it('keeps retryable false and zero attempts as given', () => {
    expect(retryOf({ retryable: false, max_attempts: 0 })).toMatchObject({ retryable: false, maxAttempts: 0 });
  });
});

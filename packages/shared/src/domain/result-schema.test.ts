import { describe, expect, it } from 'vitest';
import {
  MAX_RECORDED_VIOLATIONS,
  RESULT_SCHEMA_VIOLATION,
  resultSchemaFailure,
  resultSchemaViolations,
} from './result-schema.js';
import { compileJsonSchema, type CompiledSchema } from './template-schema.js';

function compile(schema: unknown): CompiledSchema {
  const compiled = compileJsonSchema(schema);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.validate;
}

const ORDER = compile({
  type: 'object',
  required: ['total', 'items'],
  additionalProperties: false,
  properties: {
    total: { type: 'integer', minimum: 0 },
    items: { type: 'array', items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } },
    'a/b~c': { type: 'string' },
  },
});

describe('resultSchemaViolations', () => {
  it('is empty for a result that passes', () => {
    expect(resultSchemaViolations(ORDER, { total: 3, items: [{ sku: 'A' }] })).toEqual([]);
  });

  it('names each failing place as a JSON pointer, missing and extra properties by their own path', () => {
    expect(resultSchemaViolations(ORDER, { total: -1, items: [{ sku: 'A' }, {}], extra: true, 'a/b~c': 1 })).toEqual([
      { path: '/extra', message: 'is not allowed' },
      { path: '/total', message: 'must be >= 0' },
      { path: '/items/1/sku', message: 'is required' },
      { path: '/a~1b~0c', message: 'must be string' },
    ]);
  });

  it('reports the root as the empty pointer', () => {
    expect(resultSchemaViolations(ORDER, 'not an object')).toEqual([{ path: '', message: 'must be object' }]);
    expect(resultSchemaViolations(ORDER, null)).toEqual([{ path: '', message: 'must be object' }]);
  });
});

describe('resultSchemaFailure', () => {
  it('is a permanent failure naming the first violations in its message and all of them in its context', () => {
    const failure = resultSchemaFailure(resultSchemaViolations(ORDER, { items: 'x' }));
    expect(failure).toEqual({
      message: "result does not match the step's result_schema: /total is required; /items must be array",
      errorType: RESULT_SCHEMA_VIOLATION,
      retryable: false,
      retryAfterSeconds: null,
      statusCode: null,
      backtrace: null,
      context: {
        violations: [
          { path: '/total', message: 'is required' },
          { path: '/items', message: 'must be array' },
        ],
        violation_count: 2,
        truncated: false,
      },
    });
    expect(resultSchemaFailure([{ path: '', message: 'must be object' }]).message).toBe(
      "result does not match the step's result_schema: (result) must be object",
    );
  });

  it('bounds what it records however many violations and however long their paths', () => {
    const schema = compile({ type: 'array', items: { type: 'object', required: ['x'.repeat(500)] } });
    const violations = resultSchemaViolations(
      schema,
      Array.from({ length: 1000 }, () => ({})),
    );
    expect(violations).toHaveLength(1000);
    const failure = resultSchemaFailure(violations);
    const context = failure.context as {
      violations: { path: string; message: string }[];
      violation_count: number;
      truncated: boolean;
    };
    expect(context.violations).toHaveLength(MAX_RECORDED_VIOLATIONS);
    expect(context).toMatchObject({ violation_count: 1000, truncated: true });
    for (const v of context.violations) expect(v.path.length).toBeLessThanOrEqual(200);
    expect(failure.message).toMatch(/\(and 997 more\)$/);
    expect(failure.message.length).toBeLessThan(800);
    expect(JSON.stringify(failure).length).toBeLessThan(6000);
  });
});

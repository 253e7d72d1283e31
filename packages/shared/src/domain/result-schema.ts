// A step's `result_schema` enforced on the result a worker reports: a result that fails it becomes a
// permanent failure (no retry) of type `result_schema_violation`, carrying the failing places of the result as
// JSON pointers with ajv's messages, bounded in number and length so a huge bad result cannot bloat the row.
import type { ErrorObject } from 'ajv';
import type { JsonObject, JsonValue } from './json.js';
import type { CompiledSchema } from './template-schema.js';
import type { StepFailure } from './worker.js';

/** `error_type` of a step whose result failed its step's `result_schema`. */
export const RESULT_SCHEMA_VIOLATION = 'result_schema_violation';

/** At most this many violations are recorded per result (the count says how many there were). */
export const MAX_RECORDED_VIOLATIONS = 20;
/** Violations named in the failure message itself; the rest are in `context.violations`. */
const MESSAGE_VIOLATIONS = 3;
/** Longest path or message of one recorded violation. */
const MAX_VIOLATION_TEXT = 200;

/** One place where a result fails its schema. */
export interface ResultSchemaViolation {
  /** JSON pointer into the result (RFC 6901): `''` = the result itself, `/items/0/sku`. */
  path: string;
  message: string;
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function clip(text: string): string {
  return text.length <= MAX_VIOLATION_TEXT ? text : `${text.slice(0, MAX_VIOLATION_TEXT - 1)}…`;
}

/** ajv reports a missing or unexpected property at its parent; name the property itself instead. */
function describe(error: ErrorObject): ResultSchemaViolation {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return { path: `${error.instancePath}/${escapePointer(params['missingProperty'])}`, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return { path: `${error.instancePath}/${escapePointer(params['additionalProperty'])}`, message: 'is not allowed' };
  }
  return { path: error.instancePath, message: error.message ?? `fails ${error.keyword}` };
}

/** Every distinct place where `result` fails `validate`, in ajv's order; [] when it passes. */
export function resultSchemaViolations(validate: CompiledSchema, result: JsonValue): ResultSchemaViolation[] {
  if (validate(result)) return [];
  const seen = new Set<string>();
  const out: ResultSchemaViolation[] = [];
  for (const error of validate.errors ?? []) {
    const v = describe(error);
    const key = `${v.path}\u0000${v.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  // A schema can fail without ajv saying where (e.g. `false`): still a violation, at the root.
  return out.length > 0 ? out : [{ path: '', message: 'does not match the schema' }];
}

function named(v: ResultSchemaViolation): string {
  return `${v.path === '' ? '(result)' : v.path} ${v.message}`;
}

/**
 * The permanent failure recorded instead of a result that failed its step's `result_schema`: the first few
 * violations in the message, up to {@link MAX_RECORDED_VIOLATIONS} in `context.violations` (each path and
 * message at most 200 characters), `context.violation_count` = how many there were.
 */
export function resultSchemaFailure(violations: readonly ResultSchemaViolation[]): StepFailure {
  const recorded = violations
    .slice(0, MAX_RECORDED_VIOLATIONS)
    .map((v) => ({ path: clip(v.path), message: clip(v.message) }));
  const more = violations.length - Math.min(violations.length, MESSAGE_VIOLATIONS);
  const message =
    `result does not match the step's result_schema: ${recorded.slice(0, MESSAGE_VIOLATIONS).map(named).join('; ')}` +
    (more > 0 ? ` (and ${more} more)` : '');
  const context: JsonObject = {
    violations: recorded,
    violation_count: violations.length,
    truncated: violations.length > recorded.length,
  };
  return {
    message,
    errorType: RESULT_SCHEMA_VIOLATION,
    retryable: false,
    retryAfterSeconds: null,
    statusCode: null,
    backtrace: null,
    context,
  };
}

import { z } from 'zod';
import { ERROR_CODES } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../domain/json.js';
import { STEP_STATES, TASK_STATES } from '../../domain/states.js';
import type { IntRule, LengthRule } from '../../domain/limits.js';

/**
 * Schemas named with {@link named} become OpenAPI components. They live in zod's global registry because
 * `.describe()` on fields records descriptions there too, and the OpenAPI transform reads one registry.
 */
export const restSchemaRegistry = z.globalRegistry;

/**
 * Registers `schema` itself (not a clone, so recursive schemas refer to the registered object) as the
 * OpenAPI component `id`, and returns it.
 */
export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  restSchemaRegistry.add(schema, description === undefined ? { id } : { id, description });
  return schema;
}

/** Any JSON value (task context values, step results). Named because it is recursive. */
export const JsonValueSchema: z.ZodType<JsonValue> = named('JsonValue', z.json());
/** A JSON object. */
export const JsonObjectSchema: z.ZodType<JsonObject> = z.record(z.string(), JsonValueSchema);

/** RFC 3339 timestamp; responses always use UTC with a `Z` suffix. */
export const TimestampSchema = named('Timestamp', z.iso.datetime({ offset: true }), 'RFC 3339 timestamp');

/** A UUID of the form UUID_PATTERN (domain/limits.ts) describes; `z.uuid()` checks that very pattern. */
export const UuidSchema = z.uuid();

/** A string within a length rule of domain/limits.ts. */
export function text(rule: LengthRule) {
  const s = z.string().max(rule.max);
  return rule.min > 0 ? s.min(rule.min) : s;
}

/** A JSON integer within an integer rule of domain/limits.ts (no default applied). */
export function int(rule: IntRule) {
  const n = z.number().int().min(rule.min);
  return rule.max === undefined ? n : n.max(rule.max);
}

export const TaskStateSchema = named('TaskState', z.enum(TASK_STATES));
export const StepStateSchema = named('StepState', z.enum(STEP_STATES));

export const TaskUuidParamsSchema = z.object({ task_uuid: UuidSchema });
export const TaskStepParamsSchema = z.object({ task_uuid: UuidSchema, step_uuid: UuidSchema });

/** Page-based paging of list responses. */
export const PaginationSchema = named(
  'Pagination',
  z.object({
    page: z.number().int().min(1),
    per_page: z.number().int().min(1),
    total_count: z.number().int().min(0),
    total_pages: z.number().int().min(0),
    has_next: z.boolean(),
    has_previous: z.boolean(),
  }),
);
export type RestPagination = z.infer<typeof PaginationSchema>;

/** `{"error":{"code","message","details"?}}`: the body of every error response. */
export const ErrorBodySchema = named(
  'ErrorBody',
  z.object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
);

/**
 * A list-valued query parameter: repeated (`?state=a&state=b`), comma-separated (`?state=a,b`) or both.
 * Empty items are dropped, so `?state=` filters nothing out.
 */
export function listParam<T extends z.ZodType<string, string>>(item: T) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) =>
      (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .pipe(z.array(item));
}

/** A boolean query parameter: `true`/`false` (also `1`/`0`). */
export const BooleanParamSchema = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** An integer query parameter within an integer rule of domain/limits.ts (no default applied). */
export function intParam(rule: IntRule) {
  const n = z.coerce.number().int().min(rule.min);
  return rule.max === undefined ? n : n.max(rule.max);
}

// Shared pieces of the proto converters: timestamps, JSON (Struct/Value), offset paging, and the request
// validator. Request converters validate here what the REST zod schemas validate there (required fields,
// UUID format, lengths, ranges), both built from the rules of domain/limits.ts, so both transports reject the
// same input with VALIDATION_FAILED.
import type { JsonObject, JsonValue } from '../../domain/json.js';
import { PAGE_LIMITS, isUuid } from '../../domain/limits.js';
import type { Page } from '../../domain/task.js';
import { AppError, validationError, type FieldProblem } from '../../errors.js';
import type {
  PaginationRequest as PbPaginationRequest,
  PaginationResponse as PbPaginationResponse,
} from '../../gen/tasker/v1/common.js';

/** Proto3 has no null: an absent message field is `undefined` on the generated side, `null` in the domain. */
export function optionalDateToProto(date: Date | null): Date | undefined {
  return date ?? undefined;
}

export function optionalDateFromProto(date: Date | undefined): Date | null {
  return date ?? null;
}

/** A timestamp the server always sets; absent on the wire means a broken peer. */
export function requiredDateFromProto(date: Date | undefined, field: string): Date {
  if (date === undefined) throw validationError([{ path: field, message: 'is required' }]);
  return date;
}

export function nullableToProto<T>(value: T | null): T | undefined {
  return value ?? undefined;
}

export function nullableFromProto<T>(value: T | undefined): T | null {
  return value ?? null;
}

/** Struct fields decode to plain objects; an absent Struct is `undefined`. */
export function structFromProto(value: { [key: string]: unknown } | undefined): JsonObject | null {
  return value === undefined ? null : (value as JsonObject);
}

export function structOrEmptyFromProto(value: { [key: string]: unknown } | undefined): JsonObject {
  return (value ?? {}) as JsonObject;
}

/**
 * A `google.protobuf.Value` field: `undefined` = absent. A JSON `null` travels as NULL_VALUE, so a domain
 * `null` meaning "nothing stored" is sent as absent instead (the proto comments say "absent when none").
 */
export function valueToProto(value: JsonValue | null): unknown {
  return value === null ? undefined : value;
}

export function valueFromProto(value: unknown): JsonValue | null {
  return value === undefined ? null : (value as JsonValue);
}

/** Offset paging of the domain ↔ proto PaginationResponse. */
export function paginationToProto<T>(page: Page<T>): PbPaginationResponse {
  return {
    total: page.total,
    count: page.items.length,
    offset: page.offset,
    hasMore: page.offset + page.items.length < page.total,
  };
}

/** The limit of a page is not on the wire: it is the request's; callers pass it back in. */
export function pageFromProto<P, T>(
  items: P[],
  pagination: PbPaginationResponse | undefined,
  limit: number,
  convert: (item: P) => T,
): Page<T> {
  return {
    items: items.map(convert),
    total: pagination?.total ?? items.length,
    limit,
    offset: pagination?.offset ?? 0,
  };
}

interface Bounds {
  min?: number;
  max?: number;
}

/**
 * Collects every problem of one request, so a caller learns all bad fields at once (like zod on the REST
 * side). Each check returns the value unchanged; `done()` throws VALIDATION_FAILED when anything was wrong,
 * before a converter hands the (then possibly invalid) values to a service.
 */
export class RequestValidator {
  readonly problems: FieldProblem[] = [];

  fail(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** A required string: proto3 sends "" for absent. */
  string(path: string, value: string, bounds: Bounds = {}): string {
    const min = bounds.min ?? 1;
    if (value.length < min) {
      this.fail(path, value.length === 0 ? 'is required' : `must be at least ${min} characters`);
    } else if (bounds.max !== undefined && value.length > bounds.max) {
      this.fail(path, `must be at most ${bounds.max} characters`);
    }
    return value;
  }

  optionalString(path: string, value: string | undefined, bounds: Bounds = {}): string | undefined {
    return value === undefined ? undefined : this.string(path, value, bounds);
  }

  uuid(path: string, value: string): string {
    if (value.length === 0) this.fail(path, 'is required');
    else if (!isUuid(value)) this.fail(path, 'must be a UUID');
    return value;
  }

  optionalUuid(path: string, value: string | undefined): string | undefined {
    return value === undefined ? undefined : this.uuid(path, value);
  }

  int(path: string, value: number, bounds: Bounds): number {
    if (!Number.isInteger(value)) this.fail(path, 'must be an integer');
    else if (bounds.min !== undefined && value < bounds.min) this.fail(path, `must be at least ${bounds.min}`);
    else if (bounds.max !== undefined && value > bounds.max) this.fail(path, `must be at most ${bounds.max}`);
    return value;
  }

  optionalInt(path: string, value: number | undefined, bounds: Bounds): number | undefined {
    return value === undefined ? undefined : this.int(path, value, bounds);
  }

  struct(path: string, value: { [key: string]: unknown } | undefined): JsonObject {
    if (value === undefined) this.fail(path, 'is required');
    return (value ?? {}) as JsonObject;
  }

  list<T>(path: string, values: T[], max: number): T[] {
    if (values.length > max) this.fail(path, `must have at most ${max} items`);
    return values;
  }

  /** Runs a decoder that throws VALIDATION_FAILED (an enum decoder) and records its problems instead. */
  decode<T>(decoder: () => T): T | undefined {
    try {
      return decoder();
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION_FAILED') throw err;
      const fields = (err.details?.fields ?? []) as FieldProblem[];
      this.problems.push(...fields);
      return undefined;
    }
  }

  /** @throws AppError VALIDATION_FAILED naming every recorded field. */
  done(): void {
    if (this.problems.length > 0) throw validationError(this.problems);
  }
}

/** Copies `value` under `key` only when defined (exactOptionalPropertyTypes forbids explicit undefined). */
export function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Proto request paging: limit 1..1000 (default 50), offset ≥ 0 (default 0), as the proto comment states. */
export function paginationFromProto(
  v: RequestValidator,
  pagination: PbPaginationRequest | undefined,
  path = 'pagination',
): { limit: number; offset: number } {
  const { limit: limitRule, offset: offsetRule } = PAGE_LIMITS;
  const limit = v.int(`${path}.limit`, pagination?.limit ?? limitRule.default, limitRule);
  const offset = v.int(`${path}.offset`, pagination?.offset ?? offsetRule.default, offsetRule);
  return { limit, offset };
}

export function paginationRequestToProto(query: { limit: number; offset: number }): PbPaginationRequest {
  return { limit: query.limit, offset: query.offset };
}

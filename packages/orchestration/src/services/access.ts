// Namespace scope of a principal, applied by every service: resources in other namespaces do not exist for
// the caller (NOT_FOUND) and lists only show what it may see. Permission checks live in the transports, except
// where the request's content decides which permission applies (a claim alongside reported results).
// The guards below protect what services hand to SQL (a uuid parameter, a LIMIT) from in-process callers,
// with the same rules the transports apply (domain/limits.ts).
import { isUuid, type IntRule } from '@tasker/shared';
import { AppError, validationError } from '@tasker/shared/errors';
import { canAccessNamespace, type Principal } from '@tasker/shared/permissions';

/** The namespaces the principal may touch, or null for all. */
export function scopeOf(principal: Principal): readonly string[] | null {
  return principal.namespaces;
}

/** The namespaces a request may use: the requested ones within scope (empty request = the whole scope). */
export function effectiveNamespaces(principal: Principal, requested: readonly string[]): string[] | null {
  const scope = scopeOf(principal);
  if (requested.length === 0) return scope === null ? null : [...scope];
  return requested.filter((ns) => canAccessNamespace(principal, ns));
}

/** @throws AppError VALIDATION_FAILED naming `field` when `value` is not a UUID. */
export function assertUuid(value: string, field: string): void {
  if (!isUuid(value)) throw validationError([{ path: field, message: 'must be a UUID' }]);
}

/** @throws AppError VALIDATION_FAILED naming `field` when `value` is not an integer within `rule`. */
export function assertInt(value: number, field: string, rule: IntRule & { max: number }): void {
  if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
    throw validationError([{ path: field, message: `must be an integer between ${rule.min} and ${rule.max}` }]);
  }
}

export function taskNotFound(taskUuid: string): AppError {
  return new AppError('NOT_FOUND', `Task ${taskUuid} not found`, { details: { task_uuid: taskUuid } });
}

export function stepNotFound(taskUuid: string, stepUuid: string): AppError {
  return new AppError('NOT_FOUND', `Step ${stepUuid} not found in task ${taskUuid}`, {
    details: { task_uuid: taskUuid, step_uuid: stepUuid },
  });
}

export function templateNotFound(namespace: string, name: string, version: string): AppError {
  return new AppError('NOT_FOUND', `Template ${namespace}/${name}/${version} not found`, {
    details: { namespace, name, version },
  });
}

// Namespace scope of a principal, applied by every service: resources in other namespaces do not exist for
// the caller (NOT_FOUND) and lists only show what it may see. Permission checks live in the transports, except
// where the request's content decides which permission applies (a claim alongside reported results).
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** @throws AppError VALIDATION_FAILED naming `field` when `value` is not a UUID. */
export function assertUuid(value: string, field: string): void {
  if (!UUID.test(value)) throw validationError([{ path: field, message: 'must be a UUID' }]);
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

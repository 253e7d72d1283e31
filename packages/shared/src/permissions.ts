import { AppError } from './errors.js';

/**
 * The permission vocabulary (the reference's, plus what our API adds: docs/compatibility.md §10). Every route and
 * RPC declares one of these. `system:handlers_read` of the reference is left out: nothing used it. Health, probes,
 * metrics and reflection are public and need none.
 */
export const PERMISSION_DESCRIPTIONS = {
  'tasks:create': 'create tasks',
  'tasks:read': 'read a task, its summary, and stream its events',
  'tasks:list': 'list tasks',
  'tasks:cancel': 'cancel a task, or close a blocked or error task as resolved_manually',
  'tasks:context_read': "read a task's input context",
  'tasks:resume': 'resume an error task after its failed steps were fixed',
  'steps:read': 'read steps and their audit trail',
  'steps:resolve': 'reset, resolve or complete a step manually',
  'dlq:read': 'read DLQ entries, the investigation queue and staleness monitoring',
  'dlq:update': 'update a DLQ investigation, or open a manual one',
  'dlq:stats': 'read DLQ statistics',
  'schedules:create': 'create schedules',
  'schedules:read': 'read schedules and their firings',
  'schedules:update': 'update, pause and resume schedules',
  'schedules:delete': 'delete schedules',
  'templates:read': 'read task templates',
  'templates:validate': 'validate a task template',
  'templates:register': 'register task templates',
  'system:config_read': 'read the safe configuration',
  'system:analytics_read': 'read analytics',
  'workers:read': 'list registered workers',
  'auth:manage_keys': 'create and revoke API keys',
  'worker:register': 'worker protocol: register a worker',
  'worker:claim': 'worker protocol: claim steps and heartbeat their leases',
  'worker:report': 'worker protocol: report step results and release leases',
  'worker:config_read': "read a worker's configuration (worker port)",
  'worker:templates_read': "read a worker's templates (worker port)",
} as const satisfies Record<string, string>;

export type Permission = keyof typeof PERMISSION_DESCRIPTIONS;

/** Every permission, in vocabulary order. */
export const PERMISSIONS = Object.keys(PERMISSION_DESCRIPTIONS) as readonly Permission[];

/** The resources (`tasks`, `worker`, …) that `<resource>:*` wildcards may name. */
export const PERMISSION_RESOURCES: readonly string[] = [...new Set(PERMISSIONS.map((p) => resourceOf(p)))];

function resourceOf(permission: string): string {
  const colon = permission.indexOf(':');
  return colon < 0 ? permission : permission.slice(0, colon);
}

/** Exactly one permission of the vocabulary (wildcards excluded). */
export function isKnownPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.hasOwn(PERMISSION_DESCRIPTIONS, value);
}

/**
 * Whether a credential may carry `value`: a known permission or `<known resource>:*`. With strict
 * validation on, a credential holding anything else is rejected as UNAUTHENTICATED.
 */
export function isValidGrant(value: unknown): value is string {
  if (isKnownPermission(value)) return true;
  return typeof value === 'string' && value.endsWith(':*') && PERMISSION_RESOURCES.includes(value.slice(0, -2));
}

/** Whether `granted` covers `required`: equal, or `<resource>:*` of its resource. No global `*`. */
export function permissionMatches(granted: string, required: Permission): boolean {
  if (granted === required) return true;
  return granted.endsWith(':*') && granted.length > 2 && granted.slice(0, -2) === resourceOf(required);
}

/** Who is calling, as established by authentication. */
export interface Principal {
  /** JWT `sub`, API key description, or `anonymous`. */
  readonly subject: string;
  readonly kind: 'anonymous' | 'api_key' | 'jwt' | 'dev';
  /** Grants as carried by the credential (may include `<resource>:*`). */
  readonly permissions: readonly string[];
  /** Namespaces the principal may touch; `null` = all. */
  readonly namespaces: readonly string[] | null;
}

/** The principal of every request when auth is disabled: every permission, every namespace. */
export const ALL_PERMISSIONS_PRINCIPAL: Principal = Object.freeze({
  subject: 'anonymous',
  kind: 'anonymous',
  permissions: Object.freeze([...PERMISSIONS]),
  namespaces: null,
});

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.permissions.some((granted) => permissionMatches(granted, permission));
}

export function canAccessNamespace(principal: Principal, namespace: string): boolean {
  return principal.namespaces === null || principal.namespaces.includes(namespace);
}

/** PERMISSION_DENIED "Missing required permission: x" (details `{ permission }`). */
export function permissionDenied(permission: Permission): AppError {
  return new AppError('PERMISSION_DENIED', `Missing required permission: ${permission}`, { details: { permission } });
}

/** @throws AppError {@link permissionDenied} when the principal lacks `permission`. */
export function assertPermission(principal: Principal, permission: Permission): void {
  if (!hasPermission(principal, permission)) throw permissionDenied(permission);
}

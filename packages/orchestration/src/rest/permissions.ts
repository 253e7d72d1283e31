// The one table of REST route permissions: `METHOD /url` (Fastify's route pattern) → permission, or `public`.
// app.ts refuses to register a route missing here, and a unit test checks that no entry is unused.
import type { Permission } from '@tasker/shared/permissions';

export type RoutePermission = Permission | 'public';

export const REST_ROUTE_PERMISSIONS = {
  'POST /v1/tasks': 'tasks:create',
  'GET /v1/tasks': 'tasks:list',
  'GET /v1/tasks/:task_uuid': 'tasks:read',
  'GET /v1/tasks/:task_uuid/summary': 'tasks:read',
  'GET /v1/tasks/:task_uuid/context': 'tasks:context_read',
  'DELETE /v1/tasks/:task_uuid': 'tasks:cancel',
  'POST /v1/tasks/:task_uuid/resume': 'tasks:resume',
  // Closing is the other way an operator ends a task (docs/security.md).
  'POST /v1/tasks/:task_uuid/resolve': 'tasks:cancel',
  'GET /v1/tasks/:task_uuid/events': 'tasks:read',

  'GET /v1/tasks/:task_uuid/workflow_steps': 'steps:read',
  'GET /v1/tasks/:task_uuid/workflow_steps/:step_uuid': 'steps:read',
  'PATCH /v1/tasks/:task_uuid/workflow_steps/:step_uuid': 'steps:resolve',
  'GET /v1/tasks/:task_uuid/workflow_steps/:step_uuid/audit': 'steps:read',

  'GET /v1/templates': 'templates:read',
  'GET /v1/templates/:namespace/:name/:version': 'templates:read',
  'POST /v1/templates/validate': 'templates:validate',
  'POST /v1/templates': 'templates:register',

  'POST /v1/workers/register': 'worker:register',
  'GET /v1/workers': 'workers:read',
  'POST /v1/workers/claim': 'worker:claim',
  'POST /v1/workers/heartbeat': 'worker:claim',
  'POST /v1/workers/checkpoint': 'worker:claim',
  'POST /v1/workers/complete': 'worker:report',
  'POST /v1/workers/fail': 'worker:report',
  'POST /v1/workers/results': 'worker:report',
  'POST /v1/workers/release': 'worker:report',

  'GET /v1/dlq': 'dlq:read',
  'GET /v1/dlq/task/:task_uuid': 'dlq:read',
  'POST /v1/dlq/task/:task_uuid': 'dlq:update',
  'PATCH /v1/dlq/entry/:dlq_entry_uuid': 'dlq:update',
  'GET /v1/dlq/stats': 'dlq:stats',
  'GET /v1/dlq/investigation-queue': 'dlq:read',
  'GET /v1/dlq/staleness': 'dlq:read',

  'POST /v1/schedules': 'schedules:create',
  'GET /v1/schedules': 'schedules:read',
  'GET /v1/schedules/:schedule_uuid': 'schedules:read',
  'PATCH /v1/schedules/:schedule_uuid': 'schedules:update',
  'POST /v1/schedules/:schedule_uuid/pause': 'schedules:update',
  'POST /v1/schedules/:schedule_uuid/resume': 'schedules:update',
  'DELETE /v1/schedules/:schedule_uuid': 'schedules:delete',
  'GET /v1/schedules/:schedule_uuid/firings': 'schedules:read',

  'GET /v1/analytics/performance': 'system:analytics_read',
  'GET /v1/analytics/bottlenecks': 'system:analytics_read',

  'GET /config': 'system:config_read',

  'POST /v1/auth/keys': 'auth:manage_keys',
  'GET /v1/auth/keys': 'auth:manage_keys',
  'DELETE /v1/auth/keys/:key_uuid': 'auth:manage_keys',

  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /health/detailed': 'public',
  'GET /metrics': 'public',

  'GET /api-docs/openapi.json': 'public',
  'GET /api-docs/ui': 'public',
  'GET /api-docs/ui/json': 'public',
  'GET /api-docs/ui/yaml': 'public',
  'GET /api-docs/ui/static/index.html': 'public',
  'GET /api-docs/ui/static/swagger-initializer.js': 'public',
  'GET /api-docs/ui/static/*': 'public',
  'HEAD /api-docs/ui/static/*': 'public',
} as const satisfies Record<string, RoutePermission>;

export type RestRouteKey = keyof typeof REST_ROUTE_PERMISSIONS;

export function routeKey(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}

/** The permission of a route, or undefined when the table has no entry (registration then fails). */
export function permissionOfRoute(method: string, url: string): RoutePermission | undefined {
  const key = routeKey(method, url);
  return Object.hasOwn(REST_ROUTE_PERMISSIONS, key) ? REST_ROUTE_PERMISSIONS[key as RestRouteKey] : undefined;
}

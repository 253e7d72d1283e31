// The one table of what each RPC requires. A method missing here fails to compile (the key type is derived
// from the service definitions) and is refused at run time by the auth middleware; a unit test also checks
// that no entry is left over.
import type { Permission } from '@tasker/shared/permissions';
import { AnalyticsServiceDefinition } from '@tasker/shared/gen/tasker/v1/analytics';
import { AuthServiceDefinition } from '@tasker/shared/gen/tasker/v1/auth';
import { ConfigServiceDefinition } from '@tasker/shared/gen/tasker/v1/config';
import { DlqServiceDefinition } from '@tasker/shared/gen/tasker/v1/dlq';
import { ScheduleServiceDefinition } from '@tasker/shared/gen/tasker/v1/schedules';
import { HealthServiceDefinition } from '@tasker/shared/gen/tasker/v1/health';
import { StepServiceDefinition } from '@tasker/shared/gen/tasker/v1/steps';
import { TaskServiceDefinition } from '@tasker/shared/gen/tasker/v1/tasks';
import { TemplateServiceDefinition } from '@tasker/shared/gen/tasker/v1/templates';
import { WorkerServiceDefinition } from '@tasker/shared/gen/tasker/v1/workers';
import { HealthDefinition } from 'nice-grpc-server-health';

interface ServiceDef {
  readonly fullName: string;
  readonly methods: { readonly [key: string]: { readonly name: string } };
}

// Distributes over a union of definitions (a bare indexed access would intersect their method keys).
type MethodPaths<D> = D extends ServiceDef ? `/${D['fullName']}/${D['methods'][keyof D['methods']]['name']}` : never;

/** The tasker.v1 services this server implements, plus the standard health service. */
export const SERVED_DEFINITIONS = [
  TaskServiceDefinition,
  StepServiceDefinition,
  TemplateServiceDefinition,
  AnalyticsServiceDefinition,
  DlqServiceDefinition,
  ScheduleServiceDefinition,
  HealthServiceDefinition,
  ConfigServiceDefinition,
  WorkerServiceDefinition,
  AuthServiceDefinition,
  HealthDefinition,
] as const;

import { REFLECTION_METHOD_PATH } from '@tasker/shared/grpc';

export { REFLECTION_METHOD_PATH };

export type GrpcMethodPath = MethodPaths<(typeof SERVED_DEFINITIONS)[number]> | typeof REFLECTION_METHOD_PATH;

/**
 * `public`: no credential is needed (health probes). `authenticated`: any valid credential, no permission
 * (reflection outside development; config `grpc.reflection.public` makes it public instead).
 */
export type GrpcMethodRequirement = Permission | 'public' | 'authenticated';

export const GRPC_METHOD_PERMISSIONS = {
  '/tasker.v1.TaskService/CreateTask': 'tasks:create',
  '/tasker.v1.TaskService/GetTask': 'tasks:read',
  '/tasker.v1.TaskService/ListTasks': 'tasks:list',
  '/tasker.v1.TaskService/CancelTask': 'tasks:cancel',
  '/tasker.v1.TaskService/ResumeTask': 'tasks:resume',
  '/tasker.v1.TaskService/ResolveTask': 'tasks:cancel',
  '/tasker.v1.TaskService/GetTaskContext': 'tasks:context_read',
  '/tasker.v1.TaskService/GetTaskSummary': 'tasks:read',
  '/tasker.v1.TaskService/StreamTaskStatus': 'tasks:read',
  '/tasker.v1.StepService/GetStep': 'steps:read',
  '/tasker.v1.StepService/ListSteps': 'steps:read',
  '/tasker.v1.StepService/ResolveStep': 'steps:resolve',
  '/tasker.v1.StepService/GetStepAudit': 'steps:read',
  '/tasker.v1.TemplateService/ListTemplates': 'templates:read',
  '/tasker.v1.TemplateService/GetTemplate': 'templates:read',
  '/tasker.v1.TemplateService/ValidateTemplate': 'templates:validate',
  '/tasker.v1.AnalyticsService/GetPerformanceMetrics': 'system:analytics_read',
  '/tasker.v1.AnalyticsService/GetBottleneckAnalysis': 'system:analytics_read',
  '/tasker.v1.DlqService/ListEntries': 'dlq:read',
  '/tasker.v1.DlqService/GetEntryByTask': 'dlq:read',
  '/tasker.v1.DlqService/UpdateInvestigation': 'dlq:update',
  '/tasker.v1.DlqService/CreateEntry': 'dlq:update',
  '/tasker.v1.DlqService/GetStats': 'dlq:stats',
  '/tasker.v1.DlqService/GetInvestigationQueue': 'dlq:read',
  '/tasker.v1.DlqService/GetStalenessMonitoring': 'dlq:read',
  '/tasker.v1.ScheduleService/CreateSchedule': 'schedules:create',
  '/tasker.v1.ScheduleService/ListSchedules': 'schedules:read',
  '/tasker.v1.ScheduleService/GetSchedule': 'schedules:read',
  '/tasker.v1.ScheduleService/UpdateSchedule': 'schedules:update',
  '/tasker.v1.ScheduleService/PauseSchedule': 'schedules:update',
  '/tasker.v1.ScheduleService/ResumeSchedule': 'schedules:update',
  '/tasker.v1.ScheduleService/DeleteSchedule': 'schedules:delete',
  '/tasker.v1.ScheduleService/ListScheduleFirings': 'schedules:read',
  '/tasker.v1.HealthService/CheckHealth': 'public',
  '/tasker.v1.HealthService/CheckLiveness': 'public',
  '/tasker.v1.HealthService/CheckReadiness': 'public',
  '/tasker.v1.HealthService/CheckDetailedHealth': 'public',
  '/tasker.v1.ConfigService/GetConfig': 'system:config_read',
  '/tasker.v1.WorkerService/RegisterWorker': 'worker:register',
  '/tasker.v1.WorkerService/ListWorkers': 'workers:read',
  '/tasker.v1.WorkerService/ClaimSteps': 'worker:claim',
  '/tasker.v1.WorkerService/Heartbeat': 'worker:claim',
  '/tasker.v1.WorkerService/CheckpointStep': 'worker:claim',
  '/tasker.v1.WorkerService/CompleteStep': 'worker:report',
  '/tasker.v1.WorkerService/FailStep': 'worker:report',
  '/tasker.v1.WorkerService/ReportResults': 'worker:report',
  '/tasker.v1.WorkerService/ReleaseLeases': 'worker:report',
  '/tasker.v1.WorkerService/RegisterTemplates': 'templates:register',
  '/tasker.v1.AuthService/CreateApiKey': 'auth:manage_keys',
  '/tasker.v1.AuthService/ListApiKeys': 'auth:manage_keys',
  '/tasker.v1.AuthService/RevokeApiKey': 'auth:manage_keys',
  '/grpc.health.v1.Health/Check': 'public',
  '/grpc.health.v1.Health/Watch': 'public',
  [REFLECTION_METHOD_PATH]: 'authenticated',
} as const satisfies Record<GrpcMethodPath, GrpcMethodRequirement>;

/** What `path` requires; `undefined` for a path not in the table (the middleware refuses those). */
export function grpcMethodRequirement(path: string): GrpcMethodRequirement | undefined {
  return Object.hasOwn(GRPC_METHOD_PERMISSIONS, path) ? GRPC_METHOD_PERMISSIONS[path as GrpcMethodPath] : undefined;
}

/** Every method path of a definition, in declaration order. */
export function methodPathsOf(definition: ServiceDef): string[] {
  return Object.values(definition.methods).map((m) => `/${definition.fullName}/${m.name}`);
}

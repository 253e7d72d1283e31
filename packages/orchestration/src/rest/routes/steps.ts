import { stepAuditToRest, stepManualActionFromRest, stepToRest } from '@tasker/shared/convert/rest/index';
import {
  StepAuditListResponseSchema,
  StepListResponseSchema,
  StepManualActionRequestSchema,
  StepResponseSchema,
  TaskStepParamsSchema,
  TaskUuidParamsSchema,
} from '@tasker/shared/schemas/rest/index';
import { PROTECTED_ERRORS, errorResponses, type RouteDeps, type ZodApp } from './deps.js';

export function registerStepRoutes(app: ZodApp, { services }: RouteDeps): void {
  const tags = ['steps'];

  app.get('/v1/tasks/:task_uuid/workflow_steps', {
    schema: {
      tags,
      summary: "A task's steps in creation order",
      params: TaskUuidParamsSchema,
      response: { 200: StepListResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) =>
      (await services.steps.list(request.principal, request.params.task_uuid)).map(stepToRest),
  });

  app.get('/v1/tasks/:task_uuid/workflow_steps/:step_uuid', {
    schema: {
      tags,
      summary: 'One step (404 also when it belongs to another task)',
      params: TaskStepParamsSchema,
      response: { 200: StepResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) =>
      stepToRest(await services.steps.get(request.principal, request.params.task_uuid, request.params.step_uuid)),
  });

  app.patch('/v1/tasks/:task_uuid/workflow_steps/:step_uuid', {
    schema: {
      tags,
      summary: 'Operator action on a step: reset_for_retry, resolve_manually or complete_manually',
      params: TaskStepParamsSchema,
      body: StepManualActionRequestSchema,
      response: { 200: StepResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    },
    handler: async (request) =>
      stepToRest(
        await services.steps.applyManualAction(
          request.principal,
          request.params.task_uuid,
          request.params.step_uuid,
          stepManualActionFromRest(request.body),
        ),
      ),
  });

  app.get('/v1/tasks/:task_uuid/workflow_steps/:step_uuid/audit', {
    schema: {
      tags,
      summary: "A step's worker results and operator actions, newest first",
      params: TaskStepParamsSchema,
      response: { 200: StepAuditListResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) =>
      (await services.steps.audit(request.principal, request.params.task_uuid, request.params.step_uuid)).map(
        stepAuditToRest,
      ),
  });
}

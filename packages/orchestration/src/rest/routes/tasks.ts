import {
  cancelTaskInputFromRest,
  createdTaskToRest,
  createTaskInputFromRest,
  resolveTaskInputFromRest,
  resumeTaskInputFromRest,
  taskContextToRest,
  taskListQueryFromRest,
  taskPageToRest,
  taskSummaryToRest,
  taskToRest,
  taskWithStepsToRest,
} from '@tasker/shared/convert/rest/index';
import {
  CancelTaskRequestSchema,
  CreateTaskRequestSchema,
  CreateTaskResponseSchema,
  ResolveTaskRequestSchema,
  ResumeTaskRequestSchema,
  TaskContextResponseSchema,
  TaskGetQuerySchema,
  TaskListQuerySchema,
  TaskListResponseSchema,
  TaskResponseSchema,
  TaskSummaryResponseSchema,
  TaskUuidParamsSchema,
} from '@tasker/shared/schemas/rest/index';
import { PROTECTED_ERRORS, errorResponses, type RouteDeps, type ZodApp } from './deps.js';

export function registerTaskRoutes(app: ZodApp, { services }: RouteDeps): void {
  const tags = ['tasks'];

  app.post('/v1/tasks', {
    schema: {
      tags,
      summary: 'Create a task from a registered template',
      description:
        'Validates `context` against the template input schema; 409 when the identity hash exists. The body is the task plus ' +
        '`backpressure`: the queue depth and limit of its namespace; 503 BACKPRESSURE (with Retry-After) while that namespace is full.',
      body: CreateTaskRequestSchema,
      response: { 201: CreateTaskResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404, 409, 503) },
    },
    handler: async (request, reply) => {
      const created = await services.tasks.createWithAdmission(
        request.principal,
        createTaskInputFromRest(request.body),
      );
      return reply.code(201).header('location', `/v1/tasks/${created.task.taskUuid}`).send(createdTaskToRest(created));
    },
  });

  app.get('/v1/tasks', {
    schema: {
      tags,
      summary: 'List tasks, newest first unless sorted',
      querystring: TaskListQuerySchema,
      response: { 200: TaskListResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      taskPageToRest(await services.tasks.list(request.principal, taskListQueryFromRest(request.query))),
  });

  app.get('/v1/tasks/:task_uuid', {
    schema: {
      tags,
      summary: 'Get a task (with its steps when include_steps=true)',
      params: TaskUuidParamsSchema,
      querystring: TaskGetQuerySchema,
      response: { 200: TaskResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) => {
      const { principal } = request;
      const uuid = request.params.task_uuid;
      return request.query.include_steps === true
        ? taskWithStepsToRest(await services.tasks.getWithSteps(principal, uuid))
        : taskToRest(await services.tasks.get(principal, uuid));
    },
  });

  app.get('/v1/tasks/:task_uuid/summary', {
    schema: {
      tags,
      summary: 'Task, template outline, step summaries and DLQ status in one view',
      params: TaskUuidParamsSchema,
      response: { 200: TaskSummaryResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) =>
      taskSummaryToRest(await services.tasks.summary(request.principal, request.params.task_uuid)),
  });

  app.get('/v1/tasks/:task_uuid/context', {
    schema: {
      tags,
      summary: "The task's input context, its steps' results, and both merged",
      params: TaskUuidParamsSchema,
      response: { 200: TaskContextResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) =>
      taskContextToRest(await services.tasks.getContext(request.principal, request.params.task_uuid)),
  });

  app.delete('/v1/tasks/:task_uuid', {
    schema: {
      tags,
      summary: 'Cancel a task and every unfinished step',
      description: 'The JSON body is optional. 409 INVALID_STATE when the task is already finished.',
      params: TaskUuidParamsSchema,
      // Fastify hands a missing body over as null.
      body: CancelTaskRequestSchema.nullish(),
      response: { 200: TaskResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    },
    handler: async (request) =>
      taskToRest(
        await services.tasks.cancel(request.principal, request.params.task_uuid, cancelTaskInputFromRest(request.body)),
      ),
  });

  app.post('/v1/tasks/:task_uuid/resume', {
    schema: {
      tags,
      summary: 'Resume an error task whose failed steps were fixed',
      params: TaskUuidParamsSchema,
      body: ResumeTaskRequestSchema,
      response: { 200: TaskResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    },
    handler: async (request) =>
      taskToRest(
        await services.tasks.resume(request.principal, request.params.task_uuid, resumeTaskInputFromRest(request.body)),
      ),
  });

  app.post('/v1/tasks/:task_uuid/resolve', {
    schema: {
      tags,
      summary: 'Close a blocked or error task as resolved_manually',
      description:
        'Audited (performed_by, reason). Steps still pending, enqueued, running or backing off are cancelled; failed steps stay in error; the pending DLQ entry becomes manually_resolved. 409 INVALID_STATE for any other task state.',
      params: TaskUuidParamsSchema,
      body: ResolveTaskRequestSchema,
      response: { 200: TaskResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    },
    handler: async (request) =>
      taskToRest(
        await services.tasks.resolve(
          request.principal,
          request.params.task_uuid,
          resolveTaskInputFromRest(request.body),
        ),
      ),
  });
}

import {
  dlqCreateInputFromRest,
  dlqEntryToRest,
  dlqInvestigationItemToRest,
  dlqListQueryFromRest,
  dlqStatsToRest,
  dlqUpdateInputFromRest,
  stalenessItemToRest,
} from '@tasker/shared/convert/rest/index';
import {
  DlqCreateRequestSchema,
  DlqEntryListResponseSchema,
  DlqEntryParamsSchema,
  DlqEntrySchema,
  DlqInvestigationQueueResponseSchema,
  DlqLimitQuerySchema,
  DlqListQuerySchema,
  DlqStatsListResponseSchema,
  DlqUpdateRequestSchema,
  StalenessResponseSchema,
  TaskUuidParamsSchema,
} from '@tasker/shared/schemas/rest/index';
import type { DlqService } from '../../services/types.js';
import { PROTECTED_ERRORS, errorResponses, type ZodApp } from './deps.js';

export function registerDlqRoutes(app: ZodApp, dlq: DlqService): void {
  const tags = ['dlq'];

  app.get('/v1/dlq', {
    schema: {
      tags,
      summary: 'DLQ entries, newest first',
      querystring: DlqListQuerySchema,
      response: { 200: DlqEntryListResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      (await dlq.list(request.principal, dlqListQueryFromRest(request.query))).map(dlqEntryToRest),
  });

  app.get('/v1/dlq/task/:task_uuid', {
    schema: {
      tags,
      summary: 'The latest DLQ entry of a task',
      params: TaskUuidParamsSchema,
      response: { 200: DlqEntrySchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) => dlqEntryToRest(await dlq.getByTask(request.principal, request.params.task_uuid)),
  });

  app.post('/v1/dlq/task/:task_uuid', {
    schema: {
      tags,
      summary: 'Open a manual_dlq investigation of a task',
      description:
        'Any task state; the entry gets a snapshot of the task and who opened it and why. 409 ALREADY_EXISTS (details.dlq_entry_uuid) while the task has a pending entry.',
      params: TaskUuidParamsSchema,
      body: DlqCreateRequestSchema,
      response: { 201: DlqEntrySchema, ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    },
    handler: async (request, reply) => {
      const entry = await dlq.create(request.principal, request.params.task_uuid, dlqCreateInputFromRest(request.body));
      return reply.code(201).send(dlqEntryToRest(entry));
    },
  });

  app.patch('/v1/dlq/entry/:dlq_entry_uuid', {
    schema: {
      tags,
      summary: 'Record the investigation: status, notes, who resolved it',
      params: DlqEntryParamsSchema,
      body: DlqUpdateRequestSchema,
      response: { 200: DlqEntrySchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) =>
      dlqEntryToRest(
        await dlq.update(request.principal, request.params.dlq_entry_uuid, dlqUpdateInputFromRest(request.body)),
      ),
  });

  app.get('/v1/dlq/stats', {
    schema: {
      tags,
      summary: 'Entry counts per reason and resolution',
      response: { 200: DlqStatsListResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) => (await dlq.stats(request.principal)).map(dlqStatsToRest),
  });

  app.get('/v1/dlq/investigation-queue', {
    schema: {
      tags,
      summary: 'Pending entries by priority score',
      querystring: DlqLimitQuerySchema,
      response: { 200: DlqInvestigationQueueResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      (await dlq.investigationQueue(request.principal, request.query.limit)).map(dlqInvestigationItemToRest),
  });

  app.get('/v1/dlq/staleness', {
    schema: {
      tags,
      summary: 'Tasks approaching or past their staleness thresholds',
      querystring: DlqLimitQuerySchema,
      response: { 200: StalenessResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) => (await dlq.staleness(request.principal, request.query.limit)).map(stalenessItemToRest),
  });
}

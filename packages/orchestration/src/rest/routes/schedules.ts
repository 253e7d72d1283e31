import {
  scheduleCreateInputFromRest,
  scheduleFiringToRest,
  scheduleListQueryFromRest,
  scheduleToRest,
  scheduleUpdateInputFromRest,
} from '@tasker/shared/convert/rest/index';
import {
  ScheduleCreateRequestSchema,
  ScheduleFiringListResponseSchema,
  ScheduleFiringsQuerySchema,
  ScheduleListQuerySchema,
  ScheduleListResponseSchema,
  ScheduleParamsSchema,
  ScheduleSchema,
  ScheduleUpdateRequestSchema,
} from '@tasker/shared/schemas/rest/index';
import type { ScheduleService } from '../../services/types.js';
import { PROTECTED_ERRORS, errorResponses, type ZodApp } from './deps.js';

export function registerScheduleRoutes(app: ZodApp, schedules: ScheduleService): void {
  const tags = ['schedules'];
  const one = { 200: ScheduleSchema, ...errorResponses(...PROTECTED_ERRORS, 404) };

  app.post('/v1/schedules', {
    schema: {
      tags,
      summary: 'Create a schedule (cron expression in a time zone, or a fixed interval)',
      description:
        'Exactly one of cron_expression and interval_seconds. 400 VALIDATION_FAILED naming the field for a bad cron expression, time zone or policy; 404 for an unknown template.',
      body: ScheduleCreateRequestSchema,
      response: { 201: ScheduleSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request, reply) => {
      const schedule = await schedules.create(request.principal, scheduleCreateInputFromRest(request.body));
      return reply.code(201).send(scheduleToRest(schedule));
    },
  });

  app.get('/v1/schedules', {
    schema: {
      tags,
      summary: 'Schedules, oldest first',
      querystring: ScheduleListQuerySchema,
      response: { 200: ScheduleListResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      (await schedules.list(request.principal, scheduleListQueryFromRest(request.query))).map(scheduleToRest),
  });

  app.get('/v1/schedules/:schedule_uuid', {
    schema: {
      tags,
      summary: 'A schedule with its next and last fire times',
      params: ScheduleParamsSchema,
      response: one,
    },
    handler: async (request) => scheduleToRest(await schedules.get(request.principal, request.params.schedule_uuid)),
  });

  app.patch('/v1/schedules/:schedule_uuid', {
    schema: {
      tags,
      summary: 'Change a schedule; a trigger change recomputes next_fire_at',
      params: ScheduleParamsSchema,
      body: ScheduleUpdateRequestSchema,
      response: one,
    },
    handler: async (request) =>
      scheduleToRest(
        await schedules.update(
          request.principal,
          request.params.schedule_uuid,
          scheduleUpdateInputFromRest(request.body),
        ),
      ),
  });

  app.post('/v1/schedules/:schedule_uuid/pause', {
    schema: { tags, summary: 'Pause a schedule (idempotent)', params: ScheduleParamsSchema, response: one },
    handler: async (request) => scheduleToRest(await schedules.pause(request.principal, request.params.schedule_uuid)),
  });

  app.post('/v1/schedules/:schedule_uuid/resume', {
    schema: {
      tags,
      summary: 'Resume a schedule from the first tick after now (idempotent)',
      params: ScheduleParamsSchema,
      response: one,
    },
    handler: async (request) => scheduleToRest(await schedules.resume(request.principal, request.params.schedule_uuid)),
  });

  app.delete('/v1/schedules/:schedule_uuid', {
    schema: {
      tags,
      summary: 'Delete a schedule and its firings; the tasks it created stay',
      params: ScheduleParamsSchema,
      response: one,
    },
    handler: async (request) => scheduleToRest(await schedules.delete(request.principal, request.params.schedule_uuid)),
  });

  app.get('/v1/schedules/:schedule_uuid/firings', {
    schema: {
      tags,
      summary: 'The ticks a schedule handled, newest first, with the tasks they created',
      params: ScheduleParamsSchema,
      querystring: ScheduleFiringsQuerySchema,
      response: { 200: ScheduleFiringListResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) =>
      (await schedules.listFirings(request.principal, request.params.schedule_uuid, request.query)).map(
        scheduleFiringToRest,
      ),
  });
}

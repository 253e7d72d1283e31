// Schedule scenarios: every ScheduleService operation, and bad triggers, on both transports.
import {
  scheduleCreateInputToProto,
  scheduleFiringFromProto,
  scheduleFromProto,
  scheduleListQueryToProto,
  scheduleUpdateToProto,
} from '@tasker/shared/convert/proto/index';
import {
  scheduleCreateInputToRest,
  scheduleFiringFromRest,
  scheduleFromRest,
  scheduleUpdateInputToRest,
} from '@tasker/shared/convert/rest/index';
import {
  ScheduleFiringListResponseSchema,
  ScheduleListResponseSchema,
  ScheduleSchema,
} from '@tasker/shared/schemas/rest/index';
import type { Schedule, ScheduleCreateInput } from '@tasker/shared';
import { ScheduleOverlapPolicy } from '@tasker/shared/gen/tasker/v1/schedules';
import { expect } from 'vitest';
import { MISSING_UUID, PARITY_NAMESPACE } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { ParityContext, Scenario } from '../types.js';

function scheduleInput(ctx: ParityContext, overrides: Partial<ScheduleCreateInput> = {}): ScheduleCreateInput {
  return {
    namespace: PARITY_NAMESPACE,
    name: 'parity_linear',
    version: '1.0.0',
    context: { order: ctx.token },
    cronExpression: '0 9 * * 1-5',
    timeZone: 'Europe/Berlin',
    overlapPolicy: 'skip',
    catchUpPolicy: 'run_all',
    catchUpCap: 7,
    // Paused: the scenario compares stored values, not the scheduler's firings.
    paused: true,
    ...overrides,
  };
}

/** A paused schedule made through the service, deleted after the run. */
async function givenSchedule(ctx: ParityContext, overrides: Partial<ScheduleCreateInput> = {}): Promise<Schedule> {
  const schedule = await ctx.services.schedules!.create(ctx.principal, scheduleInput(ctx, overrides));
  ctx.cleanup(() => ctx.services.schedules!.delete(ctx.principal, schedule.scheduleUuid));
  return schedule;
}

const one = (ctx: ParityContext, method: string, path: string, json?: unknown) =>
  ctx.rest
    .call(method, path, json === undefined ? {} : { json })
    .then((r) => restOutcome(r, ScheduleSchema, scheduleFromRest));

function expectStored(value: unknown, token: string): void {
  expect(value).toMatchObject({
    namespace: PARITY_NAMESPACE,
    name: 'parity_linear',
    cronExpression: '0 9 * * 1-5',
    timeZone: 'Europe/Berlin',
    overlapPolicy: 'skip',
    catchUpPolicy: 'run_all',
    catchUpCap: 7,
    context: { order: token },
  });
}

export const SCHEDULE_SCENARIOS: Scenario[] = [
  {
    name: 'create a cron schedule in a time zone',
    restCall: 'POST /v1/schedules',
    grpcCall: 'ScheduleService.CreateSchedule',
    expect: 'ok',
    rest: async (ctx) => {
      const r = await one(ctx, 'POST', '/v1/schedules', scheduleCreateInputToRest(scheduleInput(ctx)));
      if (r.ok) ctx.cleanup(() => ctx.services.schedules!.delete(ctx.principal, (r.value as Schedule).scheduleUuid));
      return r;
    },
    grpc: async (ctx) => {
      const r = await grpcOutcome(
        ctx.grpc.schedules.createSchedule(scheduleCreateInputToProto(scheduleInput(ctx))),
        (x) => scheduleFromProto(x.schedule),
      );
      if (r.ok) ctx.cleanup(() => ctx.services.schedules!.delete(ctx.principal, (r.value as Schedule).scheduleUuid));
      return r;
    },
    check: (value, { token }) => {
      expectStored(value, token);
      expect(value).toMatchObject({ paused: true, nextFireAt: null, lastFireAt: null });
    },
  },
  {
    name: 'get a schedule',
    restCall: 'GET /v1/schedules/{schedule_uuid}',
    grpcCall: 'ScheduleService.GetSchedule',
    expect: 'ok',
    rest: async (ctx) => one(ctx, 'GET', `/v1/schedules/${(await givenSchedule(ctx)).scheduleUuid}`),
    grpc: async (ctx) => {
      const s = await givenSchedule(ctx);
      return grpcOutcome(ctx.grpc.schedules.getSchedule({ scheduleUuid: s.scheduleUuid }), (x) =>
        scheduleFromProto(x.schedule),
      );
    },
    check: (value, { token }) => expectStored(value, token),
  },
  {
    name: 'list the schedules of a namespace (the one made here is among them)',
    restCall: 'GET /v1/schedules',
    grpcCall: 'ScheduleService.ListSchedules',
    expect: 'ok',
    rest: async (ctx) => {
      const s = await givenSchedule(ctx);
      const r = await ctx.rest.call('GET', '/v1/schedules', { query: { namespace: PARITY_NAMESPACE, limit: '1000' } });
      return restOutcome(r, ScheduleListResponseSchema, (b) =>
        b.map(scheduleFromRest).filter((x) => x.scheduleUuid === s.scheduleUuid),
      );
    },
    grpc: async (ctx) => {
      const s = await givenSchedule(ctx);
      const q = scheduleListQueryToProto({ namespace: PARITY_NAMESPACE, limit: 1000, offset: 0 });
      return grpcOutcome(ctx.grpc.schedules.listSchedules(q), (r) =>
        r.schedules.map((x) => scheduleFromProto(x)).filter((x) => x.scheduleUuid === s.scheduleUuid),
      );
    },
    check: (value) => expect(value).toHaveLength(1),
  },
  {
    name: 'update a schedule to a fixed interval',
    restCall: 'PATCH /v1/schedules/{schedule_uuid}',
    grpcCall: 'ScheduleService.UpdateSchedule',
    expect: 'ok',
    rest: async (ctx) => {
      const s = await givenSchedule(ctx);
      return one(ctx, 'PATCH', `/v1/schedules/${s.scheduleUuid}`, scheduleUpdateInputToRest({ intervalSeconds: 90 }));
    },
    grpc: async (ctx) => {
      const s = await givenSchedule(ctx);
      const req = scheduleUpdateToProto({ scheduleUuid: s.scheduleUuid, input: { intervalSeconds: 90 } });
      return grpcOutcome(ctx.grpc.schedules.updateSchedule(req), (x) => scheduleFromProto(x.schedule));
    },
    check: (value) => expect(value).toMatchObject({ cronExpression: null, timeZone: null, intervalSeconds: 90 }),
  },
  {
    name: 'resume a paused schedule (next fire time appears)',
    restCall: 'POST /v1/schedules/{schedule_uuid}/resume',
    grpcCall: 'ScheduleService.ResumeSchedule',
    expect: 'ok',
    rest: async (ctx) => one(ctx, 'POST', `/v1/schedules/${(await givenSchedule(ctx)).scheduleUuid}/resume`),
    grpc: async (ctx) => {
      const s = await givenSchedule(ctx);
      return grpcOutcome(ctx.grpc.schedules.resumeSchedule({ scheduleUuid: s.scheduleUuid }), (x) =>
        scheduleFromProto(x.schedule),
      );
    },
    check: (value) => {
      expect(value).toMatchObject({ paused: false });
      expect((value as Schedule).nextFireAt).toBeInstanceOf(Date);
    },
  },
  {
    name: 'pause a schedule',
    restCall: 'POST /v1/schedules/{schedule_uuid}/pause',
    grpcCall: 'ScheduleService.PauseSchedule',
    expect: 'ok',
    rest: async (ctx) =>
      one(ctx, 'POST', `/v1/schedules/${(await givenSchedule(ctx, { paused: false })).scheduleUuid}/pause`),
    grpc: async (ctx) => {
      const s = await givenSchedule(ctx, { paused: false });
      return grpcOutcome(ctx.grpc.schedules.pauseSchedule({ scheduleUuid: s.scheduleUuid }), (x) =>
        scheduleFromProto(x.schedule),
      );
    },
    check: (value) => expect(value).toMatchObject({ paused: true, nextFireAt: null }),
  },
  {
    name: 'the firings of a schedule that has not fired',
    restCall: 'GET /v1/schedules/{schedule_uuid}/firings',
    grpcCall: 'ScheduleService.ListScheduleFirings',
    expect: 'ok',
    rest: async (ctx) => {
      const s = await givenSchedule(ctx);
      const r = await ctx.rest.call('GET', `/v1/schedules/${s.scheduleUuid}/firings`);
      return restOutcome(r, ScheduleFiringListResponseSchema, (b) => b.map(scheduleFiringFromRest));
    },
    grpc: async (ctx) => {
      const s = await givenSchedule(ctx);
      return grpcOutcome(ctx.grpc.schedules.listScheduleFirings({ scheduleUuid: s.scheduleUuid }), (r) =>
        r.firings.map((f) => scheduleFiringFromProto(f)),
      );
    },
    check: (value) => expect(value).toEqual([]),
  },
  {
    name: 'delete a schedule',
    restCall: 'DELETE /v1/schedules/{schedule_uuid}',
    grpcCall: 'ScheduleService.DeleteSchedule',
    expect: 'ok',
    rest: async (ctx) => {
      const s = await ctx.services.schedules!.create(ctx.principal, scheduleInput(ctx));
      return one(ctx, 'DELETE', `/v1/schedules/${s.scheduleUuid}`);
    },
    grpc: async (ctx) => {
      const s = await ctx.services.schedules!.create(ctx.principal, scheduleInput(ctx));
      return grpcOutcome(ctx.grpc.schedules.deleteSchedule({ scheduleUuid: s.scheduleUuid }), (x) =>
        scheduleFromProto(x.schedule),
      );
    },
    check: (value, { token }) => expectStored(value, token),
  },
  {
    name: 'a schedule that does not exist',
    restCall: 'GET /v1/schedules/{schedule_uuid}',
    grpcCall: 'ScheduleService.GetSchedule',
    expect: 'NOT_FOUND',
    rest: (ctx) => one(ctx, 'GET', `/v1/schedules/${MISSING_UUID}`),
    grpc: (ctx) =>
      grpcOutcome(ctx.grpc.schedules.getSchedule({ scheduleUuid: MISSING_UUID }), (x) => scheduleFromProto(x.schedule)),
  },
  {
    name: 'create with an invalid cron expression',
    restCall: 'POST /v1/schedules',
    grpcCall: 'ScheduleService.CreateSchedule',
    expect: 'VALIDATION_FAILED',
    rest: (ctx) =>
      one(
        ctx,
        'POST',
        '/v1/schedules',
        scheduleCreateInputToRest(scheduleInput(ctx, { cronExpression: '61 * * * *' })),
      ),
    grpc: (ctx) =>
      grpcOutcome(
        ctx.grpc.schedules.createSchedule(
          scheduleCreateInputToProto(scheduleInput(ctx, { cronExpression: '61 * * * *' })),
        ),
        (x) => scheduleFromProto(x.schedule),
      ),
  },
  {
    name: 'create with an unknown time zone',
    restCall: 'POST /v1/schedules',
    grpcCall: 'ScheduleService.CreateSchedule',
    expect: 'VALIDATION_FAILED',
    rest: (ctx) =>
      one(ctx, 'POST', '/v1/schedules', scheduleCreateInputToRest(scheduleInput(ctx, { timeZone: 'Mars/Olympus' }))),
    grpc: (ctx) =>
      grpcOutcome(
        ctx.grpc.schedules.createSchedule(scheduleCreateInputToProto(scheduleInput(ctx, { timeZone: 'Mars/Olympus' }))),
        (x) => scheduleFromProto(x.schedule),
      ),
  },
  {
    name: 'create with both a cron expression and an interval',
    restCall: 'POST /v1/schedules',
    grpcCall: 'ScheduleService.CreateSchedule',
    expect: 'VALIDATION_FAILED',
    rest: (ctx) =>
      one(ctx, 'POST', '/v1/schedules', scheduleCreateInputToRest(scheduleInput(ctx, { intervalSeconds: 60 }))),
    grpc: (ctx) =>
      grpcOutcome(
        ctx.grpc.schedules.createSchedule(scheduleCreateInputToProto(scheduleInput(ctx, { intervalSeconds: 60 }))),
        (x) => scheduleFromProto(x.schedule),
      ),
  },
  {
    name: 'create with an unknown overlap policy (UNSPECIFIED on gRPC)',
    restCall: 'POST /v1/schedules',
    grpcCall: 'ScheduleService.CreateSchedule',
    expect: 'VALIDATION_FAILED',
    rest: (ctx) =>
      one(ctx, 'POST', '/v1/schedules', {
        ...scheduleCreateInputToRest(scheduleInput(ctx)),
        overlap_policy: 'sometimes',
      }),
    grpc: (ctx) =>
      grpcOutcome(
        ctx.grpc.schedules.createSchedule({
          ...scheduleCreateInputToProto(scheduleInput(ctx)),
          overlapPolicy: ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED,
        }),
        (x) => scheduleFromProto(x.schedule),
      ),
  },
];

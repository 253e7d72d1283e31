import { describe, expect, it } from 'vitest';
import {
  CreateScheduleRequest,
  ListScheduleFiringsRequest,
  ListSchedulesRequest,
  Schedule as PbSchedule,
  ScheduleCatchUpPolicy,
  ScheduleFiring as PbScheduleFiring,
  ScheduleOverlapPolicy,
  UpdateScheduleRequest,
} from '../../gen/tasker/v1/schedules.js';
import type { ScheduleCreateInput } from '../../domain/schedule.js';
import { makeSchedule, makeScheduleFiring, makeUuid } from '../../testing/builders.js';
import { validationFieldsOf, wire } from '../../testing/proto-builders.js';
import {
  scheduleCreateInputFromProto,
  scheduleCreateInputToProto,
  scheduleFiringFromProto,
  scheduleFiringToProto,
  scheduleFiringsQueryFromProto,
  scheduleFiringsQueryToProto,
  scheduleFromProto,
  scheduleListQueryFromProto,
  scheduleListQueryToProto,
  scheduleToProto,
  scheduleUpdateFromProto,
  scheduleUpdateToProto,
  scheduleUuidFromProto,
} from './schedule.js';

const FULL_INPUT: ScheduleCreateInput = {
  namespace: 'billing',
  name: 'invoice_settlement',
  version: '1.0.0',
  context: { invoice_id: 7 },
  cronExpression: '*/5 * * * * *',
  timeZone: 'Asia/Tokyo',
  overlapPolicy: 'skip',
  catchUpPolicy: 'run_once',
  catchUpCap: 3,
  paused: true,
};

describe('schedule ↔ proto', () => {
  it.each([
    ['cron, fully populated', makeSchedule()],
    [
      'interval, never fired, paused',
      makeSchedule({
        cronExpression: null,
        timeZone: null,
        intervalSeconds: 90,
        context: {},
        paused: true,
        nextFireAt: null,
        lastFireAt: null,
      }),
    ],
  ])('%s round-trips through the wire', (_label, schedule) => {
    expect(scheduleFromProto(wire(PbSchedule, scheduleToProto(schedule)))).toEqual(schedule);
  });

  it('firings round-trip, created and failed', () => {
    for (const f of [
      makeScheduleFiring(),
      makeScheduleFiring({ outcome: 'failed', taskUuid: null, error: 'NOT_FOUND: template gone' }),
    ]) {
      expect(scheduleFiringFromProto(wire(PbScheduleFiring, scheduleFiringToProto(f)))).toEqual(f);
    }
  });

  it('create requests round-trip, full and minimal', () => {
    const minimal: ScheduleCreateInput = { namespace: 'n', name: 'x', version: '1', intervalSeconds: 60 };
    for (const input of [FULL_INPUT, minimal]) {
      expect(scheduleCreateInputFromProto(wire(CreateScheduleRequest, scheduleCreateInputToProto(input)))).toEqual(
        input,
      );
    }
  });

  it('update, list and firings requests round-trip', () => {
    const update = {
      scheduleUuid: makeUuid(),
      input: {
        version: '2.0.0',
        context: { a: 1 },
        intervalSeconds: 30,
        catchUpCap: 9,
        overlapPolicy: 'allow' as const,
      },
    };
    expect(scheduleUpdateFromProto(wire(UpdateScheduleRequest, scheduleUpdateToProto(update)))).toEqual(update);
    const list = { namespace: 'billing', limit: 10, offset: 5 };
    expect(scheduleListQueryFromProto(wire(ListSchedulesRequest, scheduleListQueryToProto(list)))).toEqual(list);
    const firings = { scheduleUuid: makeUuid(), query: { limit: 3, offset: 0 } };
    expect(
      scheduleFiringsQueryFromProto(wire(ListScheduleFiringsRequest, scheduleFiringsQueryToProto(firings))),
    ).toEqual(firings);
  });

  it('absent paging gets the REST defaults', () => {
    expect(scheduleListQueryFromProto({})).toEqual({ limit: 50, offset: 0 });
  });

  it('rejects bad fields naming each', () => {
    expect(
      validationFieldsOf(() =>
        scheduleCreateInputFromProto({
          namespace: '',
          name: 'x',
          version: '1',
          context: undefined,
          intervalSeconds: 0,
          overlapPolicy: ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED,
          catchUpPolicy: ScheduleCatchUpPolicy.SCHEDULE_CATCH_UP_POLICY_UNSPECIFIED,
          catchUpCap: 0,
        }),
      ),
    ).toEqual(['catch_up_cap', 'catch_up_policy', 'interval_seconds', 'namespace', 'overlap_policy']);
    expect(validationFieldsOf(() => scheduleUuidFromProto({ scheduleUuid: 'nope' }))).toEqual(['schedule_uuid']);
    expect(validationFieldsOf(() => scheduleListQueryFromProto({ limit: 0 }))).toEqual(['limit']);
  });
});

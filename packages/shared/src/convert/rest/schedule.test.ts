import { describe, expect, it } from 'vitest';
import type { ScheduleCreateInput, ScheduleUpdateInput } from '../../domain/schedule.js';
import {
  ScheduleCreateRequestSchema,
  ScheduleFiringSchema,
  ScheduleSchema,
  ScheduleUpdateRequestSchema,
} from '../../schemas/rest/schedule.js';
import { makeSchedule, makeScheduleFiring } from '../../testing/builders.js';
import {
  scheduleCreateInputFromRest,
  scheduleCreateInputToRest,
  scheduleFiringFromRest,
  scheduleFiringToRest,
  scheduleFromRest,
  scheduleListQueryFromRest,
  scheduleListQueryToRest,
  scheduleToRest,
  scheduleUpdateInputFromRest,
  scheduleUpdateInputToRest,
} from './schedule.js';

describe('schedule ↔ REST', () => {
  it.each([
    ['cron', makeSchedule()],
    [
      'interval, paused',
      makeSchedule({ cronExpression: null, timeZone: null, intervalSeconds: 60, paused: true, nextFireAt: null }),
    ],
  ])('%s: the response parses and round-trips', (_label, s) => {
    const body = ScheduleSchema.parse(scheduleToRest(s));
    expect(scheduleFromRest(body)).toEqual(s);
  });

  it('firings parse and round-trip', () => {
    for (const f of [makeScheduleFiring(), makeScheduleFiring({ outcome: 'skipped', taskUuid: null })]) {
      expect(scheduleFiringFromRest(ScheduleFiringSchema.parse(scheduleFiringToRest(f)))).toEqual(f);
    }
  });

  it('create and update bodies round-trip', () => {
    const create: ScheduleCreateInput = {
      namespace: 'billing',
      name: 'invoice_settlement',
      version: '1.0.0',
      context: { a: 1 },
      cronExpression: '0 * * * *',
      timeZone: 'UTC',
      overlapPolicy: 'buffer_one',
      catchUpPolicy: 'skip_missed',
      catchUpCap: 4,
      paused: false,
    };
    expect(scheduleCreateInputFromRest(ScheduleCreateRequestSchema.parse(scheduleCreateInputToRest(create)))).toEqual(
      create,
    );
    const update: ScheduleUpdateInput = { intervalSeconds: 15, catchUpPolicy: 'run_all' };
    expect(scheduleUpdateInputFromRest(ScheduleUpdateRequestSchema.parse(scheduleUpdateInputToRest(update)))).toEqual(
      update,
    );
    const q = { namespace: 'billing', limit: 7, offset: 2 };
    expect(scheduleListQueryToRest(q)).toEqual({ namespace: 'billing', limit: '7', offset: '2' });
    expect(scheduleListQueryFromRest(q)).toEqual(q);
  });

  it('the body schemas refuse out-of-range and unknown fields', () => {
    const base = { namespace: 'n', name: 'x', version: '1' };
    expect(ScheduleCreateRequestSchema.safeParse({ ...base, interval_seconds: 0 }).success).toBe(false);
    expect(ScheduleCreateRequestSchema.safeParse({ ...base, overlap_policy: 'never' }).success).toBe(false);
    expect(ScheduleCreateRequestSchema.safeParse({ ...base, cron: '* * * * *' }).success).toBe(false);
  });
});

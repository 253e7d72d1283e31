// The trigger of a stored schedule row.
import type { ScheduleRow } from '../repositories/schedules.js';
import type { ScheduleTrigger } from './schedule-times.js';

export function triggerOf(
  s: Pick<ScheduleRow, 'cron_expression' | 'time_zone' | 'interval_seconds' | 'trigger_anchor_at'>,
): ScheduleTrigger {
  if (s.cron_expression !== null) {
    return { kind: 'cron', expression: s.cron_expression, timeZone: s.time_zone ?? 'UTC' };
  }
  return { kind: 'interval', seconds: s.interval_seconds ?? 1, anchor: s.trigger_anchor_at };
}

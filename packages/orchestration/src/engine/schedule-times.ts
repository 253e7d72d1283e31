// Fire times of a schedule's trigger. Cron expressions (5 fields, or 6 with seconds) are parsed and evaluated
// by croner in the schedule's IANA time zone; intervals count from the schedule's anchor (its creation or its
// last trigger change) in whole multiples.
import { Cron } from 'croner';
import type { FieldProblem } from '@tasker/shared/errors';

export type ScheduleTrigger =
  { kind: 'cron'; expression: string; timeZone: string } | { kind: 'interval'; seconds: number; anchor: Date };

/** The IANA zone names Intl knows (the same database croner converts with). */
export function timeZoneProblem(timeZone: string, path = 'time_zone'): FieldProblem | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return undefined;
  } catch {
    return { path, message: `is not a known IANA time zone: ${timeZone}` };
  }
}

/** croner's own parse error, or one that never fires. */
export function cronExpressionProblem(expression: string, path = 'cron_expression'): FieldProblem | undefined {
  try {
    const cron = new Cron(expression, { paused: true, mode: '5-or-6-parts', timezone: 'UTC' });
    if (cron.nextRun() === null) return { path, message: 'never fires' };
    return undefined;
  } catch (err) {
    return { path, message: `is not a valid cron expression (${(err as Error).message})` };
  }
}

/** Something that computes the first fire time strictly after a moment. */
export interface FireTimes {
  after(moment: Date): Date | null;
}

export function fireTimesOf(trigger: ScheduleTrigger): FireTimes {
  if (trigger.kind === 'interval') {
    const periodMs = trigger.seconds * 1000;
    const anchorMs = trigger.anchor.getTime();
    return {
      after(moment) {
        const elapsed = moment.getTime() - anchorMs;
        const periods = elapsed < 0 ? 0 : Math.floor(elapsed / periodMs) + 1;
        return new Date(anchorMs + periods * periodMs);
      },
    };
  }
  const cron = new Cron(trigger.expression, { paused: true, mode: '5-or-6-parts', timezone: trigger.timeZone });
  return { after: (moment) => cron.nextRun(moment) };
}

export interface DueTicks {
  /** Due ticks older than the misfire grace, oldest first; at most `keep` of the newest are listed. */
  missed: Date[];
  /** How many missed ticks there were in all (may exceed `missed.length`). */
  missedCount: number;
  /** The first due tick within the grace, or null. */
  onTime: Date | null;
  /** The first tick after the ones above (missed and on time): what next_fire_at becomes once they are handled. */
  following: Date | null;
}

/** Walks the ticks from `first` (the stored next_fire_at) up to `now`. `keep` bounds the missed list. */
export function dueTicks(times: FireTimes, first: Date, now: Date, graceMs: number, keep: number): DueTicks {
  const missed: Date[] = [];
  let missedCount = 0;
  let tick: Date | null = first;
  const lateBefore = now.getTime() - graceMs;
  while (tick !== null && tick.getTime() < lateBefore) {
    missedCount += 1;
    missed.push(tick);
    if (missed.length > keep) missed.shift();
    tick = times.after(tick);
  }
  if (tick !== null && tick.getTime() <= now.getTime()) {
    return { missed, missedCount, onTime: tick, following: times.after(tick) };
  }
  return { missed, missedCount, onTime: null, following: tick };
}

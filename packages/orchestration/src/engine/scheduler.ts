// The scheduler loop: turns due schedule ticks into tasks. Safe on every replica at once: each run claims one due
// schedule with FOR UPDATE SKIP LOCKED and handles one tick in one transaction (insert the firing, create the task
// through the tasks service, advance next_fire_at), so replicas share the due schedules and a tick, keyed by
// (schedule_uuid, fire_at), creates its task exactly once. It sleeps until the earliest next_fire_at; the engine
// pulse wakes it for a schedule created or resumed on another replica and while a firing is buffered, so an idle
// replica pays nothing beyond the pulse.
//
// A tick later than schedules.misfire_grace_ms is missed (the replicas were down); the catch-up policy decides:
//   skip_missed  no task; next_fire_at moves to the first tick within the grace (or the future)
//   run_once     one task for all missed ticks (fire time: the newest missed tick)
//   run_all      one task per missed tick, oldest first; beyond catch_up_cap only the newest cap ticks
// The overlap policy decides about the tick's task while the schedule's previous task is unfinished:
//   allow        created anyway
//   skip         firing recorded as skipped, no task
//   buffer_one   firing recorded as buffered (one at most; a later tick while one waits is skipped) and its task
//                created once the previous task finishes
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import type { CreateTaskInput, Task } from '@tasker/shared';
import type { Sql, TransactionSql } from 'postgres';
import { AppError } from '@tasker/shared/errors';
import { isStaleTemplateError } from '../repositories/errors.js';
import {
  advanceSchedule,
  claimDueSchedule,
  findNextScheduleWork,
  insertFiring,
  settleFiring,
  previousTaskUnfinished,
  type ScheduleRow,
} from '../repositories/schedules.js';
import type { Db } from '../repositories/tasks.js';
import type { EngineLogger } from './logger.js';
import { createLoop, type Loop } from './loop.js';
import { dueTicks, fireTimesOf } from './schedule-times.js';
import { triggerOf } from './schedule-trigger.js';

/** Ticks handled per run before the loop yields (it runs again at once while there is more). */
const TICKS_PER_RUN = 50;
/** Shortest sleep between runs that found nothing due (the next tick may be a moment away by the DB's clock). */
const BUSY_WAIT_MS = 20;

export interface SchedulerOptions {
  sql: Sql;
  /** The tasks service's createInTransaction: the API's create path inside the firing's transaction. */
  tasks: { createInTransaction(tx: Db, principal: Principal, input: CreateTaskInput): Promise<Task> };
  logger: EngineLogger;
  misfireGraceMs: number;
}

/** What one transaction did to a schedule. */
type TickResult = 'none' | 'handled';

export function createScheduler(options: SchedulerOptions): Loop {
  const { sql, tasks, logger, misfireGraceMs } = options;

  const handleOne = (): Promise<TickResult> =>
    sql.begin(async (tx) => {
      const db = tx as TransactionSql;
      const claimed = await claimDueSchedule(db);
      if (claimed === undefined) return 'none';
      await handleSchedule(db, claimed.row, claimed.now);
      return 'handled';
    }) as Promise<TickResult>;

  async function handleSchedule(db: TransactionSql, s: ScheduleRow, now: Date): Promise<void> {
    const times = fireTimesOf(triggerOf(s));
    const unfinished = await previousTaskUnfinished(db, s.schedule_uuid);
    // A buffered firing runs first, once the previous task has finished.
    if (s.buffered_fire_at !== null && !unfinished) {
      await settleFiring(db, s.schedule_uuid, s.buffered_fire_at, await createTask(db, s, s.buffered_fire_at));
      await advanceSchedule(db, s.schedule_uuid, { nextFireAt: s.next_fire_at, bufferedFireAt: null });
      return;
    }
    if (s.next_fire_at === null || s.next_fire_at > now) return;

    const keep = s.catch_up_policy === 'run_all' ? s.catch_up_cap : 1;
    const due = dueTicks(times, s.next_fire_at, now, misfireGraceMs, keep);
    const afterMissed = due.onTime ?? due.following;
    if (due.missedCount > 0) {
      if (s.catch_up_policy === 'skip_missed') {
        logger.info({ scheduleUuid: s.schedule_uuid, missed: due.missedCount }, 'schedule: missed ticks skipped');
        return advanceSchedule(db, s.schedule_uuid, { nextFireAt: afterMissed, bufferedFireAt: s.buffered_fire_at });
      }
      if (s.catch_up_policy === 'run_once') {
        const fireAt = due.missed[due.missed.length - 1] as Date;
        return fire(db, s, fireAt, afterMissed, unfinished);
      }
      const oldestKept = due.missed[0] as Date;
      if (due.missedCount > s.catch_up_cap) {
        logger.info(
          { scheduleUuid: s.schedule_uuid, missed: due.missedCount, cap: s.catch_up_cap },
          'schedule: missed ticks beyond the catch-up cap skipped',
        );
        return advanceSchedule(db, s.schedule_uuid, { nextFireAt: oldestKept, bufferedFireAt: s.buffered_fire_at });
      }
      return fire(db, s, oldestKept, times.after(oldestKept), unfinished);
    }
    const fireAt = due.onTime as Date;
    return fire(db, s, fireAt, due.following, unfinished);
  }

  /** One tick: the firing row (exactly once per tick), the task or not (overlap policy), next_fire_at. */
  async function fire(db: TransactionSql, s: ScheduleRow, fireAt: Date, nextFireAt: Date | null, unfinished: boolean) {
    let buffered = s.buffered_fire_at;
    const blocked = unfinished && s.overlap_policy !== 'allow';
    const outcome = !blocked
      ? 'created'
      : s.overlap_policy === 'buffer_one' && buffered === null
        ? 'buffered'
        : 'skipped';
    if (await insertFiring(db, s.schedule_uuid, fireAt, outcome)) {
      if (outcome === 'created') {
        await settleFiring(db, s.schedule_uuid, fireAt, await createTask(db, s, fireAt));
      } else if (outcome === 'buffered') {
        buffered = fireAt;
      }
    }
    await advanceSchedule(db, s.schedule_uuid, { nextFireAt, bufferedFireAt: buffered, lastFireAt: fireAt });
  }

  /**
   * The tick's task, under a savepoint: a refused creation (template gone, context against input_schema,
   * backpressure) is recorded as the firing's error and the schedule moves on. A stale template cache entry
   * aborts the whole transaction instead (the tasks service dropped the entry; the next run retries the tick).
   */
  async function createTask(
    db: TransactionSql,
    s: ScheduleRow,
    fireAt: Date,
  ): Promise<{ taskUuid: string } | { error: string }> {
    try {
      const task = await db.savepoint((sp) =>
        tasks.createInTransaction(sp as unknown as Db, principalOf(s), taskInputOf(s, fireAt)),
      );
      logger.info({ scheduleUuid: s.schedule_uuid, fireAt, taskUuid: task.taskUuid }, 'schedule fired');
      return { taskUuid: task.taskUuid };
    } catch (err) {
      if (isStaleTemplateError(err) || !(err instanceof AppError)) throw err;
      logger.warn(
        { scheduleUuid: s.schedule_uuid, fireAt, code: err.code, error: err.message },
        'schedule: task refused',
      );
      return { error: `${err.code}: ${err.message}` };
    }
  }

  return createLoop({
    name: 'scheduler',
    intervalMs: null,
    logger,
    run: async () => {
      for (let i = 0; i < TICKS_PER_RUN; i += 1) {
        if ((await handleOne()) === 'none') return untilNextTick(sql);
      }
      return 0;
    },
  });
}

/** The delay to the earliest next_fire_at; undefined (sleep until woken) when there is none. */
async function untilNextTick(sql: Sql): Promise<number | undefined> {
  const next = await findNextScheduleWork(sql);
  if (next.nextFireAt === null) return undefined;
  // At least a little: a buffered firing whose previous task is unfinished must not spin the loop.
  return Math.max(BUSY_WAIT_MS, next.nextFireAt.getTime() - Date.now());
}

/** Tasks a schedule creates are the scheduler's, in the schedule's namespace only. */
function principalOf(s: ScheduleRow): Principal {
  return { ...ALL_PERMISSIONS_PRINCIPAL, subject: `schedule:${s.schedule_uuid}`, namespaces: [s.namespace] };
}

/**
 * The tick's task. The idempotency key names the schedule and the tick: it wins over the template's identity
 * strategy, so equal contexts on different ticks are different tasks, and a tick can never make two.
 */
export function taskInputOf(s: ScheduleRow, fireAt: Date): CreateTaskInput {
  return {
    namespace: s.namespace,
    name: s.name,
    version: s.version,
    context: s.context,
    initiator: `schedule:${s.schedule_uuid}`,
    sourceSystem: 'scheduler',
    reason: `schedule ${s.schedule_uuid} tick ${fireAt.toISOString()}`,
    idempotencyKey: `schedule:${s.schedule_uuid}:${fireAt.toISOString()}`,
    tags: ['scheduled'],
  };
}

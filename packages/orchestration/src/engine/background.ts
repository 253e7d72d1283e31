// The engine's background loops. Each is safe to run on every replica at once (SKIP LOCKED in SQL). None polls:
//   pulse           one statement every engine.pulse_interval_ms (run by the health probe, whose database check
//                   it is): the earliest lease and backoff on any replica, and the enqueued steps per namespace
//   lease sweeper   runs when the pulse says a lease lapses within the next interval (at that moment), and again
//                   at once while it finds full batches
//   retry promoter  sleeps until the earliest backoff it knows of; the pulse and results handled in this process
//                   wake it for their next_retry_at
//   task starter    sleeps until the earliest delayed start (run_at) it knows of; the pulse and tasks created in
//                   this process wake it for their run_at, and it starts every due task in one call per batch
//   staleness       every staleness.interval_ms (when enabled): tasks without progress → what their template's
//                   lifecycle says (DLQ entry and/or error, stopping their steps), or only reported (dry run)
//   worker_unavailable  every dlq.worker_unavailable.interval_ms (when enabled): tasks waiting in a namespace
//                   no live worker serves → DLQ entry worker_unavailable (task unchanged); closed when it clears
//   scheduler       (engine/scheduler.ts) sleeps until the next tick it knows of; the pulse wakes it for the
//                   earliest next_fire_at of any schedule (one created on another replica) and while a firing
//                   is buffered
// An idle replica therefore costs one pulse per interval, plus one staleness run per staleness interval and one worker_unavailable run per its interval.
import type { Config } from '@tasker/shared/config';
import type { Sql } from 'postgres';
import { promoteDueRetries, startDueTasks, sweepExpiredLeases } from '../repositories/dispatch.js';
import { readEnginePulse } from '../repositories/pulse.js';
import { detectStaleTasks } from '../repositories/staleness.js';
import { detectWorkerUnavailable } from '../repositories/worker-availability.js';
import { NOOP_ENGINE_METRICS, type EngineMetrics } from './metrics.js';
import type { EngineLogger } from './logger.js';
import { createLoop, type Loop } from './loop.js';
import { createQueueDepths, type QueueDepths } from './queue-depth.js';

const SWEEP_BATCH = 100;
const PROMOTE_BATCH = 200;
const START_BATCH = 200;
/** A due retry whose task was locked by someone else is looked at again this soon. */
const BUSY_RETRY_MS = 20;
/** The sweeper compares with the database's clock: waking a little after the lapse never finds it not yet due. */
const SWEEP_SLACK_MS = 10;

interface DueBatch {
  done: number;
  nextDueAt: Date | null;
}

export interface BackgroundLoops {
  sweeper: Loop;
  promoter: Loop;
  starter: Loop;
  staleness: Loop | null;
  workerUnavailable: Loop | null;
  /** Unclaimed ready steps per namespace as the last pulse counted them. */
  queueDepths: QueueDepths;
  /** One pulse: reads the deadlines and queue depths and wakes the loops that have work before the next one. */
  pulse(): Promise<void>;
  /** The scheduler (built after the services it creates tasks with): woken by the pulse for its next tick. */
  attachScheduler(loop: Loop): void;
  all(): Record<string, Loop>;
}

export function createBackgroundLoops(
  sql: Sql,
  config: Config,
  logger: EngineLogger,
  metrics: EngineMetrics = NOOP_ENGINE_METRICS,
): BackgroundLoops {
  const multiplier = config.backoff.multiplier;
  const intervalMs = config.engine.pulse_interval_ms;
  const queueDepths = createQueueDepths({
    defaultLimit: config.backpressure.max_pending_steps,
    perNamespace: config.backpressure.namespaces,
  });

  /**
   * A loop that sleeps until the earliest due time its batch call reports (a full batch runs again at once; a due
   * row another transaction held, soon again).
   */
  const dueTimeLoop = (name: string, batch: number, call: (limit: number) => Promise<DueBatch>): Loop =>
    createLoop({
      name,
      intervalMs: null,
      logger,
      run: async () => {
        const { done, nextDueAt } = await call(batch);
        if (done >= batch) return 0;
        if (nextDueAt === null) return undefined;
        const wait = nextDueAt.getTime() - Date.now();
        return wait <= 0 ? BUSY_RETRY_MS : wait;
      },
    });

  const promoter = dueTimeLoop('retry_promoter', PROMOTE_BATCH, async (limit) => {
    const { promoted, nextDueAt } = await promoteDueRetries(sql, limit);
    return { done: promoted, nextDueAt };
  });

  const starter = dueTimeLoop('task_starter', START_BATCH, async (limit) => {
    const { started, nextDueAt } = await startDueTasks(sql, limit);
    return { done: started, nextDueAt };
  });

  const sweeper = createLoop({
    name: 'lease_sweeper',
    intervalMs: null,
    logger,
    run: async () => {
      const swept = await sweepExpiredLeases(sql, { limit: SWEEP_BATCH, multiplier });
      metrics.leaseExpired(swept.length);
      for (const s of swept) {
        if (s.stepState === 'waiting_for_retry') metrics.retryScheduled();
        logger.info(
          { stepUuid: s.stepUuid, taskUuid: s.taskUuid, errorType: s.errorType, stepState: s.stepState },
          'lease expired',
        );
        if (s.nextRetryAt !== null) promoter.wake(s.nextRetryAt);
      }
      return swept.length >= SWEEP_BATCH ? 0 : undefined;
    },
  });

  const s = config.staleness;
  const staleness = s.enabled
    ? createLoop({
        name: 'staleness_detector',
        intervalMs: s.interval_ms,
        logger,
        run: async () => {
          const stale = await detectStaleTasks(sql, {
            limit: s.batch_size,
            dryRun: s.dry_run,
            dependenciesMinutes: s.thresholds.waiting_for_dependencies_minutes,
            retryMinutes: s.thresholds.waiting_for_retry_minutes,
            inProcessMinutes: s.thresholds.steps_in_process_minutes,
            lifetimeHours: s.thresholds.task_max_lifetime_hours,
          });
          for (const t of stale) {
            if (t.entryOpened) metrics.dlqEntryCreated('staleness_timeout');
            const what = s.dry_run
              ? 'stale task (dry run)'
              : t.moved
                ? 'stale task moved to error'
                : 'stale task: DLQ entry opened, task left running';
            logger.warn({ ...t, dryRun: s.dry_run }, what);
          }
          return undefined;
        },
      })
    : null;

  const u = config.dlq.worker_unavailable;
  const workerUnavailable = u.enabled
    ? createLoop({
        name: 'worker_unavailable_detector',
        intervalMs: u.interval_ms,
        logger,
        run: async () => {
          const findings = await detectWorkerUnavailable(sql, {
            afterSeconds: u.after_seconds,
            livenessSeconds: config.engine.worker_liveness_seconds,
            limit: u.batch_size,
            dryRun: u.dry_run,
          });
          for (const f of findings) {
            if (f.action === 'opened' && f.applied) metrics.dlqEntryCreated('worker_unavailable');
            const what =
              f.action === 'opened'
                ? 'no live worker: DLQ entry worker_unavailable'
                : 'worker_unavailable entry closed';
            logger.warn({ ...f, dryRun: u.dry_run }, u.dry_run ? `${what} (dry run)` : what);
          }
          // One call per interval even with a backlog: a namespace without workers gets its entries at
          // batch_size per interval, not as a storm.
          return undefined;
        },
      })
    : null;

  /**
   * Only deadlines before the next pulse are handed on: a later one is read again then, so a lease extended by
   * heartbeats in the meantime does not cause a sweep that finds nothing.
   */
  const wakeBefore = (loop: Loop, at: Date | null, horizon: number): void => {
    if (at !== null && at.getTime() <= horizon) loop.wake(at);
  };

  let scheduler: Loop | null = null;

  return {
    sweeper,
    promoter,
    starter,
    staleness,
    workerUnavailable,
    queueDepths,
    async pulse() {
      const pulse = await readEnginePulse(sql);
      const now = new Date();
      queueDepths.update(pulse.queueDepth, now);
      const horizon = now.getTime() + intervalMs;
      wakeBefore(sweeper, pulse.nextLeaseExpiry && new Date(pulse.nextLeaseExpiry.getTime() + SWEEP_SLACK_MS), horizon);
      wakeBefore(promoter, pulse.nextRetryAt, horizon);
      wakeBefore(starter, pulse.nextRunAt, horizon);
      if (scheduler !== null) wakeBefore(scheduler, pulse.nextScheduleAt, horizon);
    },
    attachScheduler(loop) {
      scheduler = loop;
    },
    all() {
      const loops: Record<string, Loop> = {
        lease_sweeper: sweeper,
        retry_promoter: promoter,
        task_starter: starter,
      };
      if (staleness !== null) loops['staleness_detector'] = staleness;
      if (workerUnavailable !== null) loops['worker_unavailable_detector'] = workerUnavailable;
      return loops;
    },
  };
}

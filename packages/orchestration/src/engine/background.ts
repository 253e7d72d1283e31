// The engine's background loops. Each is safe to run on every replica at once (SKIP LOCKED in SQL).
//   lease sweeper   every engine.sweep_interval_ms: lapsed leases → failed attempt (lease_expired / timeout)
//   retry promoter  sleeps until the earliest backoff it knows of (capped by engine.poll_fallback_ms); results
//                   handled in this process wake it for their next_retry_at, so retries are not polled for
//   staleness       every staleness.interval_ms (when enabled): tasks without progress → what their template's
//                   lifecycle says (DLQ entry and/or error, stopping their steps), or only reported (dry run)
//   worker_unavailable  every dlq.worker_unavailable.interval_ms (when enabled): tasks waiting in a namespace
//                   no live worker serves → DLQ entry worker_unavailable (task unchanged); closed when it clears
//   queue depth     refreshes the unclaimed-step count that task creation's backpressure reads
import type { Config } from '@tasker/shared/config';
import type { Sql } from 'postgres';
import { promoteDueRetries, sweepExpiredLeases } from '../repositories/dispatch.js';
import { detectStaleTasks } from '../repositories/staleness.js';
import { countEnqueuedSteps } from '../repositories/tasks.js';
import { detectWorkerUnavailable } from '../repositories/worker-availability.js';
import { NOOP_ENGINE_METRICS, type EngineMetrics } from '../metrics/engine.js';
import type { EngineLogger } from './logger.js';
import { createLoop, type Loop } from './loop.js';

const SWEEP_BATCH = 100;
const PROMOTE_BATCH = 200;
/** A due retry whose task was locked by someone else is looked at again this soon. */
const BUSY_RETRY_MS = 20;
const QUEUE_DEPTH_INTERVAL_MS = 1000;

export interface BackgroundLoops {
  sweeper: Loop;
  promoter: Loop;
  staleness: Loop | null;
  workerUnavailable: Loop | null;
  queueDepth: Loop;
  /** Last measured number of enqueued steps (undefined before the first run). */
  depth(): number | undefined;
  all(): Record<string, Loop>;
}

export function createBackgroundLoops(
  sql: Sql,
  config: Config,
  logger: EngineLogger,
  metrics: EngineMetrics = NOOP_ENGINE_METRICS,
): BackgroundLoops {
  const multiplier = config.backoff.multiplier;
  let depth: number | undefined;

  const promoter = createLoop({
    name: 'retry_promoter',
    intervalMs: config.engine.poll_fallback_ms,
    logger,
    run: async () => {
      const { promoted, nextDueAt } = await promoteDueRetries(sql, PROMOTE_BATCH);
      if (promoted >= PROMOTE_BATCH) return 0;
      if (nextDueAt === null) return undefined;
      const wait = nextDueAt.getTime() - Date.now();
      return wait <= 0 ? BUSY_RETRY_MS : Math.min(wait, config.engine.poll_fallback_ms);
    },
  });

  const sweeper = createLoop({
    name: 'lease_sweeper',
    intervalMs: config.engine.sweep_interval_ms,
    logger,
    run: async () => {
      const swept = await sweepExpiredLeases(sql, { limit: SWEEP_BATCH, multiplier });
      metrics.leaseExpired(swept.length);
      for (const s of swept) {
        if (s.stepState === 'waiting_for_retry') metrics.retryScheduled();
        logger.info({ stepUuid: s.stepUuid, taskUuid: s.taskUuid, errorType: s.errorType, stepState: s.stepState }, 'lease expired');
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
            const what = s.dry_run ? 'stale task (dry run)' : t.moved ? 'stale task moved to error' : 'stale task: DLQ entry opened, task left running';
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
            const what = f.action === 'opened' ? 'no live worker: DLQ entry worker_unavailable' : 'worker_unavailable entry closed';
            logger.warn({ ...f, dryRun: u.dry_run }, u.dry_run ? `${what} (dry run)` : what);
          }
          // One call per interval even with a backlog: a namespace without workers gets its entries at
          // batch_size per interval, not as a storm.
          return undefined;
        },
      })
    : null;

  const queueDepth = createLoop({
    name: 'queue_depth',
    intervalMs: Math.min(QUEUE_DEPTH_INTERVAL_MS, config.engine.sweep_interval_ms),
    logger,
    run: async () => {
      depth = await countEnqueuedSteps(sql);
      return undefined;
    },
  });

  return {
    sweeper,
    promoter,
    staleness,
    workerUnavailable,
    queueDepth,
    depth: () => depth,
    all() {
      const loops: Record<string, Loop> = { lease_sweeper: sweeper, retry_promoter: promoter, queue_depth: queueDepth };
      if (staleness !== null) loops['staleness_detector'] = staleness;
      if (workerUnavailable !== null) loops['worker_unavailable_detector'] = workerUnavailable;
      return loops;
    },
  };
}

// The worker protocol: register, long-poll claim, heartbeat, checkpoint, complete / fail with the lease token (one
// by one or batched, with a claim alongside), release. Every result passes the step's result_schema first
// (engine/result-schemas.ts): a completion that fails it is applied as a permanent failure.
import {
  COUNT_LIMITS,
  type CheckpointStepInput,
  type CheckpointStepResult,
  type ClaimedStep,
  type LeaseState,
  type ReportResultsInput,
  type StepResultAck,
  type StepResultOutcome,
  type StepResultReport,
} from '@tasker/shared';
import { AppError, validationError, type FieldProblem } from '@tasker/shared/errors';
import { assertPermission, canAccessNamespace, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import type { ClaimWaiters } from '../engine/claim-waiters.js';
import type { ResultSchemaEnforcer } from '../engine/result-schemas.js';
import { retryOnDeadlock } from '../repositories/errors.js';
import {
  checkpointStep,
  claimSteps,
  heartbeatLeases,
  releaseLeases,
  reportAndClaim,
  reportResults,
  type ResultRow,
} from '../repositories/dispatch.js';
import { listWorkers, touchWorker, upsertWorker } from '../repositories/workers.js';
import { effectiveNamespaces, scopeOf } from './access.js';
import type { WorkerService } from './types.js';
import { sleep } from '@tasker/shared/resilience';

export interface WorkerServiceDeps {
  sql: Sql;
  engine: {
    leaseSeconds: number;
    pollFallbackMs: number;
    maxClaimWaitMs: number;
    maxClaimBatch: number;
    workerLivenessSeconds: number;
  };
  backoffMultiplier: number;
  /** Checkpoint bounds (config dynamic.checkpoint_max_bytes, dynamic.checkpoint_history). */
  checkpoints: { maxBytes: number; history: number };
  waiters: ClaimWaiters;
  /** Turns completions that fail their step's result_schema into permanent failures. */
  resultSchemas: ResultSchemaEnforcer;
  isStopped: () => boolean;
  /** A failure scheduled a retry at this time (the promoter wakes for it). */
  onRetryScheduled: (at: Date) => void;
}

/** A worker's registry row is refreshed at most this often by its claims (a read when fresh is work too). */
const TOUCH_INTERVAL_MS = 1_000;

function toAck(stepUuid: string, result: ResultRow): StepResultAck {
  if (result.outcome === 'not_found') {
    throw new AppError('NOT_FOUND', `Step ${stepUuid} not found`, { details: { step_uuid: stepUuid } });
  }
  if (result.outcome !== 'ok') throw leaseLost(stepUuid, result.outcome);
  if (result.stepState === null || result.taskState === null) throw new Error('result without states');
  return { stepUuid, stepState: result.stepState, taskState: result.taskState, nextRetryAt: result.nextRetryAt };
}

/**
 * What no transport can check on its own: the batch size (a service caller has no schema) and that a step is
 * reported once per batch (a second result for it would be judged against the first one's effect).
 */
function assertReportable(input: ReportResultsInput): void {
  const max = COUNT_LIMITS.reportedResults;
  if (input.results.length > max)
    throw validationError([{ path: 'results', message: `must have at most ${max} items` }]);
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  input.results.forEach((r, i) => {
    const key = r.stepUuid.toLowerCase();
    if (seen.has(key)) problems.push({ path: `results[${i}].step_uuid`, message: 'is reported twice in this batch' });
    seen.add(key);
  });
  if (problems.length > 0) throw validationError(problems);
}

/** The lease refusal every fenced call answers: INVALID_STATE with the reason in the details. */
function leaseLost(stepUuid: string, outcome: 'lease_lost' | 'cancelled'): AppError {
  const cancelled = outcome === 'cancelled';
  return new AppError('INVALID_STATE', cancelled ? 'lease lost: the step was cancelled' : 'lease lost', {
    details: { step_uuid: stepUuid, reason: cancelled ? 'cancelled' : 'lease_lost' },
  });
}

/**
 * A checkpoint's size is its cursor plus its partial results as JSON (UTF-8 bytes). Over the limit the refusal
 * names the larger of the two fields, the one to shrink.
 */
function assertCheckpointSize(input: CheckpointStepInput, maxBytes: number): void {
  const cursor = Buffer.byteLength(JSON.stringify(input.cursor));
  const results = input.accumulatedResults === null ? 0 : Buffer.byteLength(JSON.stringify(input.accumulatedResults));
  if (cursor + results <= maxBytes) return;
  throw validationError([
    {
      path: results > cursor ? 'accumulated_results' : 'cursor',
      message:
        `makes the checkpoint ${cursor + results} bytes (cursor ${cursor}, accumulated_results ${results}), ` +
        `more than the limit of ${maxBytes} (dynamic.checkpoint_max_bytes)`,
    },
  ]);
}

function toOutcome(r: ResultRow): StepResultOutcome {
  // A step the caller may not see (or that does not exist) reveals nothing about its task.
  if (r.outcome === 'not_found')
    return { stepUuid: r.stepUuid, outcome: 'not_found', stepState: null, taskState: null, nextRetryAt: null };
  return {
    stepUuid: r.stepUuid,
    outcome: r.outcome,
    stepState: r.stepState,
    taskState: r.taskState,
    nextRetryAt: r.nextRetryAt,
  };
}

export function createWorkerService(deps: WorkerServiceDeps): WorkerService {
  const { sql, engine } = deps;
  const leaseMs = engine.leaseSeconds * 1000;
  const touchedAt = new Map<string, number>();

  /** Liveness of a claiming worker: one registry write per worker and second, not one per claim. */
  async function touch(
    workerId: string,
    namespaces: readonly string[] | null,
    handlers: readonly string[] | null,
  ): Promise<void> {
    const now = Date.now();
    if ((touchedAt.get(workerId) ?? 0) > now - TOUCH_INTERVAL_MS) return;
    touchedAt.set(workerId, now);
    if (touchedAt.size > 10_000) touchedAt.clear();
    await touchWorker(sql, workerId, namespaces, handlers);
  }

  async function applyResults(
    principal: Principal,
    workerId: string,
    reported: readonly StepResultReport[],
  ): Promise<ResultRow[]> {
    const results = await deps.resultSchemas.enforce(reported);
    const rows = await retryOnDeadlock(() =>
      reportResults(sql, { workerId, results, multiplier: deps.backoffMultiplier, namespaces: scopeOf(principal) }),
    );
    scheduleRetries(rows);
    return rows;
  }

  /** Wakes the retry promoter for the earliest retry these results scheduled. */
  function scheduleRetries(rows: readonly ResultRow[]): void {
    let earliest: Date | null = null;
    for (const r of rows)
      if (r.nextRetryAt !== null && (earliest === null || r.nextRetryAt < earliest)) earliest = r.nextRetryAt;
    if (earliest !== null) deps.onRetryScheduled(earliest);
  }

  return {
    async register(principal, input) {
      const outside = input.namespaces.filter((ns) => !canAccessNamespace(principal, ns));
      if (outside.length > 0) {
        throw new AppError('PERMISSION_DENIED', `Not allowed to serve namespaces: ${outside.join(', ')}`, {
          details: { namespaces: outside },
        });
      }
      return upsertWorker(sql, input, engine.workerLivenessSeconds);
    },

    async list(principal) {
      // A scoped caller sees the workers serving one of its namespaces, and of each only those namespaces:
      // what other tenants run where is not its business.
      const scope = scopeOf(principal);
      const workers = await listWorkers(sql, scope, engine.workerLivenessSeconds);
      return scope === null
        ? workers
        : workers.map((w) => ({ ...w, namespaces: w.namespaces.filter((ns) => scope.includes(ns)) }));
    },

    async claim(principal, input, signal): Promise<ClaimedStep[]> {
      const namespaces = effectiveNamespaces(principal, input.namespaces);
      const handlers = input.handlerNames.length === 0 ? null : input.handlerNames;
      const max = Math.min(Math.max(1, Math.trunc(input.maxSteps)), engine.maxClaimBatch);
      const waitMs = Math.min(Math.max(0, Math.trunc(input.waitMs)), engine.maxClaimWaitMs);
      const deadline = Date.now() + waitMs;
      if (namespaces !== null && namespaces.length === 0) {
        // Nothing this principal may claim: behave like an empty long-poll rather than make the worker spin.
        await sleep(waitMs, signal);
        return [];
      }
      await touch(input.workerId, namespaces, handlers);
      const filter = {
        namespaces: namespaces === null ? null : new Set(namespaces),
        handlers: handlers === null ? null : new Set(handlers),
        capacity: max,
      };
      for (;;) {
        if (deps.isStopped() || signal?.aborted) return [];
        const remaining = deadline - Date.now();
        // Armed before the query, so a notification that lands while it runs still wakes this claim.
        const armed =
          remaining > 0 ? deps.waiters.arm(filter, Math.min(remaining, engine.pollFallbackMs), signal) : undefined;
        let claimed: ClaimedStep[];
        try {
          claimed = await retryOnDeadlock(() =>
            claimSteps(sql, { workerId: input.workerId, namespaces, handlers, max, leaseMs }),
          );
        } catch (err) {
          armed?.cancel();
          throw err;
        }
        if (claimed.length > 0) {
          armed?.cancel();
          deps.resultSchemas.noteClaimed(claimed);
          if (signal?.aborted) {
            // The caller hung up while the claim ran: hand the leases back instead of letting them expire.
            await releaseLeases(sql, {
              workerId: input.workerId,
              leases: claimed.map((c) => ({ stepUuid: c.stepUuid, leaseToken: c.leaseToken })),
              namespaces,
            });
            return [];
          }
          return claimed;
        }
        if (armed === undefined) return [];
        const reason = await armed.promise;
        if (reason === 'aborted' || reason === 'stopped') return [];
      }
    },

    async heartbeat(principal, input): Promise<LeaseState[]> {
      if (input.leases.length === 0) return [];
      return heartbeatLeases(sql, {
        workerId: input.workerId,
        leases: input.leases,
        leaseMs,
        namespaces: scopeOf(principal),
      });
    },

    async checkpoint(principal, input): Promise<CheckpointStepResult> {
      if (input.cursor === null) throw validationError([{ path: 'cursor', message: 'is required' }]);
      if (!Number.isSafeInteger(input.itemsProcessed) || input.itemsProcessed < 0)
        throw validationError([{ path: 'items_processed', message: 'must be a non-negative integer' }]);
      assertCheckpointSize(input, deps.checkpoints.maxBytes);
      const row = await retryOnDeadlock(() =>
        checkpointStep(sql, {
          ...input,
          historyEntries: deps.checkpoints.history,
          historyBytes: deps.checkpoints.maxBytes,
          leaseMs,
          namespaces: scopeOf(principal),
        }),
      );
      if (row.outcome === 'not_found')
        throw new AppError('NOT_FOUND', `Step ${input.stepUuid} not found`, {
          details: { step_uuid: input.stepUuid },
        });
      if (row.outcome !== 'ok') throw leaseLost(input.stepUuid, row.outcome);
      return { stepUuid: input.stepUuid, leaseExpiresAt: row.leaseExpiresAt, checkpoint: row.checkpoint };
    },

    async complete(principal, input) {
      const [result] = await applyResults(principal, input.workerId, [{ kind: 'completed', ...input }]);
      return toAck(input.stepUuid, result!);
    },

    async fail(principal, input) {
      const [result] = await applyResults(principal, input.workerId, [{ kind: 'failed', ...input }]);
      return toAck(input.stepUuid, result!);
    },

    async reportResults(principal, input) {
      // The call itself needs worker:report (checked by the transports); claiming alongside is a claim, so it
      // needs worker:claim too. Checked before anything is applied: a refused call changes nothing.
      if (input.claim !== null && input.claim.maxSteps > 0) assertPermission(principal, 'worker:claim');
      assertReportable(input);
      const wanted = Math.min(Math.max(0, Math.trunc(input.claim?.maxSteps ?? 0)), engine.maxClaimBatch);
      const claimNamespaces = input.claim === null ? [] : effectiveNamespaces(principal, input.claim.namespaces);
      const claiming =
        input.claim !== null &&
        wanted > 0 &&
        !deps.isStopped() &&
        (claimNamespaces === null || claimNamespaces.length > 0);
      if (!claiming) {
        const rows = input.results.length === 0 ? [] : await applyResults(principal, input.workerId, input.results);
        return { outcomes: rows.map(toOutcome), claimed: [] };
      }
      const handlers = input.claim?.handlerNames.length ? input.claim.handlerNames : null;
      await touch(input.workerId, claimNamespaces, handlers);
      const results = await deps.resultSchemas.enforce(input.results);
      // One call, one commit: the results, then the claim (a chain's next step is taken in the same commit).
      const out = await retryOnDeadlock(() =>
        reportAndClaim(sql, {
          workerId: input.workerId,
          results,
          multiplier: deps.backoffMultiplier,
          namespaces: scopeOf(principal),
          claim: { workerId: input.workerId, namespaces: claimNamespaces, handlers, max: wanted, leaseMs },
        }),
      );
      scheduleRetries(out.results);
      deps.resultSchemas.noteClaimed(out.claimed);
      return { outcomes: out.results.map(toOutcome), claimed: out.claimed };
    },

    async release(principal, input): Promise<LeaseState[]> {
      if (input.leases.length === 0) return [];
      const rows = await retryOnDeadlock(() =>
        releaseLeases(sql, { workerId: input.workerId, leases: input.leases, namespaces: scopeOf(principal) }),
      );
      // A released lease reports `valid` (it was valid and is now handed back) with no expiry.
      return rows.map((r) => ({
        stepUuid: r.stepUuid,
        status: r.status === 'released' ? 'valid' : r.status === 'cancelled' ? 'cancelled' : 'lost',
        leaseExpiresAt: null,
      }));
    },
  };
}

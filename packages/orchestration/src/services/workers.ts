// The worker protocol: register, long-poll claim, heartbeat, complete / fail with the lease token, release.
import type { ClaimedStep, JsonObject, LeaseState, StepResultAck } from '@tasker/shared';
import { AppError } from '@tasker/shared/errors';
import { canAccessNamespace } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import type { ClaimWaiters } from '../engine/claim-waiters.js';
import { retryOnDeadlock } from '../repositories/errors.js';
import { claimSteps, completeStep, failStep, heartbeatLeases, releaseLeases, type ResultRow } from '../repositories/dispatch.js';
import { workerFromRow } from '../repositories/rows.js';
import { listWorkers, upsertWorker } from '../repositories/workers.js';
import { effectiveNamespaces, scopeOf } from './access.js';
import type { WorkerService } from './types.js';

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
  waiters: ClaimWaiters;
  isStopped: () => boolean;
  /** A failure scheduled a retry at this time (the promoter wakes for it). */
  onRetryScheduled: (at: Date) => void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function toAck(stepUuid: string, result: ResultRow): StepResultAck {
  if (result.outcome === 'not_found') {
    throw new AppError('NOT_FOUND', `Step ${stepUuid} not found`, { details: { step_uuid: stepUuid } });
  }
  if (result.outcome !== 'ok') {
    const cancelled = result.outcome === 'cancelled';
    throw new AppError('INVALID_STATE', cancelled ? 'lease lost: the step was cancelled' : 'lease lost', {
      details: { step_uuid: stepUuid, reason: cancelled ? 'cancelled' : 'lease_lost' },
    });
  }
  if (result.stepState === null || result.taskState === null) throw new Error('result without states');
  return { stepUuid, stepState: result.stepState, taskState: result.taskState, nextRetryAt: result.nextRetryAt };
}

export function createWorkerService(deps: WorkerServiceDeps): WorkerService {
  const { sql, engine } = deps;
  const leaseMs = engine.leaseSeconds * 1000;

  return {
    async register(principal, input) {
      const outside = input.namespaces.filter((ns) => !canAccessNamespace(principal, ns));
      if (outside.length > 0) {
        throw new AppError('PERMISSION_DENIED', `Not allowed to serve namespaces: ${outside.join(', ')}`, {
          details: { namespaces: outside },
        });
      }
      return workerFromRow(await upsertWorker(sql, input), engine.workerLivenessSeconds);
    },

    async list(principal) {
      // A scoped caller sees the workers serving one of its namespaces, and of each only those namespaces:
      // what other tenants run where is not its business.
      const now = new Date();
      const scope = scopeOf(principal);
      return (await listWorkers(sql, scope)).map((r) => {
        const worker = workerFromRow(r, engine.workerLivenessSeconds, now);
        return scope === null ? worker : { ...worker, namespaces: worker.namespaces.filter((ns) => scope.includes(ns)) };
      });
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
      const filter = {
        namespaces: namespaces === null ? null : new Set(namespaces),
        handlers: handlers === null ? null : new Set(handlers),
        capacity: max,
      };
      for (;;) {
        if (deps.isStopped() || signal?.aborted) return [];
        const remaining = deadline - Date.now();
        // Armed before the query, so a notification that lands while it runs still wakes this claim.
        const armed = remaining > 0 ? deps.waiters.arm(filter, Math.min(remaining, engine.pollFallbackMs), signal) : undefined;
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
      return heartbeatLeases(sql, { workerId: input.workerId, leases: input.leases, leaseMs, namespaces: scopeOf(principal) });
    },

    async complete(principal, input) {
      const result = await completeStep(sql, {
        stepUuid: input.stepUuid,
        leaseToken: input.leaseToken,
        workerId: input.workerId,
        result: input.result,
        executionTimeMs: input.executionTimeMs,
        metadata: input.metadata,
        namespaces: scopeOf(principal),
      });
      return toAck(input.stepUuid, result);
    },

    async fail(principal, input) {
      const e = input.error;
      const error: JsonObject = {
        message: e.message,
        error_type: e.errorType,
        retryable: e.retryable,
        status_code: e.statusCode,
        backtrace: e.backtrace,
        context: e.context,
        retry_after_seconds: e.retryAfterSeconds,
      };
      const result = await failStep(sql, {
        stepUuid: input.stepUuid,
        leaseToken: input.leaseToken,
        workerId: input.workerId,
        error,
        retryable: e.retryable,
        retryAfterMs: e.retryAfterSeconds === null ? null : Math.round(e.retryAfterSeconds * 1000),
        executionTimeMs: input.executionTimeMs,
        multiplier: deps.backoffMultiplier,
        namespaces: scopeOf(principal),
      });
      const ack = toAck(input.stepUuid, result);
      if (ack.nextRetryAt !== null) deps.onRetryScheduled(ack.nextRetryAt);
      return ack;
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

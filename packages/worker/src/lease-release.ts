// Gives leases back to orchestration (steps that came back but cannot run here, and the unfinished steps of a
// drain past its deadline): retried on transient errors for a bounded time, then left to lapse.
import type { WorkersApi } from '@tasker/client/types';
import type { LeaseRef } from '@tasker/shared';
import { describeError, type OrchestrationCalls } from './orchestration-calls.js';
import type { WorkerLogger } from './types.js';

/** Longest a release keeps being retried (a draining worker waits for it) before the leases are left to lapse. */
export const RELEASE_BUDGET_MS = 5_000;

export interface LeaseReleaserOptions {
  workerId: string;
  workers: Pick<WorkersApi, 'release'>;
  calls: OrchestrationCalls;
  logger: WorkerLogger;
}

/** Never rejects: a lease that cannot be given back lapses on its own. */
export type ReleaseLeases = (refs: LeaseRef[]) => Promise<void>;

export function createLeaseReleaser(o: LeaseReleaserOptions): ReleaseLeases {
  return async (refs) => {
    if (refs.length === 0) return;
    try {
      const states = await o.calls.retry(
        'release',
        () => o.workers.release({ workerId: o.workerId, leases: refs }),
        AbortSignal.timeout(RELEASE_BUDGET_MS),
      );
      const byStatus: Record<string, number> = {};
      for (const st of states) byStatus[st.status] = (byStatus[st.status] ?? 0) + 1;
      o.logger.info({ leases: refs.length, statuses: byStatus }, 'leases given back');
    } catch (err) {
      o.logger.warn(
        { err: describeError(err), leases: refs.length },
        'could not release leases; they will lapse on their own',
      );
    }
  };
}

/** The lease references of claimed steps. */
export function leaseRefsOf(steps: readonly LeaseRef[]): LeaseRef[] {
  return steps.map((s) => ({ stepUuid: s.stepUuid, leaseToken: s.leaseToken }));
}

// A handler's checkpoints: sent to orchestration at once (never batched), over the worker's own transport. A
// refusal because the lease is gone (lost or cancelled) aborts the step's signal: the attempt is over.
import type { WorkersApi } from '@tasker/client/types';
import type { ClaimedStep, StepCheckpoint } from '@tasker/shared';
import { errorCodeOf } from '@tasker/shared/resilience';
import { StepAbortError } from './errors.js';
import type { CheckpointInput } from './types.js';

export interface StepCheckpointer {
  /** The last checkpoint: the one the claim handed over, then each one this attempt recorded. */
  readonly last: StepCheckpoint | null;
  save(input: CheckpointInput): Promise<void>;
}

export function createStepCheckpointer(options: {
  workerId: string;
  step: ClaimedStep;
  workers: Pick<WorkersApi, 'checkpoint'>;
  controller: AbortController;
}): StepCheckpointer {
  const { workerId, step, workers, controller } = options;
  let last = step.checkpoint;
  return {
    get last() {
      return last;
    },
    async save(input) {
      if (controller.signal.aborted) throw controller.signal.reason;
      try {
        const saved = await workers.checkpoint({
          workerId,
          stepUuid: step.stepUuid,
          leaseToken: step.leaseToken,
          cursor: input.cursor,
          itemsProcessed: input.itemsProcessed ?? 0,
          accumulatedResults: input.accumulatedResults ?? null,
        });
        last = saved.checkpoint;
      } catch (err) {
        if (errorCodeOf(err) === 'INVALID_STATE') {
          const { details, message } = err as { details?: Record<string, unknown>; message?: string };
          const reason = details?.['reason'] === 'cancelled' ? 'cancelled' : 'lease_lost';
          const abort = new StepAbortError(reason, `checkpoint refused: ${message ?? 'lease lost'}`);
          controller.abort(abort);
          throw abort;
        }
        throw err;
      }
    },
  };
}

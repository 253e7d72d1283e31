// SQLSTATEs the engine's own SQL functions raise (class TK: chosen outside every standard class).
import { isPgError, SQLSTATE } from '../db/pg-errors.js';

export const ENGINE_SQLSTATE = {
  /** create_task: the template changed since the caller cached it; reload and retry. */
  staleTemplate: 'TK001',
} as const;

export function isStaleTemplateError(err: unknown): boolean {
  return isPgError(err, ENGINE_SQLSTATE.staleTemplate);
}

/** A deadlock between an operator action and a claim (rare, detected by PostgreSQL): safe to retry. */
export function isDeadlock(err: unknown): boolean {
  return isPgError(err, SQLSTATE.deadlockDetected) || isPgError(err, SQLSTATE.serializationFailure);
}

/** Runs `fn`, retrying it up to `attempts` times while it fails with a deadlock. */
export async function retryOnDeadlock<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i += 1) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isDeadlock(err)) throw err;
    }
  }
}

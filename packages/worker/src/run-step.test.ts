import { makeClaimedStep } from '@tasker/shared/testing/builders';
import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError, StepAbortError } from './errors.js';
import { silentLogger } from './logger.js';
import { runStep, stepTimeoutMs } from './run-step.js';
import type { Handler, StepContext } from './types.js';

function run(
  handler: Handler,
  opts: { timeoutMs?: number; controller?: AbortController } = {},
  step = makeClaimedStep(),
) {
  return runStep(step, handler, {
    timeoutMs: opts.timeoutMs ?? 1_000,
    controller: opts.controller ?? new AbortController(),
    logger: silentLogger,
  });
}

describe('runStep', () => {
  it('gives the handler the task context, step config, parent results and attempt counters', async () => {
    const step = makeClaimedStep({ attempt: 2, maxAttempts: 5 });
    let seen: StepContext | undefined;
    const outcome = await run(
      async (ctx) => {
        seen = ctx;
        return { ok: true };
      },
      {},
      step,
    );
    expect(outcome).toMatchObject({ kind: 'completed', result: { ok: true } });
    expect(seen).toMatchObject({
      taskUuid: step.taskUuid,
      stepUuid: step.stepUuid,
      stepName: step.stepName,
      namespace: step.namespace,
      correlationId: step.correlationId,
      context: step.context,
      config: step.handler.initialization,
      parentResults: step.parentResults,
      attempt: 2,
      maxAttempts: 5,
    });
    expect(seen?.signal.aborted).toBe(false);
  });

  it('reports RetryableError with its retry-after, PermanentError as not retryable, anything else as handler_error', async () => {
    const retry = await run(async () => {
      throw new RetryableError('busy', { retryAfterSeconds: 7, statusCode: 503, errorType: 'rate_limited' });
    });
    expect(retry).toMatchObject({
      kind: 'failed',
      failure: { message: 'busy', retryable: true, retryAfterSeconds: 7, statusCode: 503, errorType: 'rate_limited' },
    });
    const permanent = await run(async () => {
      throw new PermanentError('bad input');
    });
    expect(permanent).toMatchObject({ kind: 'failed', failure: { retryable: false, errorType: 'permanent_error' } });
    const generic = await run(async () => {
      throw new Error('boom');
    });
    expect(generic).toMatchObject({
      kind: 'failed',
      failure: { message: 'boom', retryable: true, errorType: 'handler_error' },
    });
    expect(generic.kind === 'failed' && generic.failure.backtrace).toContain('boom');
  });

  it('fails a handler that outlives its limit as a retryable handler_timeout and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const outcome = await run(
      (ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      },
      { timeoutMs: 30 },
    );
    expect(outcome).toMatchObject({ kind: 'failed', failure: { errorType: 'handler_timeout', retryable: true } });
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as StepAbortError).reason).toBe('timeout');
  });

  it('abandons the step without a result when cancelled, even if the handler then returns', async () => {
    const controller = new AbortController();
    const outcome = run(
      async (ctx) => {
        await new Promise((r) => ctx.signal.addEventListener('abort', r));
        return 'late result';
      },
      { controller },
    );
    controller.abort(new StepAbortError('cancelled', 'task cancelled'));
    expect(await outcome).toMatchObject({ kind: 'abandoned', reason: 'cancelled' });
  });

  it('turns undefined into null and refuses results JSON cannot carry', async () => {
    expect(await run(async () => undefined as never)).toMatchObject({ kind: 'completed', result: null });
    const bad = await run(async () => ({ n: 1n }) as never);
    expect(bad).toMatchObject({ kind: 'failed', failure: { errorType: 'invalid_result', retryable: false } });
  });
});

describe('stepTimeoutMs', () => {
  it("prefers the step's timeout_seconds over the worker default", () => {
    expect(stepTimeoutMs({ timeoutSeconds: 2 }, 30_000)).toBe(2_000);
    expect(stepTimeoutMs({ timeoutSeconds: null }, 30_000)).toBe(30_000);
  });
});

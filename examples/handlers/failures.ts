// Handlers that fail on purpose, to show retries and the dead letter queue.
import { PermanentError, RetryableError, type Handler } from '@tasker/worker';
import { readSource } from './math.js';
import { pause } from './pause.js';

/**
 * `demo.flaky` — config `{succeed_on_attempt: 3}`: fails with a RetryableError until that attempt, then
 * returns the input. Orchestration retries it with the step's backoff.
 */
export const flaky: Handler = async (ctx) => {
  await pause(ctx);
  const succeedOn = typeof ctx.config['succeed_on_attempt'] === 'number' ? ctx.config['succeed_on_attempt'] : 3;
  if (ctx.attempt < succeedOn) {
    ctx.logger.info({ attempt: ctx.attempt, succeed_on_attempt: succeedOn }, 'failing on purpose (transient)');
    throw new RetryableError(`upstream unavailable (attempt ${ctx.attempt} of ${ctx.maxAttempts})`, {
      errorType: 'upstream_unavailable',
      statusCode: 503,
    });
  }
  return { value: readSource(ctx, 'input').toString(), attempts: String(ctx.attempt) };
};

/** `demo.reject` — always fails with a PermanentError: the step errors at once, the task ends in the DLQ. */
export const reject: Handler = async (ctx) => {
  await pause(ctx);
  const reason = typeof ctx.config['reason'] === 'string' ? ctx.config['reason'] : 'rejected';
  throw new PermanentError(`order ${String(ctx.context['even_number'])} ${reason}`, {
    errorType: 'business_rule_violation',
    statusCode: 422,
  });
};

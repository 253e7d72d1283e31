// `delay_ms` in a task's context makes every example step take that long: handy to watch a run live or to
// stop a worker mid-step. The wait ends early when the step's signal fires (cancel, lease lost, timeout).
import type { StepContext } from '@tasker/worker';

export function pause(ctx: StepContext): Promise<void> {
  const ms = ctx.context['delay_ms'];
  if (typeof ms !== 'number' || ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (ctx.signal.aborted) return reject(ctx.signal.reason);
    const timer = setTimeout(() => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(ctx.signal.reason);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}

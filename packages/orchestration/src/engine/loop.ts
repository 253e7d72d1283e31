// A background loop (sweeper, promoter, staleness, watcher refresh): runs `run` once at start, then sleeps and
// repeats. `run` may ask for a different next delay (0 = more work right away); `wake(at)` brings the next run
// forward. A loop without an interval runs only when woken (or asked by `run`). One run at a time; stop() waits
// for the running one. Failures are logged and reported through status(), never thrown.
import { errorMessage, type EngineLogger } from './logger.js';

/** What health reports of a loop: whether it runs, when it last ran, and its last run's failure. */
export interface LoopStatus {
  running: boolean;
  lastRunAt: Date | null;
  lastError: string | null;
}

export interface Loop {
  start(): void;
  stop(): Promise<void>;
  /** Run no later than `at` (default: now). */
  wake(at?: Date): void;
  status(): LoopStatus;
}

export interface LoopOptions {
  name: string;
  /** Delay between runs; null = none, the loop waits to be woken. */
  intervalMs: number | null;
  /** Returns the delay before the next run in ms; undefined = intervalMs. */
  run: () => Promise<number | undefined>;
  logger: EngineLogger;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export function createLoop(options: LoopOptions): Loop {
  let running = false;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let nextAt = Number.POSITIVE_INFINITY;
  let current: Promise<void> | undefined;
  let wakeRequested = false;
  const state: LoopStatus = { running: false, lastRunAt: null, lastError: null };

  const schedule = (delayMs: number | null): void => {
    if (stopped || delayMs === null || !Number.isFinite(delayMs)) return;
    // setTimeout fires at once for delays past 2^31 - 1 ms (~24.8 days); such a run comes early instead.
    const delay = Math.min(Math.max(0, delayMs), MAX_TIMER_MS);
    const at = Date.now() + delay;
    if (timer !== undefined && at >= nextAt) return;
    if (timer !== undefined) clearTimeout(timer);
    nextAt = at;
    timer = setTimeout(tick, delay);
  };

  const tick = (): void => {
    timer = undefined;
    nextAt = Number.POSITIVE_INFINITY;
    if (stopped) return;
    if (running) {
      wakeRequested = true;
      return;
    }
    running = true;
    current = (async () => {
      let delay: number | undefined;
      try {
        delay = await options.run();
        state.lastError = null;
      } catch (err) {
        state.lastError = errorMessage(err);
        options.logger.warn({ loop: options.name, err: state.lastError }, 'engine loop run failed');
      } finally {
        state.lastRunAt = new Date();
        running = false;
      }
      if (wakeRequested) {
        wakeRequested = false;
        schedule(0);
      } else {
        schedule(delay ?? options.intervalMs);
      }
    })();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      state.running = true;
      schedule(0);
    },
    async stop() {
      stopped = true;
      state.running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await current;
    },
    wake(at) {
      if (stopped) return;
      if (running) {
        if (at === undefined || at.getTime() <= Date.now()) wakeRequested = true;
        else schedule(at.getTime() - Date.now());
        return;
      }
      schedule(at === undefined ? 0 : at.getTime() - Date.now());
    },
    status: () => ({ ...state }),
  };
}

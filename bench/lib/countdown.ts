// Waiting for N in-process events (job handlers run) without polling: a polling loop would add its own
// CPU to the bench-process figure of the run it waits for.

export interface Countdown {
  readonly count: number;
  add(n: number): void;
  /** true once `target` is reached, false if `timeoutMs` passed first. */
  wait(timeoutMs: number): Promise<boolean>;
}

export function createCountdown(target: number): Countdown {
  let count = 0;
  let release: (() => void) | undefined;
  const reached = new Promise<void>((resolve) => {
    release = resolve;
  });
  if (target <= 0) release?.();
  return {
    get count() {
      return count;
    },
    add(n) {
      count += n;
      if (count >= target) release?.();
    },
    async wait(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([reached.then(() => true), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

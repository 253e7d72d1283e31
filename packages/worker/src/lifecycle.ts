// The worker's states: created → starting → running → draining → stopped. start() runs once; stop() runs once
// (later calls share it): during a start it aborts the start and drains only if the start won the race.
import type { WorkerState } from './types.js';

export interface LifecycleSteps {
  /** Everything before claiming; `signal` aborts when stop() is called meanwhile. */
  boot(signal: AbortSignal): Promise<void>;
  /** Once the state is `running`. */
  run(): void;
  /** Once the state is `draining`. */
  drain(): Promise<void>;
  /** Releases what boot acquired: after the drain, and after a failed boot. */
  teardown(): Promise<void>;
  /** Once the state is `stopped` after a drain. */
  stopped(): void;
}

export class Lifecycle {
  private current: WorkerState = 'created';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly stopSignal = new AbortController();

  constructor(private readonly steps: LifecycleSteps) {}

  get state(): WorkerState {
    return this.current;
  }

  start(): Promise<void> {
    if (this.current !== 'created') return Promise.reject(new Error(`start(): the worker is already ${this.current}`));
    this.current = 'starting';
    this.starting = (async () => {
      await this.steps.boot(this.stopSignal.signal);
      this.current = 'running';
      this.steps.run();
    })().catch(async (err: unknown) => {
      this.current = 'stopped';
      await this.steps.teardown();
      throw err;
    });
    return this.starting;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.current === 'created') {
        this.current = 'stopped';
        return;
      }
      if (this.current === 'starting') {
        this.stopSignal.abort();
        await this.starting?.catch(() => undefined);
        // The start may have finished registering just before the abort took effect.
        if ((this.current as WorkerState) !== 'running') return;
      }
      this.current = 'draining';
      await this.steps.drain();
      await this.steps.teardown();
      this.current = 'stopped';
      this.steps.stopped();
    })();
    return this.stopping;
  }
}

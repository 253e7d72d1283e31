// The worker's settings: its options, with every default taken from config/default.yaml (the `worker` section
// and `environment`), so a library user and the tasker-worker CLI start from the same values.
import { createRequire } from 'node:module';
import { defaultConfig } from '@tasker/shared/config';
import { defaultWorkerId } from './connect.js';
import type { WorkerOptions } from './types.js';

const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** {@link WorkerOptions} after defaults. */
export interface WorkerSettings {
  readonly workerId: string;
  readonly version: string;
  readonly environment: string;
  readonly concurrency: number;
  readonly handlerTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly claimWaitMs: number;
  readonly resultBatchMax: number;
  readonly resultBatchWindowMs: number;
  /** Fixed heartbeat period, or undefined for a third of the shortest lease. */
  readonly heartbeatIntervalMs: number | undefined;
  readonly forceTemplates: boolean;
  /** The handler callables, sorted. */
  readonly handlerNames: string[];
}

export function resolveWorkerSettings(options: WorkerOptions): WorkerSettings {
  const defaults = defaultConfig();
  const w = defaults.worker;
  return Object.freeze({
    workerId: options.workerId ?? defaultWorkerId(),
    version: options.version ?? PACKAGE_VERSION,
    environment: options.environment ?? defaults.environment,
    concurrency: options.concurrency ?? w.concurrency,
    handlerTimeoutMs: options.handlerTimeoutMs ?? w.handler_timeout_ms,
    drainTimeoutMs: options.drainTimeoutMs ?? w.drain_timeout_ms,
    claimWaitMs: options.claimWaitMs ?? w.claim_wait_ms,
    resultBatchMax: options.resultBatchMax ?? w.result_batch_max,
    resultBatchWindowMs: options.resultBatchWindowMs ?? w.result_batch_window_ms,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    forceTemplates: options.forceTemplates ?? true,
    handlerNames: Object.keys(options.handlers).sort(),
  });
}

// Engine metrics observed at the service boundary, so the transports stay thin and the SQL stays metric-free:
// claims and their namespaces, step run time per handler (the worker-reported execution time), retries, DLQ
// entries opened by a failing result or by an operator (manual_dlq), and open event streams per transport.
import type { ClaimedStep, TaskStatusEvent } from '@tasker/shared';
import type { DlqService, Services, TaskEventService, WorkerService } from '../services/types.js';
import type { EngineMetrics, StreamTransport } from '../engine/metrics.js';

/** Steps claimed here whose result has not come back yet: step uuid → handler callable (bounded). */
const MAX_TRACKED_STEPS = 100_000;

export type InstrumentServices = (services: Services, transport: StreamTransport) => Services;

export function createServiceInstrumentation(metrics: EngineMetrics): InstrumentServices {
  const handlers = new Map<string, string>();

  function remember(steps: ClaimedStep[]): void {
    for (const step of steps) {
      if (handlers.size >= MAX_TRACKED_STEPS) {
        const oldest = handlers.keys().next().value;
        if (oldest !== undefined) handlers.delete(oldest);
      }
      handlers.set(step.stepUuid, step.handler.callable);
    }
  }

  /** A result reported to another replica than the claim leaves the handler unknown here. */
  function handlerOf(stepUuid: string): string {
    const handler = handlers.get(stepUuid) ?? 'unattributed';
    handlers.delete(stepUuid);
    return handler;
  }

  function workers(inner: WorkerService): WorkerService {
    return {
      ...inner,
      async claim(principal, input, signal) {
        const steps = await inner.claim(principal, input, signal);
        metrics.claimCompleted(steps.length);
        const perNamespace = new Map<string, number>();
        for (const s of steps) perNamespace.set(s.namespace, (perNamespace.get(s.namespace) ?? 0) + 1);
        for (const [namespace, n] of perNamespace) metrics.stepClaimed(namespace, n);
        remember(steps);
        return steps;
      },
      async complete(principal, input) {
        const ack = await inner.complete(principal, input);
        metrics.stepCompleted(handlerOf(input.stepUuid), (input.executionTimeMs ?? Number.NaN) / 1000, 'completed');
        return ack;
      },
      async fail(principal, input) {
        const ack = await inner.fail(principal, input);
        metrics.stepCompleted(handlerOf(input.stepUuid), (input.executionTimeMs ?? Number.NaN) / 1000, 'failed');
        if (ack.stepState === 'waiting_for_retry') metrics.retryScheduled();
        if (ack.taskState === 'error') metrics.dlqEntryCreated('max_retries_exceeded');
        return ack;
      },
      async release(principal, input) {
        const states = await inner.release(principal, input);
        for (const lease of input.leases) handlers.delete(lease.stepUuid);
        return states;
      },
    };
  }

  function taskEvents(inner: TaskEventService, transport: StreamTransport): TaskEventService {
    return {
      watch(principal, taskUuid, options) {
        return (async function* (): AsyncGenerator<TaskStatusEvent> {
          metrics.streamOpened(transport);
          try {
            yield* inner.watch(principal, taskUuid, options);
          } finally {
            metrics.streamClosed(transport);
          }
        })();
      },
    };
  }

  function dlq(inner: DlqService): DlqService {
    return {
      ...inner,
      async create(principal, taskUuid, input) {
        const entry = await inner.create(principal, taskUuid, input);
        metrics.dlqEntryCreated('manual_dlq');
        return entry;
      },
    };
  }

  return (services, transport) => ({
    ...services,
    workers: workers(services.workers),
    taskEvents: taskEvents(services.taskEvents, transport),
    ...(services.dlq === undefined ? {} : { dlq: dlq(services.dlq) }),
  });
}

// An in-memory orchestration for unit tests of the worker runtime: hands out queued steps through long-poll
// claims, answers heartbeats, records results and releases, and fails calls on demand.
import type { TaskerClient } from '@tasker/client/types';
import type {
  ClaimInput,
  CheckpointStepInput,
  ClaimedStep,
  CompleteStepInput,
  FailStepInput,
  HeartbeatInput,
  LeaseState,
  RegisterWorkerInput,
  ReleaseLeasesInput,
  ReportResultsInput,
  StepResultAck,
  StepResultOutcome,
  TemplateRegistration,
} from '@tasker/shared';
import { makeClaimedStep } from '@tasker/shared/testing/builders';

type Operation =
  'register' | 'registerTemplates' | 'claim' | 'heartbeat' | 'checkpoint' | 'complete' | 'fail' | 'report' | 'release';

/** Carries a shared error code like the SDK's TaskerError. */
export class FakeClientError extends Error {
  constructor(
    readonly code: string,
    message = code,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface FakeOrchestration {
  client: TaskerClient;
  readonly registrations: RegisterWorkerInput[];
  readonly templateRegistrations: unknown[][];
  readonly claims: ClaimInput[];
  readonly heartbeats: HeartbeatInput[];
  readonly checkpoints: CheckpointStepInput[];
  readonly completed: CompleteStepInput[];
  readonly failed: FailStepInput[];
  /** Every ReportResults call (its results also land in completed / failed). */
  readonly reports: ReportResultsInput[];
  readonly released: ReleaseLeasesInput[];
  /** Queues a step for the next claim; returns it. */
  push(overrides?: Partial<ClaimedStep>): ClaimedStep;
  /** The next `times` calls of `operation` throw `error`. */
  failNext(operation: Operation, times: number, error: Error): void;
  /** Heartbeats report this step as cancelled / lost from now on. */
  endLease(stepUuid: string, status: 'cancelled' | 'lost'): void;
  /** Resolves when `predicate` holds (checked every 5 ms), rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  closed: boolean;
}

export function createFakeOrchestration(options: { leaseMs?: number } = {}): FakeOrchestration {
  const leaseMs = options.leaseMs ?? 30_000;
  const queue: ClaimedStep[] = [];
  const waiters = new Set<() => void>();
  const failures = new Map<Operation, { times: number; error: Error }>();
  const ended = new Map<string, 'cancelled' | 'lost'>();

  const maybeFail = (op: Operation) => {
    const f = failures.get(op);
    if (f === undefined || f.times === 0) return;
    f.times -= 1;
    throw f.error;
  };
  const ack = (stepUuid: string, stepState: StepResultAck['stepState']): StepResultAck => ({
    stepUuid,
    stepState,
    taskState: 'steps_in_process',
    nextRetryAt: null,
  });

  const fake: FakeOrchestration = {
    registrations: [],
    templateRegistrations: [],
    claims: [],
    heartbeats: [],
    checkpoints: [],
    completed: [],
    failed: [],
    reports: [],
    released: [],
    closed: false,
    push(overrides = {}) {
      const step = makeClaimedStep({
        leaseExpiresAt: new Date(Date.now() + leaseMs),
        timeoutSeconds: null,
        ...overrides,
      });
      queue.push(step);
      for (const wake of [...waiters]) wake();
      return step;
    },
    failNext(operation, times, error) {
      failures.set(operation, { times, error });
    },
    endLease(stepUuid, status) {
      ended.set(stepUuid, status);
    },
    async until(predicate, timeoutMs = 3_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error('condition not reached in time');
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    client: undefined as unknown as TaskerClient,
  };

  const unsupported = () => {
    throw new Error('not supported by the fake orchestration');
  };
  const workers: TaskerClient['workers'] = {
    async register(input) {
      maybeFail('register');
      fake.registrations.push(input);
      return { ...input, registeredAt: new Date(), lastSeenAt: new Date(), live: true };
    },
    list: unsupported,
    async claim(input, signal) {
      maybeFail('claim');
      fake.claims.push(input);
      if (queue.length === 0 && input.waitMs > 0) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            waiters.delete(done);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, input.waitMs);
          waiters.add(done);
          signal?.addEventListener('abort', done, { once: true });
        });
      }
      if (signal?.aborted) return [];
      return queue.splice(0, input.maxSteps);
    },
    async heartbeat(input) {
      maybeFail('heartbeat');
      fake.heartbeats.push(input);
      return input.leases.map((l): LeaseState => {
        const status = ended.get(l.stepUuid);
        return status === undefined
          ? { stepUuid: l.stepUuid, status: 'valid', leaseExpiresAt: new Date(Date.now() + leaseMs) }
          : { stepUuid: l.stepUuid, status, leaseExpiresAt: null };
      });
    },
    async checkpoint(input) {
      maybeFail('checkpoint');
      const status = ended.get(input.stepUuid);
      if (status !== undefined)
        throw new FakeClientError('INVALID_STATE', 'lease lost', {
          reason: status === 'cancelled' ? 'cancelled' : 'lease_lost',
        });
      fake.checkpoints.push(input);
      const timestamp = new Date();
      return {
        stepUuid: input.stepUuid,
        leaseExpiresAt: new Date(Date.now() + leaseMs),
        checkpoint: {
          cursor: input.cursor,
          itemsProcessed: input.itemsProcessed,
          accumulatedResults: input.accumulatedResults,
          attempt: 1,
          timestamp,
          history: [{ cursor: input.cursor, timestamp, attempt: 1 }],
        },
      };
    },
    async complete(input) {
      maybeFail('complete');
      if (ended.has(input.stepUuid)) throw new FakeClientError('INVALID_STATE', 'lease lost');
      fake.completed.push(input);
      return ack(input.stepUuid, 'complete');
    },
    async fail(input) {
      maybeFail('fail');
      if (ended.has(input.stepUuid)) throw new FakeClientError('INVALID_STATE', 'lease lost');
      fake.failed.push(input);
      return ack(input.stepUuid, input.error.retryable ? 'waiting_for_retry' : 'error');
    },
    async reportResults(input) {
      maybeFail('report');
      fake.reports.push(input);
      const outcomes = input.results.map((r): StepResultOutcome => {
        const lost = ended.get(r.stepUuid);
        if (lost !== undefined)
          return {
            stepUuid: r.stepUuid,
            outcome: lost === 'cancelled' ? 'cancelled' : 'lease_lost',
            stepState: null,
            taskState: null,
            nextRetryAt: null,
          };
        if (r.kind === 'completed') {
          fake.completed.push({
            workerId: input.workerId,
            stepUuid: r.stepUuid,
            leaseToken: r.leaseToken,
            result: r.result,
            executionTimeMs: r.executionTimeMs,
            metadata: r.metadata,
          });
          return {
            stepUuid: r.stepUuid,
            outcome: 'ok',
            stepState: 'complete',
            taskState: 'steps_in_process',
            nextRetryAt: null,
          };
        }
        fake.failed.push({
          workerId: input.workerId,
          stepUuid: r.stepUuid,
          leaseToken: r.leaseToken,
          error: r.error,
          executionTimeMs: r.executionTimeMs,
        });
        return {
          stepUuid: r.stepUuid,
          outcome: 'ok',
          stepState: r.error.retryable ? 'waiting_for_retry' : 'error',
          taskState: 'steps_in_process',
          nextRetryAt: null,
        };
      });
      return { outcomes, claimed: input.claim === null ? [] : queue.splice(0, input.claim.maxSteps) };
    },
    async release(input) {
      maybeFail('release');
      fake.released.push(input);
      return input.leases.map((l) => ({ stepUuid: l.stepUuid, status: 'valid' as const, leaseExpiresAt: null }));
    },
  };
  const templates: TaskerClient['templates'] = {
    list: unsupported,
    get: unsupported,
    validate: unsupported,
    async register(raws) {
      maybeFail('registerTemplates');
      fake.templateRegistrations.push(raws);
      return raws.map((): TemplateRegistration => ({
        namespace: 'ns',
        name: 'n',
        version: '1.0.0',
        outcome: 'created',
        warnings: [],
      }));
    },
  };
  fake.client = {
    transport: 'grpc',
    workers,
    templates,
    async close() {
      fake.closed = true;
    },
  } as unknown as TaskerClient;
  return fake;
}

import type { StepCheckpoint } from './checkpoint.js';
import type { JsonObject, JsonValue } from './json.js';
import type { StepState, TaskState } from './states.js';

export interface RegisterWorkerInput {
  workerId: string;
  hostname: string;
  version: string;
  namespaces: string[];
  handlers: string[];
  metadata: JsonObject;
}

/** A registered worker; `live` when it was seen within the configured liveness window. */
export interface WorkerInfo {
  workerId: string;
  hostname: string;
  version: string;
  namespaces: string[];
  handlers: string[];
  metadata: JsonObject;
  registeredAt: Date;
  lastSeenAt: Date;
  live: boolean;
}

export interface ClaimInput {
  workerId: string;
  /** Empty = every namespace. */
  namespaces: string[];
  /** Empty = any handler. */
  handlerNames: string[];
  maxSteps: number;
  /** Long-poll budget; 0 = answer at once. */
  waitMs: number;
}

/** A step handed to a worker, with everything its handler needs. */
export interface ClaimedStep {
  taskUuid: string;
  stepUuid: string;
  stepName: string;
  namespace: string;
  taskName: string;
  taskVersion: string;
  handler: { callable: string; method: string | null; initialization: JsonObject };
  context: JsonObject;
  /** Parent step name → its result. */
  parentResults: Record<string, JsonValue>;
  attempt: number;
  maxAttempts: number;
  /** Fencing token: changes on every claim; results carrying an older one are refused. */
  leaseToken: string;
  leaseExpiresAt: Date;
  timeoutSeconds: number | null;
  correlationId: string;
  /** The step's last checkpoint, written by an earlier attempt (or this step's previous run); null before any. */
  checkpoint: StepCheckpoint | null;
}

export interface LeaseRef {
  stepUuid: string;
  leaseToken: string;
}

export type LeaseStatus = 'valid' | 'cancelled' | 'lost';

export interface HeartbeatInput {
  workerId: string;
  leases: LeaseRef[];
}

export interface LeaseState {
  stepUuid: string;
  status: LeaseStatus;
  leaseExpiresAt: Date | null;
}

export interface CompleteStepInput {
  workerId: string;
  stepUuid: string;
  leaseToken: string;
  result: JsonValue;
  executionTimeMs: number | null;
  metadata: JsonObject | null;
}

export interface StepFailure {
  message: string;
  errorType: string | null;
  retryable: boolean;
  /** Server-requested delay (Retry-After); capped by the step's max backoff. */
  retryAfterSeconds: number | null;
  statusCode: number | null;
  backtrace: string | null;
  context: JsonObject | null;
}

export interface FailStepInput {
  workerId: string;
  stepUuid: string;
  leaseToken: string;
  error: StepFailure;
  executionTimeMs: number | null;
}

/** Where a reported result left the step and its task. */
export interface StepResultAck {
  stepUuid: string;
  stepState: StepState;
  taskState: TaskState;
  nextRetryAt: Date | null;
}

export interface ReleaseLeasesInput {
  workerId: string;
  leases: LeaseRef[];
}

/** One result in a batch: a completion or a failure, each fenced by its lease token. */
export type StepResultReport =
  | {
      kind: 'completed';
      stepUuid: string;
      leaseToken: string;
      result: JsonValue;
      executionTimeMs: number | null;
      metadata: JsonObject | null;
    }
  | { kind: 'failed'; stepUuid: string; leaseToken: string; error: StepFailure; executionTimeMs: number | null };

/** What a claim made alongside a batch of results asks for (the slots those results free, and any idle ones). */
export interface ClaimAlongside {
  maxSteps: number;
  /** Empty = every namespace the caller may serve. */
  namespaces: string[];
  /** Empty = any handler. */
  handlerNames: string[];
}

export interface ReportResultsInput {
  workerId: string;
  results: StepResultReport[];
  /** Claim more steps in the same call, after the results are applied (never waits); null = none. */
  claim: ClaimAlongside | null;
}

/** How one reported result was taken: applied (`ok`), or refused with nothing changed. */
export const STEP_RESULT_OUTCOME_KINDS = ['ok', 'lease_lost', 'cancelled', 'not_found'] as const;
export type StepResultOutcomeKind = (typeof STEP_RESULT_OUTCOME_KINDS)[number];

export interface StepResultOutcome {
  stepUuid: string;
  outcome: StepResultOutcomeKind;
  /** The step's state after the result (ok), or as it stands (refused); null when not found. */
  stepState: StepState | null;
  taskState: TaskState | null;
  nextRetryAt: Date | null;
}

export interface ReportResultsOutput {
  /** One per reported result, in the order reported. */
  outcomes: StepResultOutcome[];
  /** Steps claimed for the caller in the same call (empty unless `claim` asked). */
  claimed: ClaimedStep[];
}

// Test helpers for the proto converters: a real wire trip, and minimal domain fixtures (every nullable field
// null, every list empty) to pair with the fully populated builders of ./builders.ts.
import { AppError } from '../errors.js';
import type { StepCheckpoint } from '../domain/checkpoint.js';
import type { Step, StepAudit } from '../domain/step.js';
import type { Task } from '../domain/task.js';
import type { DlqEntry, DlqInvestigationItem, DlqStats, StalenessItem } from '../domain/dlq.js';
import type { Template } from '../domain/template.js';
import type { ClaimedStep, ReportResultsInput } from '../domain/worker.js';
import {
  makeClaimedStep,
  makeDlqEntry,
  makeDlqInvestigationItem,
  makeDlqStats,
  makeStalenessItem,
  makeStep,
  makeStepAudit,
  makeStepCheckpoint,
  makeTask,
  makeReportResultsInput,
  makeTemplate,
  makeTemplateStep,
} from './builders.js';

interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

/** Encodes to protobuf bytes and decodes again: what a peer actually receives. */
export function wire<T>(codec: MessageCodec<T>, message: T): T {
  return codec.decode(codec.encode(message).finish());
}

export function makeMinimalTask(overrides: Partial<Task> = {}): Task {
  return makeTask({
    context: {},
    priority: 0,
    tags: [],
    parentCorrelationId: null,
    idempotencyKey: null,
    options: {},
    completedAt: null,
    ...overrides,
  });
}

export function makeMinimalStep(overrides: Partial<Step> = {}): Step {
  return makeStep({
    state: 'pending',
    completedAt: null,
    results: null,
    totalParents: 0,
    completedParents: 0,
    attempts: 0,
    lastFailureAt: null,
    nextRetryAt: null,
    lastAttemptedAt: null,
    backoffRequestSeconds: null,
    lastError: null,
    stepType: 'standard',
    createdByStepUuid: null,
    createdByStepName: null,
    batch: null,
    ...overrides,
  });
}

/** A scalar cursor, nothing processed, no partial results, no history. */
export function makeMinimalStepCheckpoint(overrides: Partial<StepCheckpoint> = {}): StepCheckpoint {
  return makeStepCheckpoint({
    cursor: 0,
    itemsProcessed: 0,
    accumulatedResults: null,
    attempt: 1,
    history: [],
    ...overrides,
  });
}

export function makeMinimalStepAudit(overrides: Partial<StepAudit> = {}): StepAudit {
  return makeStepAudit({
    action: 'resolve_manually',
    workerId: null,
    performedBy: null,
    reason: null,
    correlationId: null,
    success: false,
    executionTimeMs: null,
    result: null,
    fromState: null,
    ...overrides,
  });
}

/** Every nullable definition field null, handler without method/resolver/initialization, the smallest retry policy. */
export function makeMinimalTemplate(overrides: Partial<Template> = {}): Template {
  const t = makeTemplate();
  return {
    ...t,
    definition: {
      ...t.definition,
      description: null,
      inputSchema: null,
      lifecycle: null,
      metadata: null,
      steps: [
        makeTemplateStep({
          description: null,
          handler: { callable: 'Billing.LoadInvoice', method: null, resolver: null, initialization: {} },
          retry: { retryable: false, maxAttempts: 0, backoff: 'none', backoffBaseMs: 1, maxBackoffMs: 1, jitter: 0 },
          timeoutSeconds: null,
          resultSchema: null,
        }),
      ],
    },
    configuration: {},
    ...overrides,
  };
}

export function makeMinimalClaimedStep(overrides: Partial<ClaimedStep> = {}): ClaimedStep {
  return makeClaimedStep({
    handler: { callable: 'Billing.LoadInvoice', method: null, initialization: {} },
    context: {},
    parentResults: {},
    timeoutSeconds: null,
    ...overrides,
  });
}

/** No results and no claim; the smallest completion and failure are built from the builders with nulls. */
export function makeMinimalReportResultsInput(overrides: Partial<ReportResultsInput> = {}): ReportResultsInput {
  return makeReportResultsInput({ results: [], claim: null, ...overrides });
}

export function makeMinimalDlqEntry(overrides: Partial<DlqEntry> = {}): DlqEntry {
  return makeDlqEntry({
    resolutionStatus: 'pending',
    resolutionTimestamp: null,
    resolutionNotes: null,
    resolvedBy: null,
    taskSnapshot: {},
    metadata: null,
    ...overrides,
  });
}

export function makeMinimalDlqStats(overrides: Partial<DlqStats> = {}): DlqStats {
  return makeDlqStats({ oldestEntry: null, newestEntry: null, avgResolutionTimeMinutes: null, ...overrides });
}

export function makeMinimalDlqInvestigationItem(overrides: Partial<DlqInvestigationItem> = {}): DlqInvestigationItem {
  return makeDlqInvestigationItem({
    namespace: null,
    taskName: null,
    currentState: null,
    timeInStateMinutes: null,
    ...overrides,
  });
}

export function makeMinimalStalenessItem(overrides: Partial<StalenessItem> = {}): StalenessItem {
  return makeStalenessItem({ namespace: null, taskName: null, ...overrides });
}

/** The AppError thrown by `run`; throws when `run` succeeds or throws anything else. */
export function appErrorOf(run: () => unknown): AppError {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError, got success');
}

/** The field paths of a VALIDATION_FAILED thrown by `run`, sorted; throws when `run` does not fail that way. */
export function validationFieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError && err.code === 'VALIDATION_FAILED') {
      return (err.details?.fields as Array<{ path: string }>).map((f) => f.path).sort();
    }
    throw err;
  }
  throw new Error('expected VALIDATION_FAILED, got success');
}

function countLeaves(value: unknown, kind: 'boolean'): number {
  if (typeof value === kind) return 1;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countLeaves(v, kind), 0);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.values(value).reduce((n: number, v) => n + countLeaves(v, kind), 0);
  }
  return 0;
}

function rewrite(value: unknown, next: { n: number; b: number; bit: number }): unknown {
  if (typeof value === 'number') return (next.n += 1);
  if (typeof value === 'boolean') return ((next.b++ >> next.bit) & 1) === 1;
  if (Array.isArray(value)) return value.map((v) => rewrite(v, next));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, next)]));
  }
  return value;
}

/**
 * Variants of a fixture in which every number is distinct (1, 2, 3…) and the booleans follow bit patterns
 * (boolean i = bit k of i+1 in variant k), so a converter that swaps two fields of the same type cannot
 * round-trip all variants. Builders often give sibling counters equal values; this closes that blind spot.
 */
export function distinctVariants<T>(fixture: T): Array<[string, T]> {
  const booleans = countLeaves(fixture, 'boolean');
  const bits = Math.max(1, Math.ceil(Math.log2(booleans + 2)));
  return Array.from({ length: bits }, (_, bit) => [
    `distinct values, boolean pattern ${bit}`,
    rewrite(fixture, { n: 0, b: 1, bit }) as T,
  ]);
}

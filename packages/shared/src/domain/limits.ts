// Every bound of a request input, defined once. The REST zod schemas (schemas/rest) and the proto request
// validators (convert/proto) are both built from these tables, so the two transports accept and refuse the same
// values; a unit test (limits.test.ts) holds them to it at each limit. Services check only what no transport can
// (cross-field rules, facts in the database) and guard the values they hand to SQL with these same numbers.
// Template documents have their own rules (TEMPLATE_LIMITS in template-step.ts): they are parsed, not transported.
import { z } from 'zod';

/** Length of a string field in characters (UTF-16 code units, as `String.length` and zod count them). */
export interface LengthRule {
  readonly min: number;
  readonly max: number;
}

/** An integer field: its range, and the value a transport fills in when the field is absent (if any). */
export interface IntRule {
  readonly min: number;
  /** Absent: no upper bound beyond the wire type's. */
  readonly max?: number;
  readonly default?: number;
}

/**
 * The RFC 9562 UUID form (versions 1–8 with the RFC variant, plus the nil and max UUIDs) that zod's `z.uuid()`
 * checks on REST; the proto validators and the services test the same pattern.
 */
export const UUID_PATTERN: RegExp = z.regexes.uuid();

/** Whether `value` has the {@link UUID_PATTERN} form. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** Namespaces, names and identifiers of people and machines. */
const LABEL = { min: 1, max: 255 } as const satisfies LengthRule;

/** String lengths, per kind of field. */
export const TEXT_LIMITS = Object.freeze({
  namespace: LABEL,
  /** A task or template name. */
  name: LABEL,
  /** A template version as requested (the template document restricts its form further). */
  version: { min: 1, max: 50 },
  initiator: LABEL,
  sourceSystem: LABEL,
  /** Why a task was created. */
  taskReason: { min: 1, max: 500 },
  tag: { min: 1, max: 128 },
  idempotencyKey: LABEL,
  /** Who performs an operator action (`performed_by`, `cancelled_by`, `resolved_by`, `reset_by`, `completed_by`). */
  actor: LABEL,
  /** Why an operator acts (cancel, resume, resolve, step actions, a manual DLQ entry). */
  operatorReason: { min: 1, max: 1000 },
  resolutionNotes: { min: 1, max: 5000 },
  workerId: LABEL,
  hostname: LABEL,
  workerVersion: { min: 1, max: 64 },
  /** A namespace or handler name a worker registers or claims for. */
  workerName: LABEL,
  errorMessage: { min: 0, max: 10_000 },
  errorType: { min: 0, max: 255 },
  backtrace: { min: 0, max: 100_000 },
  apiKeyDescription: LABEL,
  /** One grant of an API key: a permission or `<resource>:*`. */
  apiKeyPermission: { min: 1, max: 100 },
  /** A schedule's cron expression (5 or 6 fields, checked by the service). */
  cronExpression: { min: 1, max: 255 },
  /** An IANA time zone name (checked by the service). */
  timeZone: { min: 1, max: 64 },
} as const satisfies Record<string, LengthRule>);

/** Integer ranges, with the default a transport fills in for an absent field. */
export const INT_LIMITS = Object.freeze({
  priority: { min: -100, max: 100 },
  /** A claim's `max_steps` (default 1 on REST; proto3 cannot tell an absent value from 0). */
  claimMaxSteps: { min: 1, max: 1000, default: 1 },
  /** A claim alongside reported results: 0 claims nothing. */
  batchClaimMaxSteps: { min: 0, max: 1000 },
  /** Long-poll budget of a claim; 0 answers at once. */
  claimWaitMs: { min: 0, max: 600_000, default: 0 },
  /** Analytics window in hours; 0 = all time. */
  analyticsHours: { min: 0, max: 24 * 366, default: 24 },
  bottleneckLimit: { min: 1, max: 1000, default: 10 },
  bottleneckMinExecutions: { min: 1, max: 1_000_000, default: 5 },
  /** A task event cursor (`after_event_id`, `Last-Event-ID`). */
  eventCursor: { min: 0, max: Number.MAX_SAFE_INTEGER },
  /** A checkpoint's `items_processed`. */
  checkpointItems: { min: 0, max: Number.MAX_SAFE_INTEGER },
  /** A schedule's fixed interval in seconds (1 s to 366 days). */
  scheduleIntervalSeconds: { min: 1, max: 366 * 24 * 3600 },
  /** Most missed ticks a `run_all` schedule catches up on. */
  scheduleCatchUpCap: { min: 1, max: 10_000, default: 100 },
} as const satisfies Record<string, IntRule>);

/** Paging of list requests. */
export const PAGE_LIMITS = Object.freeze({
  /** REST task list: page number (default 1) and page size (default 25). */
  taskPage: { min: 1, max: 1_000_000, default: 1 },
  taskPerPage: { min: 1, max: 100, default: 25 },
  /** gRPC PaginationRequest (task lists): limit (default 50) and offset (default 0). */
  limit: { min: 1, max: 1000, default: 50 },
  offset: { min: 0, default: 0 },
  /** DLQ entry list on both transports. */
  dlqLimit: { min: 1, max: 1000, default: 50 },
  dlqOffset: { min: 0, max: 1_000_000_000, default: 0 },
  /** DLQ investigation queue and staleness monitoring. */
  dlqQueueLimit: { min: 1, max: 1000, default: 100 },
  /** Schedule lists and a schedule's firings on both transports. */
  scheduleLimit: { min: 1, max: 1000, default: 50 },
  scheduleOffset: { min: 0, max: 1_000_000_000, default: 0 },
} as const satisfies Record<string, IntRule>);

/** Most items of a list field. */
export const COUNT_LIMITS = Object.freeze({
  tags: 100,
  /** A worker's namespaces or handler names. */
  workerNames: 1000,
  leases: 1000,
  /** Templates in one registration (at least one). */
  templates: 100,
  /** Results in one ReportResults call. */
  reportedResults: 1000,
  apiKeyPermissions: 100,
  apiKeyNamespaces: 1000,
} as const satisfies Record<string, number>);

/**
 * Bounds of a task's `options` (a string map). No transport checks them: the service does, once, for every
 * caller, with taskOptionsProblems().
 */
export const TASK_OPTIONS_LIMITS = Object.freeze({
  maxEntries: 64,
  maxKeyLength: 128,
  maxValueLength: 4096,
  /** UTF-8 bytes of the options as compact JSON. */
  maxTotalBytes: 16_384,
});

import type { JsonObject } from './json.js';

export const STEP_TYPES = ['standard', 'decision', 'deferred_convergence', 'batchable', 'batch_worker'] as const;
export type StepType = (typeof STEP_TYPES)[number];

export const BACKOFF_KINDS = ['none', 'linear', 'exponential', 'fibonacci'] as const;
export type BackoffKind = (typeof BACKOFF_KINDS)[number];

export const IDENTITY_STRATEGIES = ['strict', 'caller_provided', 'always_unique'] as const;
export type IdentityStrategy = (typeof IDENTITY_STRATEGIES)[number];

/** Per-step retry policy, with the template defaults applied. */
export interface RetryPolicy {
  retryable: boolean;
  /** Total runs including the first. */
  maxAttempts: number;
  backoff: BackoffKind;
  backoffBaseMs: number;
  maxBackoffMs: number;
  /** 0..1: the delay is randomised by ± this share. */
  jitter: number;
}

export interface StepHandlerSpec {
  callable: string;
  method: string | null;
  resolver: string | null;
  /** Becomes the step's configuration handed to the handler. */
  initialization: JsonObject;
}

export const FAILURE_STRATEGIES = ['continue_on_failure', 'fail_fast', 'isolate'] as const;
/** What the engine does when a batch worker ends in error (docs/dynamic-workflows.md *Failure strategies*). */
export type FailureStrategy = (typeof FAILURE_STRATEGIES)[number];

/** A `batch_worker` step's `batch_config` (the reference's keys and defaults). */
export interface BatchConfig {
  /** 1..100000, default 1000: the server-side cursor generator's range size when the outcome gives none. */
  batchSize: number;
  /** 1..1000, default 10: at most this many workers of one batch are dispatched (not finished) at a time. */
  parallelism: number;
  /** Default `id`; copied into each worker's `batch_metadata`. */
  cursorField: string;
  /** The worker template's name (the reference requires it and repeats the step's own name). */
  workerTemplate: string;
  failureStrategy: FailureStrategy;
}

export interface TemplateStep {
  name: string;
  description: string | null;
  type: StepType;
  handler: StepHandlerSpec;
  dependencies: string[];
  retry: RetryPolicy;
  timeoutSeconds: number | null;
  resultSchema: JsonObject | null;
  /** Only on `batch_worker` steps (absent elsewhere, so the content hash of other templates is unchanged). */
  batchConfig?: BatchConfig;
}

/**
 * What the staleness detector does with a stale task of the template: `dlq` (default) opens a DLQ entry
 * `staleness_timeout` and moves the task to error; `error` moves it to error without an entry; `none` changes
 * nothing (the staleness monitoring still reports it).
 */
export const STALENESS_ACTIONS = ['dlq', 'error', 'none'] as const;
export type StalenessAction = (typeof STALENESS_ACTIONS)[number];

/**
 * Staleness overrides (the template's `lifecycle`, docs/engine.md *Staleness*), as the template gives them (null =
 * not given). How the action keys combine: `stalenessEffectOf` in domain/staleness.ts.
 */
export interface TemplateLifecycle {
  maxDurationMinutes: number | null;
  maxWaitingForDependenciesMinutes: number | null;
  maxWaitingForRetryMinutes: number | null;
  maxStepsInProcessMinutes: number | null;
  stalenessAction: StalenessAction | null;
  /** false: a stale task gets its DLQ entry but is not failed (it keeps running). */
  autoFailOnTimeout: boolean | null;
  /** false: a stale task is failed without a DLQ entry. */
  autoDlqOnTimeout: boolean | null;
}

/** A validated, normalised template (aliases resolved, defaults applied). */
export interface TemplateDefinition {
  namespace: string;
  name: string;
  version: string;
  description: string | null;
  identityStrategy: IdentityStrategy;
  inputSchema: JsonObject | null;
  lifecycle: TemplateLifecycle | null;
  metadata: JsonObject | null;
  steps: TemplateStep[];
}

/** A registered template. */
export interface Template {
  templateUuid: string;
  definition: TemplateDefinition;
  /** The definition as registered (the reference's `configuration`). */
  configuration: JsonObject;
  contentHash: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface TemplateSummary {
  namespace: string;
  name: string;
  version: string;
  description: string | null;
  stepCount: number;
}

export interface NamespaceSummary {
  name: string;
  description: string | null;
  templateCount: number;
}

export interface TemplateList {
  namespaces: NamespaceSummary[];
  templates: TemplateSummary[];
  totalCount: number;
}

/** One problem of a template, with the path of the offending key (`steps[2].dependencies[0]`). */
export interface TemplateProblem {
  path: string;
  message: string;
}

export interface TemplateValidation {
  valid: boolean;
  errors: TemplateProblem[];
}

export type TemplateRegistrationOutcome = 'created' | 'unchanged' | 'updated';

export interface TemplateRegistration {
  namespace: string;
  name: string;
  version: string;
  outcome: TemplateRegistrationOutcome;
  /**
   * What registration accepted but an operator should know, each with the path of the key (a step whose
   * timeout outlives the task's maximum lifetime, …). Computed against the registering server's config.
   */
  warnings: TemplateProblem[];
}

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

export interface TemplateStep {
  name: string;
  description: string | null;
  type: StepType;
  handler: StepHandlerSpec;
  dependencies: string[];
  retry: RetryPolicy;
  timeoutSeconds: number | null;
  resultSchema: JsonObject | null;
}

/** Staleness overrides (domain.md §4 `lifecycle`). */
export interface TemplateLifecycle {
  maxDurationMinutes: number | null;
  maxWaitingForDependenciesMinutes: number | null;
  maxWaitingForRetryMinutes: number | null;
  maxStepsInProcessMinutes: number | null;
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
}

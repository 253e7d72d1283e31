import type { Template, TemplateList, TemplateRegistration, TemplateValidation } from '../../domain/template.js';
import type {
  RegisterTemplatesRequest,
  RegisterTemplatesResponse,
  TemplateListResponse,
  TemplateResponse,
  TemplateSource,
  TemplateValidationResponse,
} from '../../schemas/rest/template.js';
import { timestampFromRest, timestampToRest } from './common.js';

export function templateToRest(t: Template): TemplateResponse {
  const d = t.definition;
  return {
    template_uuid: t.templateUuid,
    namespace: d.namespace,
    name: d.name,
    version: d.version,
    description: d.description,
    identity_strategy: d.identityStrategy,
    input_schema: d.inputSchema,
    lifecycle:
      d.lifecycle === null
        ? null
        : {
            max_duration_minutes: d.lifecycle.maxDurationMinutes,
            max_waiting_for_dependencies_minutes: d.lifecycle.maxWaitingForDependenciesMinutes,
            max_waiting_for_retry_minutes: d.lifecycle.maxWaitingForRetryMinutes,
            max_steps_in_process_minutes: d.lifecycle.maxStepsInProcessMinutes,
            staleness_action: d.lifecycle.stalenessAction,
            auto_fail_on_timeout: d.lifecycle.autoFailOnTimeout,
            auto_dlq_on_timeout: d.lifecycle.autoDlqOnTimeout,
          },
    metadata: d.metadata,
    steps: d.steps.map((s) => ({
      name: s.name,
      description: s.description,
      type: s.type,
      handler: {
        callable: s.handler.callable,
        method: s.handler.method,
        resolver: s.handler.resolver,
        initialization: s.handler.initialization,
      },
      dependencies: s.dependencies,
      retry: {
        retryable: s.retry.retryable,
        max_attempts: s.retry.maxAttempts,
        backoff: s.retry.backoff,
        backoff_base_ms: s.retry.backoffBaseMs,
        max_backoff_ms: s.retry.maxBackoffMs,
        jitter: s.retry.jitter,
      },
      timeout_seconds: s.timeoutSeconds,
      result_schema: s.resultSchema,
    })),
    configuration: t.configuration,
    content_hash: t.contentHash,
    created_at: timestampToRest(t.createdAt),
    updated_at: timestampToRest(t.updatedAt),
  };
}

export function templateFromRest(r: TemplateResponse): Template {
  return {
    templateUuid: r.template_uuid,
    definition: {
      namespace: r.namespace,
      name: r.name,
      version: r.version,
      description: r.description,
      identityStrategy: r.identity_strategy,
      inputSchema: r.input_schema,
      lifecycle:
        r.lifecycle === null
          ? null
          : {
              maxDurationMinutes: r.lifecycle.max_duration_minutes,
              maxWaitingForDependenciesMinutes: r.lifecycle.max_waiting_for_dependencies_minutes,
              maxWaitingForRetryMinutes: r.lifecycle.max_waiting_for_retry_minutes,
              maxStepsInProcessMinutes: r.lifecycle.max_steps_in_process_minutes,
              stalenessAction: r.lifecycle.staleness_action,
              autoFailOnTimeout: r.lifecycle.auto_fail_on_timeout,
              autoDlqOnTimeout: r.lifecycle.auto_dlq_on_timeout,
            },
      metadata: r.metadata,
      steps: r.steps.map((s) => ({
        name: s.name,
        description: s.description,
        type: s.type,
        handler: {
          callable: s.handler.callable,
          method: s.handler.method,
          resolver: s.handler.resolver,
          initialization: s.handler.initialization,
        },
        dependencies: s.dependencies,
        retry: {
          retryable: s.retry.retryable,
          maxAttempts: s.retry.max_attempts,
          backoff: s.retry.backoff,
          backoffBaseMs: s.retry.backoff_base_ms,
          maxBackoffMs: s.retry.max_backoff_ms,
          jitter: s.retry.jitter,
        },
        timeoutSeconds: s.timeout_seconds,
        resultSchema: s.result_schema,
      })),
    },
    configuration: r.configuration,
    contentHash: r.content_hash,
    createdAt: timestampFromRest(r.created_at),
    updatedAt: timestampFromRest(r.updated_at),
  };
}

export function templateListToRest(list: TemplateList): TemplateListResponse {
  return {
    namespaces: list.namespaces.map((n) => ({
      name: n.name,
      description: n.description,
      template_count: n.templateCount,
    })),
    templates: list.templates.map((t) => ({
      namespace: t.namespace,
      name: t.name,
      version: t.version,
      description: t.description,
      step_count: t.stepCount,
    })),
    total_count: list.totalCount,
  };
}

export function templateListFromRest(r: TemplateListResponse): TemplateList {
  return {
    namespaces: r.namespaces.map((n) => ({
      name: n.name,
      description: n.description,
      templateCount: n.template_count,
    })),
    templates: r.templates.map((t) => ({
      namespace: t.namespace,
      name: t.name,
      version: t.version,
      description: t.description,
      stepCount: t.step_count,
    })),
    totalCount: r.total_count,
  };
}

/**
 * What the template service takes as a raw template: YAML text for `{"yaml": …}`, else the object itself.
 * A template object never has a lone `yaml` key, so the two forms cannot be confused.
 */
export function templateSourceFromRest(source: TemplateSource): unknown {
  const keys = Object.keys(source);
  if (keys.length === 1 && keys[0] === 'yaml' && typeof source.yaml === 'string') return source.yaml;
  return source;
}

/** YAML text becomes `{"yaml": …}`; an object is sent as it is. */
export function templateSourceToRest(raw: string | TemplateSource): TemplateSource {
  return typeof raw === 'string' ? { yaml: raw } : raw;
}

export function templateValidationToRest(v: TemplateValidation): TemplateValidationResponse {
  return { valid: v.valid, errors: v.errors.map((e) => ({ path: e.path, message: e.message })) };
}

export function templateValidationFromRest(r: TemplateValidationResponse): TemplateValidation {
  return { valid: r.valid, errors: r.errors.map((e) => ({ path: e.path, message: e.message })) };
}

export interface RegisterTemplatesInput {
  raws: unknown[];
  force: boolean;
}

export function registerTemplatesFromRest(body: RegisterTemplatesRequest): RegisterTemplatesInput {
  return { raws: body.templates.map(templateSourceFromRest), force: body.force };
}

export function registerTemplatesToRest(
  templates: Array<string | TemplateSource>,
  force: boolean,
): RegisterTemplatesRequest {
  return { templates: templates.map(templateSourceToRest), force };
}

export function templateRegistrationsToRest(list: TemplateRegistration[]): RegisterTemplatesResponse {
  return {
    registrations: list.map((r) => ({
      namespace: r.namespace,
      name: r.name,
      version: r.version,
      outcome: r.outcome,
      warnings: r.warnings.map((w) => ({ path: w.path, message: w.message })),
    })),
  };
}

export function templateRegistrationsFromRest(r: RegisterTemplatesResponse): TemplateRegistration[] {
  return r.registrations.map((x) => ({
    namespace: x.namespace,
    name: x.name,
    version: x.version,
    outcome: x.outcome,
    warnings: x.warnings.map((w) => ({ path: w.path, message: w.message })),
  }));
}

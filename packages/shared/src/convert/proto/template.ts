// Templates: domain ↔ proto (TemplateService, and WorkerService.RegisterTemplates).
import type { JsonObject } from '../../domain/json.js';
import { COUNT_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import type {
  Template,
  TemplateDefinition,
  TemplateLifecycle,
  TemplateList,
  TemplateRegistration,
  TemplateStep,
  TemplateValidation,
} from '../../domain/template.js';
import { validationError } from '../../errors.js';
import type {
  GetTemplateRequest as PbGetTemplateRequest,
  ListTemplatesRequest as PbListTemplatesRequest,
  ListTemplatesResponse as PbListTemplatesResponse,
  Template as PbTemplate,
  TemplateLifecycle as PbTemplateLifecycle,
  TemplateStep as PbTemplateStep,
  ValidateTemplateRequest as PbValidateTemplateRequest,
  ValidateTemplateResponse as PbValidateTemplateResponse,
} from '../../gen/tasker/v1/templates.js';
import type {
  RegisterTemplatesRequest as PbRegisterTemplatesRequest,
  RegisterTemplatesResponse as PbRegisterTemplatesResponse,
} from '../../gen/tasker/v1/workers.js';
import {
  RequestValidator,
  nullableFromProto,
  nullableToProto,
  requiredDateFromProto,
  structFromProto,
  structOrEmptyFromProto,
} from './common.js';
import {
  backoffKindFromProto,
  backoffKindToProto,
  identityStrategyFromProto,
  identityStrategyToProto,
  stalenessActionFromProto,
  stalenessActionToProto,
  stepTypeFromProto,
  stepTypeToProto,
  templateRegistrationOutcomeFromProto,
  templateRegistrationOutcomeToProto,
} from './enums.js';

function lifecycleToProto(l: TemplateLifecycle | null): PbTemplateLifecycle | undefined {
  if (l === null) return undefined;
  return {
    maxDurationMinutes: nullableToProto(l.maxDurationMinutes),
    maxWaitingForDependenciesMinutes: nullableToProto(l.maxWaitingForDependenciesMinutes),
    maxWaitingForRetryMinutes: nullableToProto(l.maxWaitingForRetryMinutes),
    maxStepsInProcessMinutes: nullableToProto(l.maxStepsInProcessMinutes),
    stalenessAction: l.stalenessAction === null ? undefined : stalenessActionToProto(l.stalenessAction),
    autoFailOnTimeout: nullableToProto(l.autoFailOnTimeout),
    autoDlqOnTimeout: nullableToProto(l.autoDlqOnTimeout),
  };
}

function lifecycleFromProto(l: PbTemplateLifecycle | undefined): TemplateLifecycle | null {
  if (l === undefined) return null;
  return {
    maxDurationMinutes: nullableFromProto(l.maxDurationMinutes),
    maxWaitingForDependenciesMinutes: nullableFromProto(l.maxWaitingForDependenciesMinutes),
    maxWaitingForRetryMinutes: nullableFromProto(l.maxWaitingForRetryMinutes),
    maxStepsInProcessMinutes: nullableFromProto(l.maxStepsInProcessMinutes),
    stalenessAction:
      l.stalenessAction === undefined
        ? null
        : stalenessActionFromProto(l.stalenessAction, 'template.lifecycle.staleness_action'),
    autoFailOnTimeout: nullableFromProto(l.autoFailOnTimeout),
    autoDlqOnTimeout: nullableFromProto(l.autoDlqOnTimeout),
  };
}

function templateStepToProto(s: TemplateStep): PbTemplateStep {
  return {
    name: s.name,
    description: nullableToProto(s.description),
    stepType: stepTypeToProto(s.type),
    handlerCallable: s.handler.callable,
    handlerMethod: nullableToProto(s.handler.method),
    handlerResolver: nullableToProto(s.handler.resolver),
    handlerInitialization: s.handler.initialization,
    dependencies: s.dependencies,
    defaultRetryable: s.retry.retryable,
    defaultMaxAttempts: s.retry.maxAttempts,
    backoff: backoffKindToProto(s.retry.backoff),
    backoffBaseMs: s.retry.backoffBaseMs,
    maxBackoffMs: s.retry.maxBackoffMs,
    jitter: s.retry.jitter,
    timeoutSeconds: nullableToProto(s.timeoutSeconds),
    resultSchema: nullableToProto(s.resultSchema),
  };
}

function templateStepFromProto(s: PbTemplateStep, path: string): TemplateStep {
  return {
    name: s.name,
    description: nullableFromProto(s.description),
    type: stepTypeFromProto(s.stepType, `${path}.step_type`),
    handler: {
      callable: s.handlerCallable,
      method: nullableFromProto(s.handlerMethod),
      resolver: nullableFromProto(s.handlerResolver),
      initialization: structOrEmptyFromProto(s.handlerInitialization),
    },
    dependencies: s.dependencies,
    retry: {
      retryable: s.defaultRetryable,
      maxAttempts: s.defaultMaxAttempts,
      backoff: backoffKindFromProto(s.backoff, `${path}.backoff`),
      backoffBaseMs: s.backoffBaseMs,
      maxBackoffMs: s.maxBackoffMs,
      jitter: s.jitter,
    },
    timeoutSeconds: nullableFromProto(s.timeoutSeconds),
    resultSchema: structFromProto(s.resultSchema),
  };
}

/**
 * A normalised definition with the configuration as registered, without registry row facts (uuid, content
 * hash, times): what a worker serves for a template it loaded itself.
 */
export function templateDefinitionToProto(d: TemplateDefinition, configuration: JsonObject): PbTemplate {
  return {
    templateUuid: '',
    namespace: d.namespace,
    name: d.name,
    version: d.version,
    description: nullableToProto(d.description),
    identityStrategy: identityStrategyToProto(d.identityStrategy),
    inputSchema: nullableToProto(d.inputSchema),
    lifecycle: lifecycleToProto(d.lifecycle),
    metadata: nullableToProto(d.metadata),
    configuration,
    steps: d.steps.map(templateStepToProto),
    contentHash: '',
    createdAt: undefined,
    updatedAt: undefined,
  };
}

export function templateDefinitionFromProto(
  p: PbTemplate | undefined,
  path = 'template',
): { definition: TemplateDefinition; configuration: JsonObject } {
  if (p === undefined) throw validationError([{ path, message: 'is required' }]);
  return {
    definition: {
      namespace: p.namespace,
      name: p.name,
      version: p.version,
      description: nullableFromProto(p.description),
      identityStrategy: identityStrategyFromProto(p.identityStrategy, `${path}.identity_strategy`),
      inputSchema: structFromProto(p.inputSchema),
      lifecycle: lifecycleFromProto(p.lifecycle),
      metadata: structFromProto(p.metadata),
      steps: p.steps.map((s, i) => templateStepFromProto(s, `${path}.steps[${i}]`)),
    },
    configuration: structOrEmptyFromProto(p.configuration),
  };
}

/** A registered template: the definition plus its registry row. */
export function templateToProto(t: Template): PbTemplate {
  return {
    ...templateDefinitionToProto(t.definition, t.configuration),
    templateUuid: t.templateUuid,
    contentHash: t.contentHash,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** A registered template; the registry row facts are required (a worker's surface has none). */
export function templateFromProto(p: PbTemplate | undefined, path = 'template'): Template {
  const { definition, configuration } = templateDefinitionFromProto(p, path);
  const t = p!;
  const missing = [
    ...(t.templateUuid === '' ? [`${path}.template_uuid`] : []),
    ...(t.contentHash === '' ? [`${path}.content_hash`] : []),
  ];
  if (missing.length > 0) throw validationError(missing.map((field) => ({ path: field, message: 'is required' })));
  return {
    templateUuid: t.templateUuid,
    definition,
    configuration,
    contentHash: t.contentHash,
    createdAt: requiredDateFromProto(t.createdAt, `${path}.created_at`),
    updatedAt: requiredDateFromProto(t.updatedAt, `${path}.updated_at`),
  };
}

export function templateListToProto(l: TemplateList): PbListTemplatesResponse {
  return {
    namespaces: l.namespaces.map((n) => ({
      name: n.name,
      description: nullableToProto(n.description),
      templateCount: n.templateCount,
    })),
    templates: l.templates.map((t) => ({
      name: t.name,
      namespace: t.namespace,
      version: t.version,
      description: nullableToProto(t.description),
      stepCount: t.stepCount,
    })),
    totalCount: l.totalCount,
  };
}

export function templateListFromProto(r: PbListTemplatesResponse): TemplateList {
  return {
    namespaces: r.namespaces.map((n) => ({
      name: n.name,
      description: nullableFromProto(n.description),
      templateCount: n.templateCount,
    })),
    templates: r.templates.map((t) => ({
      namespace: t.namespace,
      name: t.name,
      version: t.version,
      description: nullableFromProto(t.description),
      stepCount: t.stepCount,
    })),
    totalCount: r.totalCount,
  };
}

export function listTemplatesRequestFromProto(req: PbListTemplatesRequest): { namespace?: string } {
  const v = new RequestValidator();
  const namespace = v.optionalString('namespace', req.namespace, TEXT_LIMITS.namespace);
  v.done();
  return namespace === undefined ? {} : { namespace };
}

export function listTemplatesRequestToProto(filter: { namespace?: string }): PbListTemplatesRequest {
  return { namespace: filter.namespace };
}

export interface TemplateKey {
  namespace: string;
  name: string;
  version: string;
}

export function getTemplateRequestFromProto(req: PbGetTemplateRequest): TemplateKey {
  const v = new RequestValidator();
  const key = {
    namespace: v.string('namespace', req.namespace, TEXT_LIMITS.namespace),
    name: v.string('name', req.name, TEXT_LIMITS.name),
    version: v.string('version', req.version, TEXT_LIMITS.version),
  };
  v.done();
  return key;
}

export function getTemplateRequestToProto(key: TemplateKey): PbGetTemplateRequest {
  return { namespace: key.namespace, name: key.name, version: key.version };
}

/** The raw template the service validates: YAML text, or the parsed document. */
export function validateTemplateRequestFromProto(req: PbValidateTemplateRequest): string | JsonObject {
  const v = new RequestValidator();
  const source = req.source;
  if (source === undefined) v.fail('source', 'one of definition or yaml is required');
  else if (source.$case === 'yaml') v.string('yaml', source.value);
  v.done();
  return source!.$case === 'yaml' ? source!.value : structOrEmptyFromProto(source!.value);
}

export function validateTemplateRequestToProto(raw: string | JsonObject): PbValidateTemplateRequest {
  return { source: typeof raw === 'string' ? { $case: 'yaml', value: raw } : { $case: 'definition', value: raw } };
}

export function templateValidationToProto(r: TemplateValidation): PbValidateTemplateResponse {
  return { valid: r.valid, errors: r.errors.map((e) => ({ path: e.path, message: e.message })) };
}

export function templateValidationFromProto(r: PbValidateTemplateResponse): TemplateValidation {
  return { valid: r.valid, errors: r.errors.map((e) => ({ path: e.path, message: e.message })) };
}

export interface RegisterTemplatesCommand {
  raws: JsonObject[];
  force: boolean;
}

/** At least one template and at most COUNT_LIMITS.templates per call, as on REST. */
export function registerTemplatesRequestFromProto(req: PbRegisterTemplatesRequest): RegisterTemplatesCommand {
  const v = new RequestValidator();
  if (req.templates.length === 0) v.fail('templates', 'is required');
  v.list('templates', req.templates, COUNT_LIMITS.templates);
  v.done();
  return { raws: req.templates.map((t) => t as JsonObject), force: req.force };
}

export function registerTemplatesRequestToProto(c: RegisterTemplatesCommand): PbRegisterTemplatesRequest {
  return { templates: c.raws, force: c.force };
}

export function templateRegistrationsToProto(list: TemplateRegistration[]): PbRegisterTemplatesResponse {
  return {
    results: list.map((r) => ({
      namespace: r.namespace,
      name: r.name,
      version: r.version,
      outcome: templateRegistrationOutcomeToProto(r.outcome),
      warnings: r.warnings.map((w) => ({ path: w.path, message: w.message })),
    })),
  };
}

export function templateRegistrationsFromProto(r: PbRegisterTemplatesResponse): TemplateRegistration[] {
  return r.results.map((x, i) => ({
    namespace: x.namespace,
    name: x.name,
    version: x.version,
    outcome: templateRegistrationOutcomeFromProto(x.outcome, `results[${i}].outcome`),
    warnings: x.warnings.map((w) => ({ path: w.path, message: w.message })),
  }));
}

// Template scenarios: list, get, unknown, validate (valid and invalid), register through the worker surface.
import { parse as parseYaml } from 'yaml';
import type { JsonObject, TemplateRegistration } from '@tasker/shared';
import {
  registerTemplatesRequestToProto,
  templateFromProto,
  templateListFromProto,
  templateRegistrationsFromProto,
  templateValidationFromProto,
  validateTemplateRequestToProto,
} from '@tasker/shared/convert/proto/index';
import {
  templateFromRest,
  templateListFromRest,
  templateRegistrationsFromRest,
  templateValidationFromRest,
} from '@tasker/shared/convert/rest/index';
import {
  RegisterTemplatesResponseSchema,
  TemplateListResponseSchema,
  TemplateResponseSchema,
  TemplateValidationResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import { LINEAR_TEMPLATE, PARITY_NAMESPACE } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, Scenario } from '../types.js';

const CYCLIC_TEMPLATE = `
name: parity_cycle
namespace_name: ${PARITY_NAMESPACE}
version: 1.0.0
steps:
  - {name: a, handler: {callable: Parity.A}, dependencies: [b]}
  - {name: b, handler: {callable: Parity.B}, dependencies: [a]}
`;

const linearDefinition = () => parseYaml(LINEAR_TEMPLATE) as JsonObject;

/** The runner compares error codes only; this also pins down that the error names `field`. */
function naming(field: string, outcome: Outcome): Outcome {
  if (!outcome.ok && !outcome.message.includes(field))
    throw new Error(`the error does not name ${field}: ${outcome.message}`);
  return outcome;
}

/** Equal empty lists would compare equal too: the scenario is only meaningful when both carry warnings. */
function warned(outcome: Outcome): Outcome {
  const registrations = outcome.ok ? (outcome.value as TemplateRegistration[]) : [];
  if (outcome.ok && registrations.some((r) => r.warnings.length === 0)) throw new Error('registered without warnings');
  return outcome;
}

/** A step whose timeout and retry cap outlive the template's 30-minute lifetime: registered with warnings. */
const OUTLIVING_TEMPLATE = `
name: parity_outliving
namespace_name: ${PARITY_NAMESPACE}
version: 1.0.0
lifecycle: {max_duration_minutes: 30, staleness_action: dlq}
steps:
  - {name: slow, handler: {callable: Parity.Slow}, timeout_seconds: 3600, retry: {max_attempts: 2, max_backoff_ms: 2400000}}
`;
const outlivingDefinition = () => parseYaml(OUTLIVING_TEMPLATE) as JsonObject;

/** Staleness action `error` opens no DLQ entry: `auto_dlq_on_timeout: true` contradicts it. */
const CONTRADICTORY_LIFECYCLE_TEMPLATE = {
  name: 'parity_contradiction',
  namespace_name: PARITY_NAMESPACE,
  version: '1.0.0',
  lifecycle: { staleness_action: 'error', auto_dlq_on_timeout: true },
  steps: [{ name: 'a', handler: { callable: 'Parity.A' } }],
};

/** One problem of each kind of dynamic-step rule; both transports must report exactly these. */
const BAD_DYNAMIC_TEMPLATE = `
name: parity_bad_dynamic
namespace_name: ${PARITY_NAMESPACE}
version: 1.0.0
steps:
  - {name: route, type: decision, handler: {callable: Parity.Route}, dependencies: []}
  - {name: maybe, type: decision_point, handler: {callable: Parity.Maybe}, dependencies: [route]}
  - {name: split, type: batchable, handler: {callable: Parity.Split, initialization: {worker_template_name: missing}}}
  - name: chunk
    type: batch_worker
    handler: {callable: Parity.Chunk}
    dependencies: [split]
    batch_config: {worker_template: other, parallelism: 0}
  - {name: after_chunk, handler: {callable: Parity.After}, dependencies: [chunk]}
  - {name: merge, type: deferred_convergence, handler: {callable: Parity.Merge}, dependencies: [chunk]}
`;
const badDynamicDefinition = () => parseYaml(BAD_DYNAMIC_TEMPLATE) as JsonObject;
const BAD_DYNAMIC_PROBLEMS = [
  'steps[0].dependencies: a decision step needs at least one dependency',
  'steps[1].type: must be one of standard, decision, deferred_convergence, batchable, batch_worker',
  "steps[2].handler.initialization.worker_template_name: must name a batch_worker step that depends on 'split'",
  "steps[3].batch_config.worker_template: must name this batch_worker step ('chunk'), not 'other'",
  'steps[3].batch_config.parallelism: must be between 1 and 1000',
  "steps[4].dependencies[0]: 'chunk' is a batch_worker template: only a deferred_convergence step may depend on it",
];

/** The runner compares codes only: this pins down that the error lists exactly the expected problems. */
function listing(expected: readonly string[], outcome: Outcome): Outcome {
  if (outcome.ok) return outcome;
  const listed = outcome.message
    .replace(/^Invalid template: /, '')
    .split('; ')
    .sort();
  if (JSON.stringify(listed) !== JSON.stringify([...expected].sort()))
    throw new Error(`the error lists other problems: ${outcome.message}`);
  return outcome;
}

export const TEMPLATE_SCENARIOS: Scenario[] = [
  {
    name: 'list the templates of a namespace',
    restCall: 'GET /v1/templates?namespace',
    grpcCall: 'TemplateService.ListTemplates',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', '/v1/templates', { query: { namespace: PARITY_NAMESPACE } }),
        TemplateListResponseSchema,
        templateListFromRest,
      ),
    grpc: async (ctx) =>
      grpcOutcome(ctx.grpc.templates.listTemplates({ namespace: PARITY_NAMESPACE }), templateListFromProto),
  },
  {
    name: 'get a template',
    restCall: 'GET /v1/templates/{namespace}/{name}/{version}',
    grpcCall: 'TemplateService.GetTemplate',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', `/v1/templates/${PARITY_NAMESPACE}/parity_linear/1.0.0`),
        TemplateResponseSchema,
        templateFromRest,
      ),
    grpc: async (ctx) =>
      grpcOutcome(
        ctx.grpc.templates.getTemplate({ namespace: PARITY_NAMESPACE, name: 'parity_linear', version: '1.0.0' }),
        (r) => templateFromProto(r.template),
      ),
  },
  {
    name: 'get an unknown template version',
    restCall: 'GET /v1/templates/{namespace}/{name}/{version}',
    grpcCall: 'TemplateService.GetTemplate',
    expect: 'NOT_FOUND',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', `/v1/templates/${PARITY_NAMESPACE}/parity_linear/9.9.9`),
        TemplateResponseSchema,
        templateFromRest,
      ),
    grpc: async (ctx) =>
      grpcOutcome(
        ctx.grpc.templates.getTemplate({ namespace: PARITY_NAMESPACE, name: 'parity_linear', version: '9.9.9' }),
        (r) => templateFromProto(r.template),
      ),
  },
  {
    name: 'validate a valid template definition',
    restCall: 'POST /v1/templates/validate',
    grpcCall: 'TemplateService.ValidateTemplate (definition)',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('POST', '/v1/templates/validate', { json: linearDefinition() }),
        TemplateValidationResponseSchema,
        templateValidationFromRest,
      ),
    grpc: async (ctx) =>
      grpcOutcome(
        ctx.grpc.templates.validateTemplate(validateTemplateRequestToProto(linearDefinition())),
        templateValidationFromProto,
      ),
  },
  {
    name: 'validate an invalid template given as YAML',
    restCall: 'POST /v1/templates/validate',
    grpcCall: 'TemplateService.ValidateTemplate (yaml)',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('POST', '/v1/templates/validate', { json: { yaml: CYCLIC_TEMPLATE } }),
        TemplateValidationResponseSchema,
        templateValidationFromRest,
      ),
    grpc: async (ctx) =>
      grpcOutcome(
        ctx.grpc.templates.validateTemplate(validateTemplateRequestToProto(CYCLIC_TEMPLATE)),
        templateValidationFromProto,
      ),
  },
  {
    name: 'register a template whose step outlives its maximum lifetime: accepted with warnings',
    restCall: 'POST /v1/templates',
    grpcCall: 'WorkerService.RegisterTemplates',
    expect: 'ok',
    rest: async (ctx) => {
      await ctx.services.templates.register(ctx.principal, [OUTLIVING_TEMPLATE], { force: false });
      return warned(
        restOutcome(
          await ctx.rest.call('POST', '/v1/templates', { json: { templates: [outlivingDefinition()], force: false } }),
          RegisterTemplatesResponseSchema,
          templateRegistrationsFromRest,
        ),
      );
    },
    grpc: async (ctx) => {
      await ctx.services.templates.register(ctx.principal, [OUTLIVING_TEMPLATE], { force: false });
      return warned(
        await grpcOutcome(
          ctx.grpc.workers.registerTemplates(
            registerTemplatesRequestToProto({ raws: [outlivingDefinition()], force: false }),
          ),
          templateRegistrationsFromProto,
        ),
      );
    },
  },
  {
    name: 'register a template whose lifecycle keys contradict each other',
    restCall: 'POST /v1/templates',
    grpcCall: 'WorkerService.RegisterTemplates',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) =>
      naming(
        'lifecycle.auto_dlq_on_timeout',
        restOutcome(
          await ctx.rest.call('POST', '/v1/templates', {
            json: { templates: [CONTRADICTORY_LIFECYCLE_TEMPLATE], force: false },
          }),
          RegisterTemplatesResponseSchema,
          templateRegistrationsFromRest,
        ),
      ),
    grpc: async (ctx) =>
      naming(
        'lifecycle.auto_dlq_on_timeout',
        await grpcOutcome(
          ctx.grpc.workers.registerTemplates(
            registerTemplatesRequestToProto({ raws: [CONTRADICTORY_LIFECYCLE_TEMPLATE], force: false }),
          ),
          templateRegistrationsFromProto,
        ),
      ),
  },
  {
    name: 'register a template breaking every dynamic-step rule: each problem reported with its path',
    restCall: 'POST /v1/templates',
    grpcCall: 'WorkerService.RegisterTemplates',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) =>
      listing(
        BAD_DYNAMIC_PROBLEMS,
        restOutcome(
          await ctx.rest.call('POST', '/v1/templates', {
            json: { templates: [badDynamicDefinition()], force: false },
          }),
          RegisterTemplatesResponseSchema,
          templateRegistrationsFromRest,
        ),
      ),
    grpc: async (ctx) =>
      listing(
        BAD_DYNAMIC_PROBLEMS,
        await grpcOutcome(
          ctx.grpc.workers.registerTemplates(
            registerTemplatesRequestToProto({ raws: [badDynamicDefinition()], force: false }),
          ),
          templateRegistrationsFromProto,
        ),
      ),
  },
  {
    name: 'register an unchanged template',
    restCall: 'POST /v1/templates',
    grpcCall: 'WorkerService.RegisterTemplates',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('POST', '/v1/templates', { json: { templates: [linearDefinition()], force: false } }),
        RegisterTemplatesResponseSchema,
        templateRegistrationsFromRest,
      ),
    grpc: async (ctx) =>
      grpcOutcome(
        ctx.grpc.workers.registerTemplates(
          registerTemplatesRequestToProto({ raws: [linearDefinition()], force: false }),
        ),
        templateRegistrationsFromProto,
      ),
  },
];

// Template scenarios: list, get, unknown, validate (valid and invalid), register through the worker surface.
import { parse as parseYaml } from 'yaml';
import type { JsonObject } from '@tasker/shared';
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
import type { Scenario } from '../types.js';

const CYCLIC_TEMPLATE = `
name: parity_cycle
namespace_name: ${PARITY_NAMESPACE}
version: 1.0.0
steps:
  - {name: a, handler: {callable: Parity.A}, dependencies: [b]}
  - {name: b, handler: {callable: Parity.B}, dependencies: [a]}
`;

const linearDefinition = () => parseYaml(LINEAR_TEMPLATE) as JsonObject;

export const TEMPLATE_SCENARIOS: Scenario[] = [
  {
    name: 'list the templates of a namespace',
    restCall: 'GET /v1/templates?namespace',
    grpcCall: 'TemplateService.ListTemplates',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/v1/templates', { query: { namespace: PARITY_NAMESPACE } }), TemplateListResponseSchema, templateListFromRest),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.templates.listTemplates({ namespace: PARITY_NAMESPACE }), templateListFromProto),
  },
  {
    name: 'get a template',
    restCall: 'GET /v1/templates/{namespace}/{name}/{version}',
    grpcCall: 'TemplateService.GetTemplate',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', `/v1/templates/${PARITY_NAMESPACE}/parity_linear/1.0.0`), TemplateResponseSchema, templateFromRest),
    grpc: async (ctx) =>
      grpcOutcome(ctx.grpc.templates.getTemplate({ namespace: PARITY_NAMESPACE, name: 'parity_linear', version: '1.0.0' }), (r) => templateFromProto(r.template)),
  },
  {
    name: 'get an unknown template version',
    restCall: 'GET /v1/templates/{namespace}/{name}/{version}',
    grpcCall: 'TemplateService.GetTemplate',
    expect: 'NOT_FOUND',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', `/v1/templates/${PARITY_NAMESPACE}/parity_linear/9.9.9`), TemplateResponseSchema, templateFromRest),
    grpc: async (ctx) =>
      grpcOutcome(ctx.grpc.templates.getTemplate({ namespace: PARITY_NAMESPACE, name: 'parity_linear', version: '9.9.9' }), (r) => templateFromProto(r.template)),
  },
  {
    name: 'validate a valid template definition',
    restCall: 'POST /v1/templates/validate',
    grpcCall: 'TemplateService.ValidateTemplate (definition)',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('POST', '/v1/templates/validate', { json: linearDefinition() }), TemplateValidationResponseSchema, templateValidationFromRest),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.templates.validateTemplate(validateTemplateRequestToProto(linearDefinition())), templateValidationFromProto),
  },
  {
    name: 'validate an invalid template given as YAML',
    restCall: 'POST /v1/templates/validate',
    grpcCall: 'TemplateService.ValidateTemplate (yaml)',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('POST', '/v1/templates/validate', { json: { yaml: CYCLIC_TEMPLATE } }), TemplateValidationResponseSchema, templateValidationFromRest),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.templates.validateTemplate(validateTemplateRequestToProto(CYCLIC_TEMPLATE)), templateValidationFromProto),
  },
  {
    name: 'register an unchanged template',
    restCall: 'POST /v1/templates',
    grpcCall: 'WorkerService.RegisterTemplates',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('POST', '/v1/templates', { json: { templates: [linearDefinition()], force: false } }), RegisterTemplatesResponseSchema, templateRegistrationsFromRest),
    grpc: async (ctx) =>
      grpcOutcome(ctx.grpc.workers.registerTemplates(registerTemplatesRequestToProto({ raws: [linearDefinition()], force: false })), templateRegistrationsFromProto),
  },
];

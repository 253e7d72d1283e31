import { describe, expect, it } from 'vitest';
import { StepType } from '../../gen/tasker/v1/common.js';
import {
  BackoffKind,
  GetTemplateRequest,
  IdentityStrategy,
  ListTemplatesResponse,
  Template as PbTemplate,
  ValidateTemplateRequest,
  ValidateTemplateResponse,
} from '../../gen/tasker/v1/templates.js';
import { RegisterTemplatesRequest, RegisterTemplatesResponse } from '../../gen/tasker/v1/workers.js';
import { makeTemplate, makeTemplateStep } from '../../testing/builders.js';
import { makeMinimalTemplate, validationFieldsOf, wire, distinctVariants } from '../../testing/proto-builders.js';
import {
  getTemplateRequestFromProto,
  getTemplateRequestToProto,
  listTemplatesRequestFromProto,
  listTemplatesRequestToProto,
  registerTemplatesRequestFromProto,
  registerTemplatesRequestToProto,
  templateDefinitionFromProto,
  templateDefinitionToProto,
  templateFromProto,
  templateListFromProto,
  templateListToProto,
  templateRegistrationsFromProto,
  templateRegistrationsToProto,
  templateToProto,
  templateValidationFromProto,
  templateValidationToProto,
  validateTemplateRequestFromProto,
  validateTemplateRequestToProto,
} from './template.js';

/** Empty objects are values, not absence: `{}` schemas and a lifecycle without overrides must survive. */
const emptyObjectsTemplate = () => {
  const t = makeTemplate();
  return {
    ...t,
    definition: {
      ...t.definition,
      identityStrategy: 'always_unique' as const,
      inputSchema: {},
      metadata: {},
      lifecycle: {
        maxDurationMinutes: null,
        maxWaitingForDependenciesMinutes: 5,
        maxWaitingForRetryMinutes: null,
        maxStepsInProcessMinutes: null,
        stalenessAction: null,
        autoFailOnTimeout: null,
        autoDlqOnTimeout: false,
      },
      steps: [makeTemplateStep({ resultSchema: {}, retry: { ...makeTemplateStep().retry, backoff: 'fibonacci' } })],
    },
  };
};

describe('Template', () => {
  it.each([
    ['fully populated', makeTemplate()],
    ...distinctVariants(makeTemplate()),
    ['minimal', makeMinimalTemplate()],
    ['empty objects and a partial lifecycle', emptyObjectsTemplate()],
  ])('round-trips every field over the wire (%s)', (_, template) => {
    expect(templateFromProto(wire(PbTemplate, templateToProto(template)))).toEqual(template);
  });

  it('round-trips a definition without a registry row (a worker surface)', () => {
    const { definition, configuration } = makeTemplate();
    const pb = wire(PbTemplate, templateDefinitionToProto(definition, configuration));
    expect(templateDefinitionFromProto(pb)).toEqual({ definition, configuration });
    expect(validationFieldsOf(() => templateFromProto(pb))).toEqual([
      'template.content_hash',
      'template.template_uuid',
    ]);
  });

  it('rejects UNSPECIFIED identity strategy and backoff', () => {
    const pb = templateToProto(makeTemplate());
    pb.identityStrategy = IdentityStrategy.IDENTITY_STRATEGY_UNSPECIFIED;
    pb.steps[1]!.backoff = BackoffKind.BACKOFF_KIND_UNSPECIFIED;
    expect(() => templateFromProto(pb)).toThrow(/identity_strategy/);
    pb.identityStrategy = IdentityStrategy.IDENTITY_STRATEGY_STRICT;
    expect(validationFieldsOf(() => templateFromProto(pb))).toEqual(['template.steps[1].backoff']);
  });

  it('carries every step type', () => {
    const steps = (['standard', 'decision', 'deferred_convergence', 'batchable', 'batch_worker'] as const).map((type) =>
      makeTemplateStep({ name: type, type }),
    );
    const t = makeTemplate();
    const template = { ...t, definition: { ...t.definition, steps } };
    expect(templateFromProto(templateToProto(template)).definition.steps.map((s) => s.type)).toEqual(
      steps.map((s) => s.type),
    );
    const pb = templateToProto(template);
    pb.steps[0]!.stepType = StepType.STEP_TYPE_UNSPECIFIED;
    expect(validationFieldsOf(() => templateFromProto(pb))).toEqual(['template.steps[0].step_type']);
  });

  it('round-trips a template list', () => {
    const list = {
      namespaces: [
        { name: 'billing', description: null, templateCount: 2 },
        { name: 'media', description: 'media', templateCount: 1 },
      ],
      templates: [{ namespace: 'billing', name: 'a', version: '1', description: null, stepCount: 4 }],
      totalCount: 1,
    };
    expect(templateListFromProto(wire(ListTemplatesResponse, templateListToProto(list)))).toEqual(list);
    const empty = { namespaces: [], templates: [], totalCount: 0 };
    expect(templateListFromProto(templateListToProto(empty))).toEqual(empty);
  });
});

describe('template requests', () => {
  it('round-trips list and get requests, and validates them', () => {
    expect(listTemplatesRequestFromProto(listTemplatesRequestToProto({ namespace: 'billing' }))).toEqual({
      namespace: 'billing',
    });
    expect(listTemplatesRequestFromProto(listTemplatesRequestToProto({}))).toEqual({});
    expect(validationFieldsOf(() => listTemplatesRequestFromProto({ namespace: '' }))).toEqual(['namespace']);
    const key = { namespace: 'billing', name: 'invoice', version: '1.0.0' };
    expect(getTemplateRequestFromProto(wire(GetTemplateRequest, getTemplateRequestToProto(key)))).toEqual(key);
    expect(
      validationFieldsOf(() => getTemplateRequestFromProto({ namespace: '', name: '', version: 'v'.repeat(51) })),
    ).toEqual(['name', 'namespace', 'version']);
  });

  it('round-trips both validate sources and rejects a missing one', () => {
    const doc = { name: 'x', steps: [{ name: 'a', handler: { callable: 'A' } }] };
    expect(
      validateTemplateRequestFromProto(wire(ValidateTemplateRequest, validateTemplateRequestToProto(doc))),
    ).toEqual(doc);
    expect(validateTemplateRequestFromProto(validateTemplateRequestToProto('name: x\n'))).toBe('name: x\n');
    expect(validationFieldsOf(() => validateTemplateRequestFromProto({ source: undefined }))).toEqual(['source']);
    expect(
      validationFieldsOf(() => validateTemplateRequestFromProto({ source: { $case: 'yaml', value: '' } })),
    ).toEqual(['yaml']);
  });

  it('round-trips validation results', () => {
    for (const v of [
      { valid: true, errors: [] },
      { valid: false, errors: [{ path: 'steps[0].name', message: 'required' }] },
    ]) {
      expect(templateValidationFromProto(wire(ValidateTemplateResponse, templateValidationToProto(v)))).toEqual(v);
    }
  });

  it('round-trips registrations and bounds the batch', () => {
    const cmd = { raws: [{ name: 'a' }, { name: 'b', steps: [] }], force: true };
    expect(
      registerTemplatesRequestFromProto(wire(RegisterTemplatesRequest, registerTemplatesRequestToProto(cmd))),
    ).toEqual(cmd);
    expect(validationFieldsOf(() => registerTemplatesRequestFromProto({ templates: [], force: false }))).toEqual([
      'templates',
    ]);
    const results = (['created', 'unchanged', 'updated'] as const).map((outcome, i) => ({
      namespace: 'n',
      name: outcome,
      version: '1',
      outcome,
      warnings: Array.from({ length: i }, (_, w) => ({ path: `steps[${w}].timeout_seconds`, message: `warning ${w}` })),
    }));
    expect(
      templateRegistrationsFromProto(wire(RegisterTemplatesResponse, templateRegistrationsToProto(results))),
    ).toEqual(results);
  });
});

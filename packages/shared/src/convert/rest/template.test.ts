import { describe, expect, it } from 'vitest';
import { BACKOFF_KINDS, IDENTITY_STRATEGIES, STEP_TYPES } from '../../domain/template.js';
import {
  RegisterTemplatesRequestSchema,
  RegisterTemplatesResponseSchema,
  TemplateListResponseSchema,
  TemplateResponseSchema,
  TemplateValidationResponseSchema,
} from '../../schemas/rest/template.js';
import { makeTemplate, makeTemplateStep } from '../../testing/builders.js';
import {
  registerTemplatesFromRest,
  registerTemplatesToRest,
  templateFromRest,
  templateListFromRest,
  templateListToRest,
  templateRegistrationsFromRest,
  templateRegistrationsToRest,
  templateToRest,
  templateValidationFromRest,
  templateValidationToRest,
} from './template.js';

const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

const minimalTemplate = () => {
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
          handler: { callable: 'X', method: null, resolver: null, initialization: {} },
          timeoutSeconds: null,
          resultSchema: null,
        }),
      ],
    },
  };
};

describe('template ↔ REST', () => {
  it.each([
    ['full', makeTemplate()],
    ['minimal', minimalTemplate()],
  ])('round-trips a %s template', (_, template) => {
    expect(templateFromRest(TemplateResponseSchema.parse(wire(templateToRest(template))))).toEqual(template);
  });

  it('carries every step type, backoff kind and identity strategy', () => {
    for (const type of STEP_TYPES) {
      const t = makeTemplate();
      t.definition.steps = [makeTemplateStep({ type })];
      expect(templateFromRest(TemplateResponseSchema.parse(wire(templateToRest(t)))).definition.steps[0]?.type).toBe(
        type,
      );
    }
    for (const backoff of BACKOFF_KINDS) {
      const t = makeTemplate();
      t.definition.steps = [makeTemplateStep({ retry: { ...makeTemplateStep().retry, backoff } })];
      expect(
        templateFromRest(TemplateResponseSchema.parse(wire(templateToRest(t)))).definition.steps[0]?.retry.backoff,
      ).toBe(backoff);
    }
    for (const identityStrategy of IDENTITY_STRATEGIES) {
      const t = makeTemplate();
      t.definition.identityStrategy = identityStrategy;
      expect(templateFromRest(TemplateResponseSchema.parse(wire(templateToRest(t)))).definition.identityStrategy).toBe(
        identityStrategy,
      );
    }
  });

  it('round-trips lists, validations and registrations', () => {
    const list = {
      namespaces: [{ name: 'billing', description: null, templateCount: 2 }],
      templates: [{ namespace: 'billing', name: 'a', version: '1', description: 'x', stepCount: 4 }],
      totalCount: 1,
    };
    expect(templateListFromRest(TemplateListResponseSchema.parse(wire(templateListToRest(list))))).toEqual(list);
    const validation = { valid: false, errors: [{ path: 'steps[0].name', message: 'required' }] };
    expect(
      templateValidationFromRest(TemplateValidationResponseSchema.parse(wire(templateValidationToRest(validation)))),
    ).toEqual(validation);
    const regs = [
      { namespace: 'a', name: 'b', version: '1', outcome: 'created' as const, warnings: [] },
      {
        namespace: 'a',
        name: 'c',
        version: '1',
        outcome: 'unchanged' as const,
        warnings: [{ path: 'steps[0].timeout_seconds', message: 'too long' }],
      },
      {
        namespace: 'a',
        name: 'd',
        version: '1',
        outcome: 'updated' as const,
        warnings: [
          { path: 'a', message: 'b' },
          { path: 'c', message: 'd' },
        ],
      },
    ];
    expect(
      templateRegistrationsFromRest(RegisterTemplatesResponseSchema.parse(wire(templateRegistrationsToRest(regs)))),
    ).toEqual(regs);
  });

  it('sends YAML text as {yaml} and objects as they are', () => {
    const object = { name: 'x', namespace_name: 'n', version: '1', steps: [] };
    const body = RegisterTemplatesRequestSchema.parse(wire(registerTemplatesToRest(['name: x\n', object], true)));
    expect(body.templates[0]).toEqual({ yaml: 'name: x\n' });
    expect(registerTemplatesFromRest(body)).toEqual({ raws: ['name: x\n', object], force: true });
    expect(RegisterTemplatesRequestSchema.parse({ templates: [object] }).force).toBe(false);
    expect(RegisterTemplatesRequestSchema.safeParse({ templates: [] }).success).toBe(false);
  });
});

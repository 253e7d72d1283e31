import {
  registerTemplatesFromRest,
  templateListToRest,
  templateRegistrationsToRest,
  templateSourceFromRest,
  templateToRest,
  templateValidationToRest,
} from '@tasker/shared/convert/rest/index';
import {
  RegisterTemplatesRequestSchema,
  RegisterTemplatesResponseSchema,
  TemplateListQuerySchema,
  TemplateListResponseSchema,
  TemplateParamsSchema,
  TemplateResponseSchema,
  TemplateSourceSchema,
  TemplateValidationResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import { PROTECTED_ERRORS, errorResponses, type RouteDeps, type ZodApp } from './deps.js';

export function registerTemplateRoutes(app: ZodApp, { services }: RouteDeps): void {
  const tags = ['templates'];

  app.get('/v1/templates', {
    schema: {
      tags,
      summary: 'Registered templates and their namespaces',
      querystring: TemplateListQuerySchema,
      response: { 200: TemplateListResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      templateListToRest(
        await services.templates.list(
          request.principal,
          request.query.namespace === undefined ? {} : { namespace: request.query.namespace },
        ),
      ),
  });

  app.get('/v1/templates/:namespace/:name/:version', {
    schema: {
      tags,
      summary: 'One template version',
      params: TemplateParamsSchema,
      response: { 200: TemplateResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) => {
      const { namespace, name, version } = request.params;
      return templateToRest(await services.templates.get(request.principal, namespace, name, version));
    },
  });

  app.post('/v1/templates/validate', {
    schema: {
      tags,
      summary: 'Validate a template without registering it',
      description: 'Template problems are reported in the 200 body (`valid: false`), each with its path.',
      body: TemplateSourceSchema,
      response: { 200: TemplateValidationResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      templateValidationToRest(
        await services.templates.validate(request.principal, templateSourceFromRest(request.body)),
      ),
  });

  app.post('/v1/templates', {
    schema: {
      tags,
      summary: 'Register templates (create, or update with force)',
      description: '400 lists every problem; 409 when a registered version changed and `force` is false.',
      body: RegisterTemplatesRequestSchema,
      response: { 200: RegisterTemplatesResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 409) },
    },
    handler: async (request) => {
      const { raws, force } = registerTemplatesFromRest(request.body);
      return templateRegistrationsToRest(await services.templates.register(request.principal, raws, { force }));
    },
  });
}

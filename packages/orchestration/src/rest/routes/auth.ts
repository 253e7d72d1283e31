import {
  apiKeyListToRest,
  createApiKeyInputFromRest,
  createdApiKeyToRest,
  revokedApiKeyToRest,
} from '@tasker/shared/convert/rest/index';
import {
  ApiKeyListResponseSchema,
  ApiKeyParamsSchema,
  CreateApiKeyRequestSchema,
  CreatedApiKeyResponseSchema,
  RevokedApiKeyResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import { PROTECTED_ERRORS, errorResponses, type RouteDeps, type ZodApp } from './deps.js';

export function registerAuthRoutes(app: ZodApp, { services }: RouteDeps): void {
  const tags = ['auth'];

  app.post('/v1/auth/keys', {
    schema: {
      tags,
      summary: 'Issue an API key (the plain key is in this response only)',
      description:
        "Grants and namespaces must lie within the caller's own (403 naming the grant otherwise). `namespaces` null or absent = every namespace.",
      body: CreateApiKeyRequestSchema,
      response: { 201: CreatedApiKeyResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request, reply) => {
      const created = await services.apiKeys.create(request.principal, createApiKeyInputFromRest(request.body));
      // The secret must not land in a shared cache.
      return reply.code(201).header('cache-control', 'no-store').send(createdApiKeyToRest(created));
    },
  });

  app.get('/v1/auth/keys', {
    schema: {
      tags,
      summary: 'Stored API keys, newest first, without their secrets',
      response: { 200: ApiKeyListResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) => apiKeyListToRest(await services.apiKeys.list(request.principal)),
  });

  app.delete('/v1/auth/keys/:key_uuid', {
    schema: {
      tags,
      summary: 'Revoke an API key (idempotent)',
      params: ApiKeyParamsSchema,
      response: { 200: RevokedApiKeyResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404) },
    },
    handler: async (request) =>
      revokedApiKeyToRest(await services.apiKeys.revoke(request.principal, request.params.key_uuid)),
  });
}

import { SafeConfigResponseSchema } from '@tasker/shared/schemas/rest/index';
import { PROTECTED_ERRORS, errorResponses, type RouteDeps, type ZodApp } from './deps.js';

export function registerConfigRoutes(app: ZodApp, { services }: RouteDeps): void {
  app.get('/config', {
    schema: {
      tags: ['system'],
      summary: 'The safe configuration (an allow-list: never URLs, secrets or keys)',
      response: { 200: SafeConfigResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) => services.config.safe(request.principal),
  });
}

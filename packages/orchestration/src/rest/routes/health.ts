import { healthReportToRest } from '@tasker/shared/convert/rest/index';
import { HealthResponseSchema } from '@tasker/shared/schemas/rest/index';
import type { RouteDeps, ZodApp } from './deps.js';

export function registerHealthRoutes(app: ZodApp, { services }: RouteDeps): void {
  const tags = ['system'];
  const health = services.health;

  app.get('/health', {
    schema: { tags, summary: 'Process is up', response: { 200: HealthResponseSchema } },
    handler: async () => healthReportToRest(await health.live()),
  });

  app.get('/health/live', {
    schema: { tags, summary: 'Liveness probe', response: { 200: HealthResponseSchema } },
    handler: async () => healthReportToRest(await health.live()),
  });

  app.get('/health/ready', {
    schema: {
      tags,
      summary: 'Readiness probe: database reachable, migrations current, not draining',
      response: { 200: HealthResponseSchema, 503: HealthResponseSchema },
    },
    handler: async (_request, reply) => {
      const report = await health.ready();
      return reply.code(report.status === 'ready' ? 200 : 503).send(healthReportToRest(report));
    },
  });

  app.get('/health/detailed', {
    schema: { tags, summary: 'Every check with timings (always 200)', response: { 200: HealthResponseSchema } },
    handler: async () => healthReportToRest(await health.detailed()),
  });
}

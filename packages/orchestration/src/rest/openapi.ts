// OpenAPI 3.1 generated from the routes' zod schemas: named schemas become components, each protected
// operation lists its permission (`x-permission`) and the two credential schemes.
import { readFileSync } from 'node:fs';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { restSchemaRegistry } from '@tasker/shared/schemas/rest/index';

export const OPENAPI_JSON_PATH = '/api-docs/openapi.json';
export const OPENAPI_UI_PATH = '/api-docs/ui';

const DOC_ROUTES = [OPENAPI_JSON_PATH, OPENAPI_UI_PATH];

/** Operations whose JSON body may be omitted (@fastify/swagger marks every declared body required). */
const OPTIONAL_BODIES: ReadonlyArray<{ path: string; method: string }> = [
  { path: '/v1/tasks/{task_uuid}', method: 'delete' },
];

type OpenApiDocument = ReturnType<ReturnType<typeof createJsonSchemaTransformObject>>;

function markOptionalBodies(document: OpenApiDocument): OpenApiDocument {
  const paths = (document as { paths?: Record<string, Record<string, { requestBody?: { required?: boolean } }>> })
    .paths;
  for (const { path, method } of OPTIONAL_BODIES) {
    const requestBody = paths?.[path]?.[method]?.requestBody;
    if (requestBody !== undefined) requestBody.required = false;
  }
  return document;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

const toComponents = createJsonSchemaTransformObject({ schemaRegistry: restSchemaRegistry });

export async function registerOpenApi(app: FastifyInstance, options: { apiKeyHeader: string }): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tasker orchestration API',
        version: packageVersion(),
        description:
          'Workflow orchestration: tasks, workflow steps, templates, the worker protocol and task event streams. ' +
          'Errors always have the body {"error":{"code","message","details"}}.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: options.apiKeyHeader },
        },
      },
      tags: [
        { name: 'tasks', description: 'Create, list, inspect, cancel, resume and close tasks' },
        { name: 'steps', description: 'Workflow steps and operator actions' },
        { name: 'templates', description: 'Task templates' },
        { name: 'workers', description: 'The worker protocol: register, claim, heartbeat, report' },
        { name: 'dlq', description: 'Dead letter queue investigations' },
        { name: 'analytics', description: 'Performance and bottlenecks' },
        { name: 'system', description: 'Health, probes and configuration' },
        { name: 'auth', description: 'API key administration' },
      ],
    },
    transform: createJsonSchemaTransform({ skipList: DOC_ROUTES, schemaRegistry: restSchemaRegistry }),
    transformObject: (input) => markOptionalBodies(toComponents(input)),
  });
  await app.register(fastifySwaggerUi, { routePrefix: OPENAPI_UI_PATH });
  app.get(OPENAPI_JSON_PATH, { schema: { hide: true } }, async () => app.swagger());
}

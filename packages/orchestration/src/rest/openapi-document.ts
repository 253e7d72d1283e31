// Builds the OpenAPI document without a database: the app is assembled over services that refuse every
// call (describing routes never calls them), with every optional service present so all routes appear.
import { loadConfig, type Config } from '@tasker/shared/config';
import { AppError } from '@tasker/shared/errors';
import { SERVICE_NAMES, type Services } from '../services/types.js';
import { buildRestApp } from './app.js';
import { OPENAPI_JSON_PATH } from './openapi.js';

/** Services whose every method throws UNAVAILABLE: enough to register (and document) every route. */
export function createDocumentationServices(): Services {
  const refuse = (service: string, method: string) => () => {
    throw new AppError('UNAVAILABLE', `${service}.${method} is not served while generating documentation`);
  };
  const entries = SERVICE_NAMES.map((service) => [
    service,
    new Proxy({}, { get: (_target, method) => refuse(service, String(method)) }),
  ]);
  return Object.fromEntries(entries) as Services;
}

/** The document served at /api-docs/openapi.json for the default configuration. */
export async function generateOpenApiDocument(config: Config = loadConfig({})): Promise<Record<string, unknown>> {
  const app = await buildRestApp(createDocumentationServices(), config);
  try {
    const response = await app.inject({ method: 'GET', url: OPENAPI_JSON_PATH });
    if (response.statusCode !== 200)
      throw new Error(`${OPENAPI_JSON_PATH} answered ${response.statusCode}: ${response.body}`);
    return response.json<Record<string, unknown>>();
  } finally {
    await app.close();
  }
}

/** The committed form: two-space indentation and a final newline, so diffs stay readable. */
export function serializeOpenApiDocument(document: Record<string, unknown>): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

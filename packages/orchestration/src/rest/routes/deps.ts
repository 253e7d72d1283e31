import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '@tasker/shared/config';
import { ErrorBodySchema } from '@tasker/shared/schemas/rest/index';
import type { Services } from '../../services/types.js';

/** What every route file is handed. */
export interface RouteDeps {
  services: Services;
  config: Config;
  /** Aborts when the server starts closing. */
  closing: AbortSignal;
}

/** The Fastify instance with zod schemas typing requests and replies. */
export type ZodApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 503 | 504;

/** Documents the error responses a route can give (all share the error body). */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): Record<S, typeof ErrorBodySchema> {
  const responses = {} as Record<S, typeof ErrorBodySchema>;
  for (const status of [...new Set(statuses)]) responses[status] = ErrorBodySchema;
  return responses;
}

/** Errors every protected route can give: validation, authentication, permission. */
export const PROTECTED_ERRORS = [400, 401, 403] as const;

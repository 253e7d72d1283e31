// Authentication and authorization of REST requests, before the body is read (onRequest): the route's
// permission (from REST_ROUTE_PERMISSIONS through its route config) and the two credential headers go to
// authorize(), the decision the gRPC middleware takes too; a refusal is thrown to the error handler.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '@tasker/shared/permissions';
import type { Authenticate } from '../auth/authenticate.js';
import { authorize } from '../auth/authorize.js';
import type { RoutePermission } from './permissions.js';

export type { Authenticate } from '../auth/authenticate.js';

export interface AuthHookOptions {
  enabled: boolean;
  /** Required when `enabled`; without it every protected route answers 401. */
  authenticate?: Authenticate | undefined;
  /** Lower-case header carrying API keys. Default `x-api-key`. */
  apiKeyHeader?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; set by the auth hook before anything else runs. */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Filled from REST_ROUTE_PERMISSIONS when the route is registered. */
    permission?: RoutePermission;
    /** Exempt from the request deadline: streams and long polls, which bound themselves. */
    longLived?: boolean;
  }
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function installAuthHook(app: FastifyInstance, options: AuthHookOptions): void {
  const apiKeyHeader = options.apiKeyHeader ?? 'x-api-key';
  // null placeholder (Fastify refuses shared object defaults); the hook sets it on every request.
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    const decision = await authorize(options, {
      // No permission = no matched route (the 404 handler runs next): nothing to protect.
      requirement: request.routeOptions.config.permission ?? 'public',
      target: `${request.method} ${request.url}`,
      credentials: { authorization: headerValue(request, 'authorization'), apiKey: headerValue(request, apiKeyHeader) },
    });
    if (decision.outcome !== 'allowed') throw decision.error;
    request.principal = decision.principal;
  });
}

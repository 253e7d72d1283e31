// Authentication and authorization of REST requests, before the body is read (onRequest). Each route's
// permission comes from REST_ROUTE_PERMISSIONS through its route config. The credential check itself is a
// function handed in (`authenticate` from auth/authenticate.ts), shared with the gRPC middleware.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '@tasker/shared/errors';
import { ALL_PERMISSIONS_PRINCIPAL, assertPermission, type Principal } from '@tasker/shared/permissions';
import type { Authenticate } from '../auth/authenticate.js';
import type { RoutePermission } from './permissions.js';

export type { Authenticate } from '../auth/authenticate.js';

export interface AuthHookOptions {
  enabled: boolean;
  /** Required when `enabled`; without it every protected route answers 401. */
  authenticate?: Authenticate | undefined;
  /** Lower-case header carrying API keys. Default `x-api-key`. */
  apiKeyHeader?: string;
}

/** The caller of a public route while auth is on: no permissions. */
export const PUBLIC_PRINCIPAL: Principal = Object.freeze({
  subject: 'anonymous',
  kind: 'anonymous',
  permissions: Object.freeze([]),
  namespaces: Object.freeze([]),
});

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
    const permission = request.routeOptions.config.permission;
    if (!options.enabled) {
      request.principal = ALL_PERMISSIONS_PRINCIPAL;
      return;
    }
    // No permission = no matched route (the 404 handler runs next) or a public route.
    if (permission === undefined || permission === 'public') {
      request.principal = PUBLIC_PRINCIPAL;
      return;
    }
    if (options.authenticate === undefined) {
      throw new AppError('UNAUTHENTICATED', 'Authentication is enabled but this server has no authenticator configured');
    }
    const principal = await options.authenticate({
      authorization: headerValue(request, 'authorization'),
      apiKey: headerValue(request, apiKeyHeader),
    });
    assertPermission(principal, permission);
    request.principal = principal;
  });
}

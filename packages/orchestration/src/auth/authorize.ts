// The one access decision of both transports. The Fastify hook and the gRPC middleware each read the two
// credential strings from their request, look up what the route or RPC requires in their table, call authorize
// and translate the decision: the principal goes on the request, a refusal's AppError goes to the transport's
// one error translator (401/403, UNAUTHENTICATED/PERMISSION_DENIED).
import { AppError } from '@tasker/shared/errors';
import {
  ALL_PERMISSIONS_PRINCIPAL,
  hasPermission,
  permissionDenied,
  type Permission,
  type Principal,
} from '@tasker/shared/permissions';
import type { Authenticate, Credentials } from './authenticate.js';

/**
 * What a route or RPC requires: a permission; `public` (no credential: health, probes, metrics); or
 * `authenticated` (any valid credential, no permission: gRPC reflection outside development).
 */
export type AccessRequirement = Permission | 'public' | 'authenticated';

export type AccessDecision =
  | { outcome: 'allowed'; principal: Principal }
  /** No credential, or one that is malformed, expired, revoked or unknown; or no authenticator configured. */
  | { outcome: 'unauthenticated'; error: AppError }
  /** A valid credential without the permission, or a target nobody classified. */
  | { outcome: 'forbidden'; error: AppError };

export interface AccessPolicy {
  /** Off: every caller is {@link ALL_PERMISSIONS_PRINCIPAL}. */
  enabled: boolean;
  /** Required when `enabled`; without it every non-public target is refused as unauthenticated. */
  authenticate?: Authenticate | undefined;
}

export interface AccessRequest {
  /** `undefined`: the target is missing from its transport's table, and is refused (fail closed). */
  requirement: AccessRequirement | undefined;
  /** The route or method path, for the message of an unclassified target. */
  target: string;
  credentials: Credentials;
}

/** The caller of a public target while auth is on: no permissions, no namespaces. */
export const PUBLIC_PRINCIPAL: Principal = Object.freeze({
  subject: 'anonymous',
  kind: 'anonymous',
  permissions: Object.freeze([]),
  namespaces: Object.freeze([]),
});

/**
 * Decides one request. Authentication failures (AppError UNAUTHENTICATED from `authenticate`) become an
 * `unauthenticated` decision; any other error of the authenticator (a database outage) is thrown as it is.
 */
export async function authorize(policy: AccessPolicy, request: AccessRequest): Promise<AccessDecision> {
  const { requirement } = request;
  if (requirement === undefined) {
    return {
      outcome: 'forbidden',
      error: new AppError('PERMISSION_DENIED', `no permission is defined for ${request.target}`),
    };
  }
  if (!policy.enabled) return { outcome: 'allowed', principal: ALL_PERMISSIONS_PRINCIPAL };
  if (requirement === 'public') return { outcome: 'allowed', principal: PUBLIC_PRINCIPAL };
  if (policy.authenticate === undefined) {
    const error = new AppError(
      'UNAUTHENTICATED',
      'Authentication is enabled but this server has no authenticator configured',
    );
    return { outcome: 'unauthenticated', error };
  }
  let principal: Principal;
  try {
    principal = await policy.authenticate(request.credentials);
  } catch (err) {
    if (err instanceof AppError && err.code === 'UNAUTHENTICATED') return { outcome: 'unauthenticated', error: err };
    throw err;
  }
  if (requirement !== 'authenticated' && !hasPermission(principal, requirement)) {
    return { outcome: 'forbidden', error: permissionDenied(requirement) };
  }
  return { outcome: 'allowed', principal };
}

// Authentication and authorization: the raw credentials from metadata (`authorization`, the configured API-key
// key) go to the injected authenticator, the same function the REST hook calls, so a credential gets the same
// verdict on both transports; then the permission of the one table. Public methods (health) skip the
// credential check; reflection needs a valid credential unless config makes it public. With auth disabled every caller is the all-permissions principal; with auth enabled
// and no authenticator every protected call is refused.
import { AppError } from '@tasker/shared/errors';
import { ALL_PERMISSIONS_PRINCIPAL, assertPermission, type Principal } from '@tasker/shared/permissions';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc';
import type { PrincipalContext } from '../context.js';
import { grpcMethodRequirement, REFLECTION_METHOD_PATH } from '../permissions.js';

/** What a call presents; undefined when the metadata key is absent. Same shape as the REST hook's. */
export interface CallCredentials {
  /** The raw `authorization` value (`Bearer <jwt>`). */
  authorization: string | undefined;
  /** The raw API key. */
  apiKey: string | undefined;
}

/** Verifies credentials; throws AppError UNAUTHENTICATED when they are missing, malformed or invalid. */
export type Authenticate = (credentials: CallCredentials) => Promise<Principal>;

export interface AuthOptions {
  enabled: boolean;
  /** Metadata key of the API key (config `auth.api_keys.header`, lowercase). */
  apiKeyHeader: string;
  authenticate?: Authenticate | undefined;
  /** Serve reflection without a credential (config `grpc.reflection.public`, development); otherwise it needs one. */
  publicReflection?: boolean;
}

/** The caller of a public method while auth is on: no permissions, no namespaces (as on REST). */
export const PUBLIC_PRINCIPAL: Principal = Object.freeze({
  subject: 'anonymous',
  kind: 'anonymous',
  permissions: Object.freeze([]),
  namespaces: Object.freeze([]),
});

function metadataValue(metadata: CallContext['metadata'], key: string): string | undefined {
  const value = metadata.get(key);
  return value === undefined ? undefined : String(value);
}

export function credentialsFromMetadata(metadata: CallContext['metadata'], apiKeyHeader: string): CallCredentials {
  return { authorization: metadataValue(metadata, 'authorization'), apiKey: metadataValue(metadata, apiKeyHeader) };
}

export function createAuthMiddleware(options: AuthOptions): ServerMiddleware<PrincipalContext> {
  return async function* authMiddleware<Request, Response>(
    call: ServerMiddlewareCall<Request, Response, PrincipalContext>,
    context: CallContext,
  ) {
    const declared = grpcMethodRequirement(call.method.path);
    const requirement = call.method.path === REFLECTION_METHOD_PATH && options.publicReflection === true ? 'public' : declared;
    if (requirement === undefined) {
      // Fail closed: a method nobody classified is nobody's to call.
      throw new AppError('PERMISSION_DENIED', `no permission is defined for ${call.method.path}`);
    }
    let principal: Principal;
    if (!options.enabled) {
      principal = ALL_PERMISSIONS_PRINCIPAL;
    } else if (requirement === 'public') {
      principal = PUBLIC_PRINCIPAL;
    } else {
      if (options.authenticate === undefined) {
        throw new AppError('UNAUTHENTICATED', 'authentication is enabled but this server has no authenticator configured');
      }
      principal = await options.authenticate(credentialsFromMetadata(context.metadata, options.apiKeyHeader));
      if (requirement !== 'authenticated') assertPermission(principal, requirement);
    }
    return yield* call.next(call.request, { ...context, principal });
  };
}

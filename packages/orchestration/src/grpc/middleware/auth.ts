// Authentication and authorization of gRPC calls: the method's requirement (the one table in
// grpc/permissions.ts) and the raw credentials from metadata (`authorization`, the configured API-key key) go
// to authorize(), the decision the REST hook takes too, so a credential gets the same verdict on both
// transports. Public methods (health) skip the credential check; reflection needs a valid credential unless
// config makes it public; a method missing from the table is refused even with auth disabled.
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc';
import type { Authenticate, Credentials } from '../../auth/authenticate.js';
import { authorize } from '../../auth/authorize.js';
import type { PrincipalContext } from '../context.js';
import { grpcMethodRequirement, REFLECTION_METHOD_PATH } from '../permissions.js';

export type { Authenticate } from '../../auth/authenticate.js';

export interface AuthOptions {
  enabled: boolean;
  /** Metadata key of the API key (config `auth.api_keys.header`, lowercase). */
  apiKeyHeader: string;
  authenticate?: Authenticate | undefined;
  /** Serve reflection without a credential (config `grpc.reflection.public`, development); otherwise it needs one. */
  publicReflection?: boolean;
}

function metadataValue(metadata: CallContext['metadata'], key: string): string | undefined {
  const value = metadata.get(key);
  return value === undefined ? undefined : String(value);
}

/** What a call presents; a field is undefined when its metadata key is absent. */
export function credentialsFromMetadata(metadata: CallContext['metadata'], apiKeyHeader: string): Credentials {
  return { authorization: metadataValue(metadata, 'authorization'), apiKey: metadataValue(metadata, apiKeyHeader) };
}

export function createAuthMiddleware(options: AuthOptions): ServerMiddleware<PrincipalContext> {
  return async function* authMiddleware<Request, Response>(
    call: ServerMiddlewareCall<Request, Response, PrincipalContext>,
    context: CallContext,
  ) {
    const path = call.method.path;
    const decision = await authorize(options, {
      requirement:
        path === REFLECTION_METHOD_PATH && options.publicReflection === true ? 'public' : grpcMethodRequirement(path),
      target: path,
      credentials: credentialsFromMetadata(context.metadata, options.apiKeyHeader),
    });
    if (decision.outcome !== 'allowed') throw decision.error;
    return yield* call.next(call.request, { ...context, principal: decision.principal });
  };
}

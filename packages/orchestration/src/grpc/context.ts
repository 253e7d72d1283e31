// The typed CallContext extension the middleware chain adds for handlers.
import type { Principal } from '@tasker/shared/permissions';

/** Added by the auth middleware: who is calling. */
export interface PrincipalContext {
  principal: Principal;
}

export type { GrpcLogger } from '@tasker/shared/grpc';
export { stderrLogger } from '@tasker/shared/grpc';

// The typed CallContext extension the middleware chain adds for handlers.
import type { Principal } from '@tasker/shared/permissions';

/** Added by the auth middleware: who is calling. */
export interface PrincipalContext {
  principal: Principal;
}

/** A pino-compatible logger (Fastify's logger fits); the gRPC server only logs what clients must not see. */
export interface GrpcLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Writes one JSON line per entry to stderr: used when the caller gives no logger. */
export const stderrLogger: GrpcLogger = {
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...serialisable(obj) })}\n`),
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...serialisable(obj) })}\n`),
};

function serialisable(obj: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v]),
  );
}

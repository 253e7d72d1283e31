// The logger the engine writes to: pino-like (Fastify's logger fits). Always called as (object, message).
export interface EngineLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

export const silentLogger: EngineLogger = { info: noop, warn: noop, error: noop, debug: noop };

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

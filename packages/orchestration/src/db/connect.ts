// The one place a postgres.js pool is configured, so every process (server, migrate CLI, tests) reads rows
// the same way.
import postgres from 'postgres';
import type { ConnectionParameters, Notice, Sql } from 'postgres';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import { guardSql } from './guard.js';

export interface SqlOptions {
  /** Pool size. Default 10. */
  max?: number;
  /** Give up opening a connection after this long. Default 10 s. */
  connectTimeoutSeconds?: number;
  /** Close connections idle this long; 0 = never. Default 300 s. */
  idleTimeoutSeconds?: number;
  /** Recycle connections after this long; null = never. Default postgres.js's 30–60 min. */
  maxLifetimeSeconds?: number | null;
  /** `statement_timeout` of every connection; 0 = none. Default 0. */
  statementTimeoutMs?: number;
  /** The session's `tasker.priority_aging_ms` (steps enqueued by this pool age by it); unset = the SQL default, 60 s. */
  priorityAgingMs?: number;
  /** Shown in `pg_stat_activity`. Default `tasker`. */
  applicationName?: string;
  /** Default: notices are dropped (migrations raise "already exists, skipping" ones on purpose). */
  onNotice?: (notice: Notice) => void;
  /** The database circuit breaker of this pool (db/guard.ts); null or absent = never opens. */
  circuitBreaker?: CircuitBreakerOptions | null;
  /** Told the text of every statement sent, on any of the pool's connections (LISTEN's included). */
  onStatement?: (statement: string) => void;
}

/**
 * int8 → JS number. postgres.js returns strings by default; our int8 values are event ids (a sequence) and
 * counts, far below 2^53 (at 100k events/s the sequence needs ~2,800 years to get there), so numbers
 * are exact and let `event_id` be compared and serialised as is. `numeric` stays a string.
 */
const int8AsNumber = {
  to: 20,
  from: [20],
  serialize: (value: number | bigint | string) => String(value),
  parse: (raw: string) => Number(raw),
};

/**
 * A postgres.js pool with our conventions: int8 as number, timestamptz as Date (postgres.js default), jsonb
 * parsed, no column-name transform (repositories convert snake_case rows to domain objects themselves),
 * notices dropped, `application_name` set; guarded (db/guard.ts): pool usage counted, connection failures
 * as UNAVAILABLE, and the circuit breaker when configured (`sqlGuardOf(sql)` reads both).
 */
export function createSql(url: string, options: SqlOptions = {}): Sql {
  const connection: Partial<ConnectionParameters> = { application_name: options.applicationName ?? 'tasker' };
  if (options.priorityAgingMs !== undefined) connection['tasker.priority_aging_ms'] = options.priorityAgingMs;
  if (options.statementTimeoutMs !== undefined && options.statementTimeoutMs > 0) {
    connection['statement_timeout'] = options.statementTimeoutMs;
  }
  const sql = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: options.idleTimeoutSeconds ?? 300,
    ...(options.maxLifetimeSeconds !== undefined ? { max_lifetime: options.maxLifetimeSeconds } : {}),
    onnotice: options.onNotice ?? (() => undefined),
    connection,
    types: { int8: int8AsNumber },
    ...(options.onStatement !== undefined
      ? { debug: (_connection: number, statement: string) => options.onStatement?.(statement) }
      : {}),
  });
  // The custom type only changes how int8 is parsed; callers work with the plain `Sql` type everywhere.
  return guardSql(sql as unknown as Sql, { circuitBreaker: options.circuitBreaker ?? null });
}

// Every query and transaction of a pool passes here (createSql wraps the pool it creates): the database
// circuit breaker decides whether the call may go to the database, and in-process counters give the pool's
// usage, which postgres.js does not expose. Per call the cost is a Proxy hop, a counter and two closures.
//
// A call holds one connection from its start to its end (a transaction holds it for its whole callback), so
// the calls in flight are the busy connections up to the pool size and the ones beyond it wait: postgres.js
// opens a connection while the pool has room and only queues or pipelines when it has none.
//
// Connection failures surface as AppError UNAVAILABLE (their cause kept, so isConnectionError still sees
// them) instead of a raw socket error the transports would call INTERNAL; while the circuit is open, calls
// fail at once with UNAVAILABLE and Retry-After instead of waiting for a connect timeout. Queries that fail on
// a working connection (constraint, syntax, statement timeout…) pass through unchanged and count as success.
import type { PoolUtilization } from '@tasker/shared';
import { AppError } from '@tasker/shared/errors';
import type { Sql } from 'postgres';
import {
  createCircuitBreaker,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitTicket,
} from './circuit-breaker.js';
import { isConnectionError, isConnectionFailure } from './pg-errors.js';

export interface SqlGuard {
  readonly breaker: CircuitBreaker;
  /** Usage of the pool right now, and since it was created. */
  pool(): PoolUtilization;
}

/** The part of a postgres.js Query this module touches (it is a Promise subclass executed by `handle`). */
interface QueryInternals {
  executed: boolean;
  handle(): Promise<void>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const guards = new WeakMap<object, SqlGuard>();

/** The guard of a pool made by createSql (or guardSql); undefined for a bare postgres.js instance. */
export function sqlGuardOf(sql: Sql): SqlGuard | undefined {
  return guards.get(sql);
}

function isQuery(value: unknown): value is Promise<unknown> & QueryInternals {
  return value instanceof Promise && typeof (value as Partial<QueryInternals>).handle === 'function';
}

function circuitOpen(retryAfterSeconds: number): AppError {
  return new AppError('UNAVAILABLE', `database circuit breaker is open; retry in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
    details: { reason: 'database_circuit_open' },
  });
}

/** No host, port or user in the message: it reaches clients. */
function unreachable(err: unknown): AppError {
  const code = (err as { code?: unknown } | null)?.code;
  return new AppError('UNAVAILABLE', `database unreachable (${typeof code === 'string' ? code : 'connection error'})`, {
    cause: err,
    details: { reason: 'database_unreachable' },
  });
}

/** Wraps `raw` (idempotent). `circuitBreaker` null or absent: counting only, the circuit never opens. */
export function guardSql(raw: Sql, options: { circuitBreaker?: CircuitBreakerOptions | null } = {}): Sql {
  if (guards.has(raw)) return raw;
  const breaker = createCircuitBreaker(
    options.circuitBreaker ?? { enabled: false, failureThreshold: 1, openMs: 1, halfOpenProbes: 1 },
  );
  const max = raw.options.max;
  let inFlight = 0;
  let total = 0;
  let errors = 0;

  /** A ticket for a call that may go to the database, or the error it must fail with at once. */
  const admit = (): CircuitTicket | AppError => {
    total += 1;
    const ticket = breaker.tryAcquire();
    if (ticket === undefined) {
      errors += 1;
      return circuitOpen(breaker.retryAfterSeconds());
    }
    inFlight += 1;
    return ticket;
  };

  /** Books the end of an admitted call; returns the error its caller should see (undefined on success). */
  const settle = (ticket: CircuitTicket, err?: unknown): unknown => {
    inFlight -= 1;
    if (err === undefined || !isConnectionError(err)) {
      breaker.succeeded(ticket);
      return err;
    }
    if (isConnectionFailure(err)) {
      errors += 1;
      breaker.failed(ticket);
    } else {
      // The pool was ended or destroyed by its owner: not the database's fault.
      breaker.released(ticket);
    }
    return err instanceof AppError ? err : unreachable(err);
  };

  /**
   * Executing the query goes through admit/settle; a query used as a fragment is never executed. (A cursor()
   * re-arms resolve/reject per batch, so it would stay counted in flight; nothing here uses cursors.)
   */
  const guardQuery = <T>(query: T): T => {
    if (!isQuery(query)) return query;
    const handle = query.handle;
    query.handle = function guardedHandle(this: QueryInternals): Promise<void> {
      if (this.executed) return handle.call(this);
      const ticket = admit();
      if (ticket instanceof AppError) {
        this.executed = true;
        this.reject(ticket);
        return Promise.resolve();
      }
      const { resolve, reject } = this;
      let settled = false;
      this.resolve = (value) => {
        if (!settled) {
          settled = true;
          settle(ticket);
        }
        resolve(value);
      };
      this.reject = (err) => {
        if (settled) return reject(err);
        settled = true;
        reject(settle(ticket, err));
      };
      return handle.call(this);
    };
    return query;
  };

  const begin = (...args: unknown[]): Promise<unknown> => {
    const ticket = admit();
    if (ticket instanceof AppError) return Promise.reject(ticket);
    return (raw.begin as (...a: unknown[]) => Promise<unknown>)(...args).then(
      (value) => {
        settle(ticket);
        return value;
      },
      (err: unknown) => {
        throw settle(ticket, err);
      },
    );
  };
  const unsafe = (...args: unknown[]): unknown => guardQuery((raw.unsafe as (...a: unknown[]) => unknown)(...args));
  const file = (...args: unknown[]): unknown => guardQuery((raw.file as (...a: unknown[]) => unknown)(...args));

  const guarded = new Proxy(raw, {
    apply(target, thisArg, args) {
      return guardQuery(Reflect.apply(target, thisArg, args));
    },
    get(target, prop) {
      if (prop === 'begin') return begin;
      if (prop === 'unsafe') return unsafe;
      if (prop === 'file') return file;
      return Reflect.get(target, prop);
    },
  });

  guards.set(guarded, {
    breaker,
    pool: () => {
      const active = Math.min(inFlight, max);
      return {
        activeConnections: active,
        waitingQueries: Math.max(0, inFlight - max),
        maxConnections: max,
        utilizationPercent: max === 0 ? 0 : (active / max) * 100,
        totalAcquires: total,
        acquireErrors: errors,
      };
    },
  });
  return guarded;
}

// The database circuit breaker. Closed: every call goes through; `failureThreshold` consecutive connection
// failures open it. Open: calls are refused at once (UNAVAILABLE, Retry-After = time left) for `openMs`. Then
// half-open: at most `halfOpenProbes` calls at a time go through as probes; that many successes close it, a
// connection failure opens it again. Only the caller decides what a connection failure is (db/pg-errors.ts):
// a query that failed on a working connection (constraint, syntax, timeout) is a success here.
import type { CircuitBreakerState } from '@tasker/shared';
import type { Config } from '@tasker/shared/config';

export interface CircuitBreakerOptions {
  /** false: never opens (state `disabled`). */
  enabled: boolean;
  failureThreshold: number;
  openMs: number;
  halfOpenProbes: number;
  /** Clock; default Date.now. */
  now?: () => number;
}

/** What a call that was let through holds; hand it back with the outcome. */
export interface CircuitTicket {
  readonly probe: boolean;
}

export interface CircuitBreaker {
  /** A ticket when the call may go to the database; undefined when it must fail fast. */
  tryAcquire(): CircuitTicket | undefined;
  /** The call reached the database (it may still have failed as a query). */
  succeeded(ticket: CircuitTicket): void;
  /** The call found no working connection. */
  failed(ticket: CircuitTicket): void;
  /** The call ended without telling anything about the database (its pool was closed by its owner). */
  released(ticket: CircuitTicket): void;
  state(): CircuitBreakerState;
  /** Whole seconds until an open circuit lets probes through (at least 1); 0 unless open. */
  retryAfterSeconds(): number;
  /** Called on every state change. */
  onChange(listener: (state: CircuitBreakerState) => void): () => void;
}

/** The breaker of `database.circuit_breaker`. */
export function circuitBreakerOptionsOf(c: Config['database']['circuit_breaker']): CircuitBreakerOptions {
  return {
    enabled: c.enabled,
    failureThreshold: c.failure_threshold,
    openMs: c.open_seconds * 1000,
    halfOpenProbes: c.half_open_probes,
  };
}

const CLOSED: CircuitTicket = Object.freeze({ probe: false });

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  const listeners = new Set<(state: CircuitBreakerState) => void>();
  let current: CircuitBreakerState = options.enabled ? 'closed' : 'disabled';
  let failures = 0;
  let openUntil = 0;
  let probesInFlight = 0;
  let probeSuccesses = 0;

  const move = (next: CircuitBreakerState): void => {
    if (next === current) return;
    current = next;
    for (const listener of listeners) listener(next);
  };

  const open = (): void => {
    openUntil = now() + options.openMs;
    failures = 0;
    probesInFlight = 0;
    probeSuccesses = 0;
    move('open');
  };

  /** An open circuit whose time is up becomes half-open when somebody looks. */
  const refresh = (): void => {
    if (current === 'open' && now() >= openUntil) {
      probesInFlight = 0;
      probeSuccesses = 0;
      move('half_open');
    }
  };

  return {
    tryAcquire() {
      if (current === 'closed' || current === 'disabled') return CLOSED;
      refresh();
      if (current !== 'half_open' || probesInFlight >= options.halfOpenProbes) return undefined;
      probesInFlight += 1;
      return { probe: true };
    },
    succeeded(ticket) {
      if (current === 'disabled') return;
      if (!ticket.probe) {
        if (current === 'closed') failures = 0;
        return;
      }
      if (current !== 'half_open') return;
      probesInFlight -= 1;
      probeSuccesses += 1;
      if (probeSuccesses >= options.halfOpenProbes) {
        failures = 0;
        move('closed');
      }
    },
    failed(ticket) {
      if (current === 'disabled') return;
      if (current === 'half_open') {
        // A probe failed (or a call let through before the circuit opened failed late): open again.
        open();
        return;
      }
      if (current !== 'closed') return;
      failures += 1;
      if (failures >= options.failureThreshold) open();
    },
    released(ticket) {
      if (ticket.probe && current === 'half_open') probesInFlight -= 1;
    },
    state() {
      refresh();
      return current;
    },
    retryAfterSeconds() {
      refresh();
      return current === 'open' ? Math.max(1, Math.ceil((openUntil - now()) / 1000)) : 0;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, type CircuitTicket } from './circuit-breaker.js';

function breaker(overrides: { enabled?: boolean } = {}) {
  let clock = 1_000_000;
  const b = createCircuitBreaker({
    enabled: overrides.enabled ?? true,
    failureThreshold: 3,
    openMs: 30_000,
    halfOpenProbes: 2,
    now: () => clock,
  });
  const changes: string[] = [];
  b.onChange((s) => changes.push(s));
  return { b, changes, advance: (ms: number) => (clock += ms) };
}

const fail = (b: ReturnType<typeof breaker>['b'], n: number): void => {
  for (let i = 0; i < n; i += 1) b.failed(b.tryAcquire() as CircuitTicket);
};

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive failures; a success in between resets the count', () => {
    const { b, changes } = breaker();
    fail(b, 2);
    b.succeeded(b.tryAcquire() as CircuitTicket);
    fail(b, 2);
    expect(b.state()).toBe('closed');
    fail(b, 1);
    expect([b.state(), changes]).toEqual(['open', ['open']]);
    expect(b.tryAcquire()).toBeUndefined();
    expect(b.retryAfterSeconds()).toBe(30);
  });

  it('lets half_open_probes probes through after the open time; that many successes close it', () => {
    const { b, changes, advance } = breaker();
    fail(b, 3);
    advance(29_500);
    expect([b.tryAcquire(), b.retryAfterSeconds()]).toEqual([undefined, 1]);
    advance(500);
    const first = b.tryAcquire();
    const second = b.tryAcquire();
    expect([first?.probe, second?.probe, b.tryAcquire()]).toEqual([true, true, undefined]);
    expect(b.state()).toBe('half_open');
    b.succeeded(first as CircuitTicket);
    expect(b.state()).toBe('half_open');
    b.succeeded(second as CircuitTicket);
    expect([b.state(), changes]).toEqual(['closed', ['open', 'half_open', 'closed']]);
    expect(b.tryAcquire()?.probe).toBe(false);
  });

  it('a failed probe opens it again for a full period', () => {
    const { b, advance } = breaker();
    fail(b, 3);
    advance(30_000);
    b.failed(b.tryAcquire() as CircuitTicket);
    expect([b.state(), b.retryAfterSeconds()]).toEqual(['open', 30]);
  });

  it('ignores late outcomes of calls let through before it opened', () => {
    const { b, advance } = breaker();
    const early = b.tryAcquire() as CircuitTicket;
    fail(b, 3);
    b.succeeded(early);
    expect(b.state()).toBe('open');
    advance(30_000);
    const probe = b.tryAcquire() as CircuitTicket;
    b.succeeded(early);
    b.succeeded(probe);
    expect(b.state()).toBe('half_open');
  });

  it('disabled: never opens', () => {
    const { b } = breaker({ enabled: false });
    fail(b, 100);
    expect([b.state(), b.tryAcquire()?.probe, b.retryAfterSeconds()]).toEqual(['disabled', false, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from './concurrency.js';

describe('ConcurrencyLimiter', () => {
  it('hands out at most `limit` slots', () => {
    const limiter = new ConcurrencyLimiter(2);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.free).toBe(0);
    limiter.release();
    expect(limiter.free).toBe(1);
    expect(limiter.tryAcquire()).toBe(true);
  });

  it('wakes whenFree on a release and whenIdle when the last slot is returned', async () => {
    const limiter = new ConcurrencyLimiter(2);
    limiter.tryAcquire();
    limiter.tryAcquire();
    const events: string[] = [];
    const free = limiter.whenFree().then(() => events.push('free'));
    const idle = limiter.whenIdle().then(() => events.push('idle'));
    await Promise.resolve();
    expect(events).toEqual([]);
    limiter.release();
    await free;
    expect(events).toEqual(['free']);
    limiter.release();
    await idle;
    expect(events).toEqual(['free', 'idle']);
  });

  it('stops waiting when the signal aborts', async () => {
    const limiter = new ConcurrencyLimiter(1);
    limiter.tryAcquire();
    await limiter.whenIdle(AbortSignal.timeout(10));
    expect(limiter.inFlight).toBe(1);
  });

  it('reserves free slots for a claim in flight, fills them with its steps and gives the rest back', () => {
    const limiter = new ConcurrencyLimiter(4);
    limiter.tryAcquire();
    expect(limiter.reserve(10)).toBe(3);
    expect([limiter.free, limiter.reserved, limiter.inFlight]).toEqual([0, 3, 1]);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.fill()).toBe(true);
    limiter.unreserve(2);
    expect([limiter.free, limiter.reserved, limiter.inFlight]).toEqual([2, 0, 2]);
    expect(limiter.fill()).toBe(false);
    expect(() => limiter.unreserve(1)).toThrow(/only 0 reserved/);
  });

  it('passes a reported step’s slot to the claim riding along, and back when the report fails', async () => {
    const limiter = new ConcurrencyLimiter(2);
    limiter.tryAcquire();
    limiter.tryAcquire();
    limiter.transferToReserved(2);
    expect([limiter.free, limiter.reserved, limiter.inFlight]).toEqual([0, 2, 0]);
    limiter.transferToTaken(2);
    expect([limiter.free, limiter.reserved, limiter.inFlight]).toEqual([0, 0, 2]);
    limiter.transferToReserved(1);
    const idle = limiter.whenIdle();
    limiter.release();
    limiter.unreserve(1);
    await idle;
    expect([limiter.free, limiter.reserved, limiter.inFlight]).toEqual([2, 0, 0]);
  });

  it('refuses a release without an acquire and a non-positive limit', () => {
    expect(() => new ConcurrencyLimiter(1).release()).toThrow(/without a matching acquire/);
    expect(() => new ConcurrencyLimiter(0)).toThrow(RangeError);
  });
});

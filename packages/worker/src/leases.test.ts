import type { HeartbeatInput, LeaseState } from '@tasker/shared';
import { describe, expect, it } from 'vitest';
import type { StepAbortError } from './errors.js';
import { LeaseKeeper, heartbeatIntervalMs, leaseDurationMs } from './leases.js';
import { silentLogger } from './logger.js';

function lease(stepUuid: string, durationMs = 3_000) {
  return {
    stepUuid,
    leaseToken: `t-${stepUuid}`,
    expiresAt: Date.now() + durationMs,
    durationMs,
    controller: new AbortController(),
  };
}

describe('heartbeat pacing', () => {
  it('beats at a third of the shortest lease, within 100 ms – 10 s', () => {
    expect(heartbeatIntervalMs([{ durationMs: 60_000 }, { durationMs: 3_000 }])).toBe(1_000);
    expect(heartbeatIntervalMs([{ durationMs: 90 }])).toBe(100);
    expect(heartbeatIntervalMs([{ durationMs: 600_000 }])).toBe(10_000);
    expect(heartbeatIntervalMs([], 250)).toBe(250);
  });

  it('measures the lease against the local clock, falling back when skew makes it look expired', () => {
    expect(leaseDurationMs(new Date(10_000), 8_000)).toBe(2_000);
    expect(leaseDurationMs(new Date(1_000), 8_000)).toBe(30_000);
  });
});

describe('LeaseKeeper', () => {
  it('extends valid leases and aborts cancelled and lost ones with the matching reason', async () => {
    const answers: Record<string, LeaseState['status']> = { a: 'valid', b: 'cancelled', c: 'lost' };
    const sent: HeartbeatInput[] = [];
    const keeper = new LeaseKeeper({
      workerId: 'w1',
      logger: silentLogger,
      heartbeat: async (input) => {
        sent.push(input);
        return input.leases.map((l) => ({
          stepUuid: l.stepUuid,
          status: answers[l.stepUuid] ?? 'lost',
          leaseExpiresAt: new Date(Date.now() + 9_000),
        }));
      },
    });
    const [a, b, c] = [lease('a'), lease('b'), lease('c')];
    for (const l of [a, b, c]) keeper.hold(l);
    await keeper.beat();
    expect(sent[0]?.leases).toEqual([
      { stepUuid: 'a', leaseToken: 't-a' },
      { stepUuid: 'b', leaseToken: 't-b' },
      { stepUuid: 'c', leaseToken: 't-c' },
    ]);
    expect(a.controller.signal.aborted).toBe(false);
    expect(a.expiresAt).toBeGreaterThan(Date.now() + 8_000);
    expect((b.controller.signal.reason as StepAbortError).reason).toBe('cancelled');
    expect((c.controller.signal.reason as StepAbortError).reason).toBe('lease_lost');
    expect(keeper.size).toBe(1);
  });

  it('keeps every lease when the heartbeat call fails', async () => {
    const errors: unknown[] = [];
    const keeper = new LeaseKeeper({
      workerId: 'w1',
      logger: silentLogger,
      heartbeat: async () => {
        throw Object.assign(new Error('down'), { code: 'UNAVAILABLE' });
      },
      onTransportError: (err) => errors.push(err),
    });
    const a = lease('a');
    keeper.hold(a);
    await keeper.beat();
    expect(errors).toHaveLength(1);
    expect(a.controller.signal.aborted).toBe(false);
    expect(keeper.size).toBe(1);
  });

  it('beats on its own while leases are held, even as new leases keep arriving', async () => {
    let beats = 0;
    const keeper = new LeaseKeeper({
      workerId: 'w1',
      logger: silentLogger,
      heartbeat: async (input) => {
        beats += 1;
        return input.leases.map((l) => ({
          stepUuid: l.stepUuid,
          status: 'valid' as const,
          leaseExpiresAt: new Date(Date.now() + 300),
        }));
      },
    });
    keeper.start();
    keeper.hold(lease('first', 300));
    for (let i = 0; i < 20; i += 1) {
      await new Promise((r) => setTimeout(r, 15));
      keeper.hold(lease(`n${i}`, 300));
    }
    await keeper.stop();
    expect(beats).toBeGreaterThanOrEqual(2);
  });
});

import { sleep } from '@tasker/shared/resilience';
import { describe, expect, it } from 'vitest';
import { silentLogger } from './logger.js';
import { createWorkerMetrics } from './metrics.js';
import { OrchestrationCalls, describeError } from './orchestration-calls.js';
import { FakeClientError } from './testing/fake-orchestration.js';

const fast = { baseMs: 1, maxMs: 2, jitter: 0 };

describe('OrchestrationCalls', () => {
  it('repeats a call after transient failures and counts each failure by code', async () => {
    const metrics = createWorkerMetrics();
    const calls = new OrchestrationCalls({ metrics, logger: silentLogger, backoff: fast });
    let n = 0;
    const value = await calls.retry(
      'register',
      async () => {
        n += 1;
        if (n < 3) throw new FakeClientError('UNAVAILABLE', 'down');
        return 'ok';
      },
      new AbortController().signal,
    );
    expect(value).toBe('ok');
    expect(n).toBe(3);
    expect(await metrics.text()).toMatch(/operation="register",code="UNAVAILABLE"\} 2/);
  });

  it('fails at once on an answer about the request, and gives up when the signal aborts', async () => {
    const calls = new OrchestrationCalls({ metrics: createWorkerMetrics(), logger: silentLogger, backoff: fast });
    let n = 0;
    const refused = calls.retry(
      'register',
      async () => {
        n += 1;
        throw new FakeClientError('PERMISSION_DENIED', 'no');
      },
      new AbortController().signal,
    );
    await expect(refused).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(n).toBe(1);
    const stopping = new AbortController();
    stopping.abort();
    await expect(
      calls.retry('register', async () => Promise.reject(new FakeClientError('UNAVAILABLE')), stopping.signal),
    ).rejects.toThrow('register abandoned: the worker is stopping');
  });

  it('is unhealthy until registered, then degraded in the detailed view only while the last call failed', async () => {
    const calls = new OrchestrationCalls({ metrics: createWorkerMetrics(), logger: silentLogger });
    expect(calls.healthCheck(false, false)).toMatchObject({ status: 'unhealthy', message: 'not registered yet' });
    calls.succeeded();
    expect(calls.healthCheck(true, true)).toMatchObject({ status: 'healthy' });
    // Outcomes are ordered by their millisecond.
    await sleep(3);
    calls.failed('heartbeat', new FakeClientError('UNAVAILABLE', 'down'));
    expect(calls.healthCheck(true, false)).toMatchObject({ status: 'healthy' });
    expect(calls.healthCheck(true, true)).toMatchObject({ status: 'degraded', message: 'heartbeat: UNAVAILABLE down' });
    await sleep(3);
    calls.succeeded();
    expect(calls.healthCheck(true, true)).toMatchObject({ status: 'healthy' });
  });

  it('describes any error by its shared code', () => {
    expect(describeError(new FakeClientError('NOT_FOUND', 'gone'))).toEqual({ code: 'NOT_FOUND', message: 'gone' });
    expect(describeError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toEqual({
      code: 'UNAVAILABLE',
      message: 'connect',
    });
    expect(describeError('odd')).toEqual({ code: 'INTERNAL', message: 'odd' });
  });
});

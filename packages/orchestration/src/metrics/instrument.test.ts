import { describe, expect, it, vi } from 'vitest';
import { ALL_PERMISSIONS_PRINCIPAL } from '@tasker/shared/permissions';
import { AppError } from '@tasker/shared/errors';
import { makeDlqEntry } from '@tasker/shared/testing/builders';
import { makeFakeServices } from '../rest/testing/fake-services.js';
import { NOOP_ENGINE_METRICS, type EngineMetrics } from '../engine/metrics.js';
import { createServiceInstrumentation } from './instrument.js';

describe('service instrumentation', () => {
  it('counts a manual DLQ entry once it is opened, and nothing for a refused one', async () => {
    const dlqEntryCreated = vi.fn();
    const metrics: EngineMetrics = { ...NOOP_ENGINE_METRICS, dlqEntryCreated };
    const open = vi
      .fn()
      .mockResolvedValueOnce(makeDlqEntry({ reason: 'manual_dlq' }))
      .mockRejectedValueOnce(new AppError('ALREADY_EXISTS', 'pending entry'));
    const services = createServiceInstrumentation(metrics)(makeFakeServices({ dlq: { create: open } }), 'grpc');
    const input = { performedBy: 'ops', reason: 'stuck' };
    await services.dlq!.create(ALL_PERMISSIONS_PRINCIPAL, 'task', input);
    await expect(services.dlq!.create(ALL_PERMISSIONS_PRINCIPAL, 'task', input)).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect(dlqEntryCreated.mock.calls).toEqual([['manual_dlq']]);
  });
});

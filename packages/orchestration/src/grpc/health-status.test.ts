import { describe, expect, it } from 'vitest';
import { bindGrpcHealthStatus } from './health-status.js';
import type { HealthService } from '../services/types.js';

function controllableReadiness(initial: boolean) {
  let ready = initial;
  const listeners = new Set<(ready: boolean) => void>();
  const health = {
    isReady: () => ready,
    onReadinessChange(listener: (ready: boolean) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as HealthService;
  return {
    health,
    listeners,
    set(next: boolean) {
      ready = next;
      for (const l of listeners) l(next);
    },
  };
}

describe('grpc.health.v1 status', () => {
  it('follows readiness for the server and every service, and stays down once draining', () => {
    const r = controllableReadiness(false);
    const status = bindGrpcHealthStatus(r.health, ['tasker.v1.TaskService', 'tasker.v1.StepService']);
    const all = () => ['', 'tasker.v1.TaskService', 'tasker.v1.StepService'].map((s) => status.state.getStatus(s));
    expect(all()).toEqual(['unhealthy', 'unhealthy', 'unhealthy']);
    r.set(true);
    expect(all()).toEqual(['healthy', 'healthy', 'healthy']);
    expect(status.state.getStatus('tasker.v1.DlqService')).toBe('unknown');
    status.drain();
    expect(all()).toEqual(['unhealthy', 'unhealthy', 'unhealthy']);
    r.set(true);
    expect(all()).toEqual(['unhealthy', 'unhealthy', 'unhealthy']);
    status.dispose();
    expect(r.listeners.size).toBe(0);
  });
});

// grpc.health.v1 statuses that follow real readiness: SERVING only while the service layer reports ready and
// the server is not draining; the overall ('') status and every registered service move together.
import { HealthState } from 'nice-grpc-server-health';
import type { HealthService } from '../services/types.js';

export interface GrpcHealthStatus {
  state: HealthState;
  /** NOT_SERVING from now on, whatever readiness says. */
  drain(): void;
  dispose(): void;
}

export function bindGrpcHealthStatus(health: HealthService, serviceNames: readonly string[]): GrpcHealthStatus {
  const state = HealthState();
  let draining = false;
  const apply = (ready: boolean) => {
    const status = ready && !draining ? 'healthy' : 'unhealthy';
    for (const name of ['', ...serviceNames]) state.setStatus(status, name);
  };
  apply(health.isReady());
  const unsubscribe = health.onReadinessChange(apply);
  return {
    state,
    drain() {
      draining = true;
      apply(false);
    },
    dispose: unsubscribe,
  };
}

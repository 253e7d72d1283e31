// tasker.v1.HealthService: the REST /health bodies over gRPC. Public.
import { basicHealthToProto, healthReportToProto, livenessToProto } from '@tasker/shared/convert/proto/index';
import { healthReportToRest } from '@tasker/shared/convert/rest/index';
import { AppError } from '@tasker/shared/errors';
import type { HealthServiceImplementation } from '@tasker/shared/gen/tasker/v1/health';
import type { HealthService } from '../../services/types.js';
import type { PrincipalContext } from '../context.js';

export function createHealthHandlers(health: HealthService): HealthServiceImplementation<PrincipalContext> {
  return {
    async checkHealth() {
      return basicHealthToProto(await health.live());
    },

    async checkLiveness() {
      return livenessToProto(await health.live());
    },

    /**
     * Not ready → UNAVAILABLE (REST answers 503), naming the failing checks. The details carry the whole report
     * in the REST body's JSON shape, so a client decodes the same HealthReport from either transport.
     */
    async checkReadiness() {
      const report = await health.ready();
      if (report.status !== 'ready') {
        const reasons = Object.entries(report.checks)
          .filter(([, c]) => c.status !== 'healthy')
          .map(([name, c]) => `${name} ${c.status}`);
        const state = report.info?.operationalState;
        if (state !== undefined && state !== 'normal') reasons.push(`operational state ${state}`);
        throw new AppError('UNAVAILABLE', `not ready: ${reasons.join(', ') || report.status}`, {
          details: healthReportToRest(report),
        });
      }
      return healthReportToProto(report);
    },

    async checkDetailedHealth() {
      return healthReportToProto(await health.detailed());
    },
  };
}

// StepService: convert → service → convert.
import {
  listStepsRequestFromProto,
  resolveStepRequestFromProto,
  stepAuditToProto,
  stepListToProto,
  stepRefFromProto,
  stepToProto,
} from '@tasker/shared/convert/proto/index';
import type { StepServiceImplementation } from '@tasker/shared/gen/tasker/v1/steps';
import type { StepService } from '../../services/types.js';
import type { PrincipalContext } from '../context.js';

export function createStepHandlers(steps: StepService): StepServiceImplementation<PrincipalContext> {
  return {
    async getStep(req, { principal }) {
      const ref = stepRefFromProto(req);
      return { step: stepToProto(await steps.get(principal, ref.taskUuid, ref.stepUuid)) };
    },

    async listSteps(req, { principal }) {
      const q = listStepsRequestFromProto(req);
      return stepListToProto(await steps.list(principal, q.taskUuid), q.page);
    },

    async resolveStep(req, { principal }) {
      const r = resolveStepRequestFromProto(req);
      return { step: stepToProto(await steps.applyManualAction(principal, r.taskUuid, r.stepUuid, r.action)) };
    },

    async getStepAudit(req, { principal }) {
      const ref = stepRefFromProto(req);
      return { auditRecords: (await steps.audit(principal, ref.taskUuid, ref.stepUuid)).map(stepAuditToProto) };
    },
  };
}

// WorkerService: the worker protocol. ClaimSteps hands the call's signal to the long poll.
import {
  checkpointStepInputFromProto,
  checkpointStepResultToProto,
  claimInputFromProto,
  claimedStepToProto,
  completeAckToProto,
  completeStepInputFromProto,
  failAckToProto,
  failStepInputFromProto,
  heartbeatInputFromProto,
  leaseStatesToProto,
  registerTemplatesRequestFromProto,
  registerWorkerInputFromProto,
  releaseInputFromProto,
  releaseResultToProto,
  reportResultsInputFromProto,
  reportResultsOutputToProto,
  templateRegistrationsToProto,
  workerToProto,
} from '@tasker/shared/convert/proto/index';
import type { WorkerServiceImplementation } from '@tasker/shared/gen/tasker/v1/workers';
import type { Services } from '../../services/types.js';
import type { PrincipalContext } from '../context.js';

export function createWorkerHandlers(
  services: Pick<Services, 'workers' | 'templates'>,
): WorkerServiceImplementation<PrincipalContext> {
  const { workers, templates } = services;
  return {
    async registerWorker(req, { principal }) {
      return { worker: workerToProto(await workers.register(principal, registerWorkerInputFromProto(req))) };
    },

    async listWorkers(_req, { principal }) {
      return { workers: (await workers.list(principal)).map(workerToProto) };
    },

    async claimSteps(req, { principal, signal }) {
      return { steps: (await workers.claim(principal, claimInputFromProto(req), signal)).map(claimedStepToProto) };
    },

    async heartbeat(req, { principal }) {
      return leaseStatesToProto(await workers.heartbeat(principal, heartbeatInputFromProto(req)));
    },

    async checkpointStep(req, { principal }) {
      return checkpointStepResultToProto(await workers.checkpoint(principal, checkpointStepInputFromProto(req)));
    },

    async completeStep(req, { principal }) {
      return completeAckToProto(await workers.complete(principal, completeStepInputFromProto(req)));
    },

    async failStep(req, { principal }) {
      return failAckToProto(await workers.fail(principal, failStepInputFromProto(req)));
    },

    async reportResults(req, { principal }) {
      return reportResultsOutputToProto(await workers.reportResults(principal, reportResultsInputFromProto(req)));
    },

    async releaseLeases(req, { principal }) {
      return releaseResultToProto(await workers.release(principal, releaseInputFromProto(req)));
    },

    async registerTemplates(req, { principal }) {
      const c = registerTemplatesRequestFromProto(req);
      return templateRegistrationsToProto(await templates.register(principal, c.raws, { force: c.force }));
    },
  };
}

import {
  checkpointStepInputFromRest,
  checkpointStepResultToRest,
  claimInputFromRest,
  claimResponseToRest,
  completeStepInputFromRest,
  failStepInputFromRest,
  heartbeatInputFromRest,
  leaseStatesToRest,
  registerWorkerInputFromRest,
  releaseInputFromRest,
  reportResultsInputFromRest,
  reportResultsOutputToRest,
  stepResultAckToRest,
  workerToRest,
} from '@tasker/shared/convert/rest/index';
import {
  CheckpointStepRequestSchema,
  CheckpointStepResponseSchema,
  ClaimRequestSchema,
  ClaimResponseSchema,
  CompleteStepRequestSchema,
  FailStepRequestSchema,
  HeartbeatRequestSchema,
  LeaseStatesResponseSchema,
  RegisterWorkerRequestSchema,
  ReleaseRequestSchema,
  ReportResultsRequestSchema,
  ReportResultsResponseSchema,
  StepResultAckSchema,
  WorkerListResponseSchema,
  WorkerSchema,
} from '@tasker/shared/schemas/rest/index';
import { requestSignal } from '../plumbing.js';
import { PROTECTED_ERRORS, errorResponses, type RouteDeps, type ZodApp } from './deps.js';

export function registerWorkerRoutes(app: ZodApp, { services, closing }: RouteDeps): void {
  const tags = ['workers'];
  const workers = services.workers;

  app.post('/v1/workers/register', {
    schema: {
      tags,
      summary: 'Register (or refresh) a worker and what it serves',
      body: RegisterWorkerRequestSchema,
      response: { 200: WorkerSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      workerToRest(await workers.register(request.principal, registerWorkerInputFromRest(request.body))),
  });

  app.get('/v1/workers', {
    schema: {
      tags,
      summary: 'Registered workers with liveness',
      response: { 200: WorkerListResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) => (await workers.list(request.principal)).map(workerToRest),
  });

  app.post('/v1/workers/claim', {
    config: { longLived: true },
    schema: {
      tags,
      summary: 'Claim ready steps (long-poll up to wait_ms)',
      description: 'Answers `{"steps": []}` when nothing became ready in time; a client that hangs up ends the wait.',
      body: ClaimRequestSchema,
      response: { 200: ClaimResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 503) },
    },
    handler: async (request, reply) =>
      claimResponseToRest(
        await workers.claim(request.principal, claimInputFromRest(request.body), requestSignal(reply, closing)),
      ),
  });

  app.post('/v1/workers/heartbeat', {
    schema: {
      tags,
      summary: 'Extend leases; learn which were cancelled or lost',
      body: HeartbeatRequestSchema,
      response: { 200: LeaseStatesResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      leaseStatesToRest(await workers.heartbeat(request.principal, heartbeatInputFromRest(request.body))),
  });

  app.post('/v1/workers/checkpoint', {
    schema: {
      tags,
      summary: 'Record how far a leased step got; extends the lease like a heartbeat',
      description:
        'A retried attempt receives the last checkpoint with its claim. 409 "lease lost" (reason `lease_lost` or ' +
        '`cancelled`) when the lease token is stale, and nothing is written; 400 over the size limit.',
      body: CheckpointStepRequestSchema,
      response: { 200: CheckpointStepResponseSchema, ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    },
    handler: async (request) =>
      checkpointStepResultToRest(
        await workers.checkpoint(request.principal, checkpointStepInputFromRest(request.body)),
      ),
  });

  app.post('/v1/workers/complete', {
    schema: {
      tags,
      summary: 'Report a step success (409 "lease lost" when the lease token is stale)',
      body: CompleteStepRequestSchema,
      response: { 200: StepResultAckSchema, ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    },
    handler: async (request) =>
      stepResultAckToRest(await workers.complete(request.principal, completeStepInputFromRest(request.body))),
  });

  app.post('/v1/workers/fail', {
    schema: {
      tags,
      summary: 'Report a step failure (retried per the step policy unless not retryable)',
      body: FailStepRequestSchema,
      response: { 200: StepResultAckSchema, ...errorResponses(...PROTECTED_ERRORS, 404, 409) },
    },
    handler: async (request) =>
      stepResultAckToRest(await workers.fail(request.principal, failStepInputFromRest(request.body))),
  });

  app.post('/v1/workers/results', {
    schema: {
      tags,
      summary: 'Report many results in one call, optionally claiming more steps alongside',
      description:
        'One outcome per result, in request order: a result whose lease is no longer current is refused ' +
        '(`lease_lost`, `cancelled`, `not_found`) and changes nothing, without failing the call. The claim ' +
        'alongside never waits and needs `worker:claim` as well.',
      body: ReportResultsRequestSchema,
      response: { 200: ReportResultsResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      reportResultsOutputToRest(
        await workers.reportResults(request.principal, reportResultsInputFromRest(request.body)),
      ),
  });

  app.post('/v1/workers/release', {
    schema: {
      tags,
      summary: 'Give leases back without counting a failure (draining worker)',
      body: ReleaseRequestSchema,
      response: { 200: LeaseStatesResponseSchema, ...errorResponses(...PROTECTED_ERRORS) },
    },
    handler: async (request) =>
      leaseStatesToRest(await workers.release(request.principal, releaseInputFromRest(request.body))),
  });
}

import { describe, expect, it } from 'vitest';
import { LeaseStatus, CompleteStepRequest, FailStepRequest, HeartbeatResponse, RegisterWorkerRequest, ClaimedStep as PbClaimedStep, Worker as PbWorker, ClaimStepsRequest, HeartbeatRequest, ReleaseLeasesRequest, ReleaseLeasesResponse, CompleteStepResponse } from '../../gen/tasker/v1/workers.js';
import {
  makeClaimedStep,
  makeCompleteStepInput,
  makeFailStepInput,
  makeRegisterWorkerInput,
  makeUuid,
  makeWorkerInfo,
} from '../../testing/builders.js';
import { makeMinimalClaimedStep, validationFieldsOf, wire, distinctVariants } from '../../testing/proto-builders.js';
import {
  claimInputFromProto,
  claimInputToProto,
  claimedStepFromProto,
  claimedStepToProto,
  completeAckFromProto,
  completeAckToProto,
  completeStepInputFromProto,
  completeStepInputToProto,
  failAckFromProto,
  failAckToProto,
  failStepInputFromProto,
  failStepInputToProto,
  heartbeatInputFromProto,
  heartbeatInputToProto,
  leaseStatesFromProto,
  leaseStatesToProto,
  registerWorkerInputFromProto,
  registerWorkerInputToProto,
  releaseInputFromProto,
  releaseInputToProto,
  releaseResultFromProto,
  releaseResultToProto,
  workerFromProto,
  workerToProto,
} from './worker.js';

describe('worker registration', () => {
  it.each([
    ['fully populated', makeRegisterWorkerInput()],
    ['minimal', makeRegisterWorkerInput({ namespaces: [], handlers: [], metadata: {} })],
  ])('round-trips a registration (%s)', (_, input) => {
    expect(registerWorkerInputFromProto(wire(RegisterWorkerRequest, registerWorkerInputToProto(input)))).toEqual(input);
  });

  it('validates a registration', () => {
    const bad = RegisterWorkerRequest.fromPartial({ version: 'v'.repeat(65), namespaces: [''] });
    expect(validationFieldsOf(() => registerWorkerInputFromProto(bad))).toEqual(['hostname', 'namespaces[0]', 'version', 'worker_id']);
  });

  it.each([
    ['fully populated', makeWorkerInfo()],
    ...distinctVariants(makeWorkerInfo()),
    ['minimal', makeWorkerInfo({ namespaces: [], handlers: [], metadata: {}, live: false })],
  ])('round-trips a worker (%s)', (_, w) => {
    expect(workerFromProto(wire(PbWorker, workerToProto(w)))).toEqual(w);
  });
});

describe('claims', () => {
  it('round-trips a claim request and applies the REST bounds', () => {
    const input = { workerId: 'w', namespaces: ['billing'], handlerNames: ['A'], maxSteps: 5, waitMs: 250 };
    expect(claimInputFromProto(wire(ClaimStepsRequest, claimInputToProto(input)))).toEqual(input);
    const all = { workerId: 'w', namespaces: [], handlerNames: [], maxSteps: 1, waitMs: 0 };
    expect(claimInputFromProto(claimInputToProto(all))).toEqual(all);
    const bad = ClaimStepsRequest.fromPartial({ maxSteps: 0, waitMs: 600_001 });
    expect(validationFieldsOf(() => claimInputFromProto(bad))).toEqual(['max_steps', 'wait_ms', 'worker_id']);
  });

  it.each([
    ['fully populated', makeClaimedStep()],
    ...distinctVariants(makeClaimedStep()),
    ['minimal', makeMinimalClaimedStep()],
    ['with null parent results', makeClaimedStep({ parentResults: { a: null, b: [1, 'x'] } })],
  ])('round-trips a claimed step (%s)', (_, step) => {
    expect(claimedStepFromProto(wire(PbClaimedStep, claimedStepToProto(step)))).toEqual(step);
  });

  it('rejects a claimed step without its handler', () => {
    const pb = { ...claimedStepToProto(makeClaimedStep()), handler: undefined };
    expect(validationFieldsOf(() => claimedStepFromProto(pb, 'steps[0]'))).toEqual(['steps[0].handler']);
  });
});

describe('leases', () => {
  const leases = [{ stepUuid: makeUuid(), leaseToken: makeUuid() }, { stepUuid: makeUuid(), leaseToken: makeUuid() }];

  it('round-trips heartbeats and releases, and validates lease refs', () => {
    expect(heartbeatInputFromProto(wire(HeartbeatRequest, heartbeatInputToProto({ workerId: 'w', leases })))).toEqual({ workerId: 'w', leases });
    expect(releaseInputFromProto(wire(ReleaseLeasesRequest, releaseInputToProto({ workerId: 'w', leases: [] })))).toEqual({ workerId: 'w', leases: [] });
    const bad = { workerId: 'w', leases: [{ stepUuid: 'x', leaseToken: '' }] };
    expect(validationFieldsOf(() => heartbeatInputFromProto(bad))).toEqual(['leases[0].lease_token', 'leases[0].step_uuid']);
  });

  it('round-trips lease states, every status', () => {
    const states = [
      { stepUuid: makeUuid(), status: 'valid' as const, leaseExpiresAt: new Date('2024-01-01T00:00:30.500Z') },
      { stepUuid: makeUuid(), status: 'cancelled' as const, leaseExpiresAt: null },
      { stepUuid: makeUuid(), status: 'lost' as const, leaseExpiresAt: null },
    ];
    expect(leaseStatesFromProto(wire(HeartbeatResponse, leaseStatesToProto(states)))).toEqual(states);
    const unspecified = { leases: [{ stepUuid: makeUuid(), status: LeaseStatus.LEASE_STATUS_UNSPECIFIED, leaseExpiresAt: undefined }] };
    expect(validationFieldsOf(() => leaseStatesFromProto(unspecified))).toEqual(['leases[0].status']);
  });

  it('round-trips released lease states, and lists the released ids for older clients', () => {
    const states = [
      { stepUuid: makeUuid(), status: 'valid' as const, leaseExpiresAt: null },
      { stepUuid: makeUuid(), status: 'lost' as const, leaseExpiresAt: null },
      { stepUuid: makeUuid(), status: 'cancelled' as const, leaseExpiresAt: null },
    ];
    const pb = wire(ReleaseLeasesResponse, releaseResultToProto(states));
    expect(releaseResultFromProto(pb)).toEqual(states);
    expect(pb.releasedStepUuids).toEqual([states[0]!.stepUuid]);
    expect(releaseResultFromProto(wire(ReleaseLeasesResponse, releaseResultToProto([])))).toEqual([]);
  });
});

describe('results', () => {
  it.each([
    ['fully populated', makeCompleteStepInput({ leaseToken: makeUuid() })],
    ...distinctVariants(makeCompleteStepInput({ leaseToken: makeUuid() })),
    ['minimal', makeCompleteStepInput({ leaseToken: makeUuid(), result: null, executionTimeMs: null, metadata: null })],
    ['scalar result', makeCompleteStepInput({ leaseToken: makeUuid(), result: 42 })],
    ['a measured 0 ms run (not "unmeasured")', makeCompleteStepInput({ leaseToken: makeUuid(), executionTimeMs: 0 })],
  ])('round-trips a completion (%s)', (_, input) => {
    expect(completeStepInputFromProto(wire(CompleteStepRequest, completeStepInputToProto(input)))).toEqual(input);
  });

  it('requires the result and a UUID lease token', () => {
    const bad = CompleteStepRequest.fromPartial({ workerId: 'w', stepUuid: 'nope', leaseToken: 'lease-abc' });
    expect(validationFieldsOf(() => completeStepInputFromProto(bad))).toEqual(['lease_token', 'result', 'step_uuid']);
  });

  it.each([
    ['fully populated', makeFailStepInput({ leaseToken: makeUuid() })],
    ...distinctVariants(makeFailStepInput({ leaseToken: makeUuid() })),
    [
      'minimal',
      makeFailStepInput({
        leaseToken: makeUuid(),
        executionTimeMs: null,
        error: { message: '', errorType: null, retryable: false, retryAfterSeconds: null, statusCode: null, backtrace: null, context: null },
      }),
    ],
  ])('round-trips a failure (%s)', (_, input) => {
    expect(failStepInputFromProto(wire(FailStepRequest, failStepInputToProto(input)))).toEqual(input);
  });

  it('requires the failure', () => {
    const bad = FailStepRequest.fromPartial({ workerId: 'w', stepUuid: makeUuid(), leaseToken: makeUuid() });
    expect(validationFieldsOf(() => failStepInputFromProto(bad))).toEqual(['error']);
  });

  it('round-trips acknowledgements', () => {
    const ack = { stepUuid: makeUuid(), stepState: 'waiting_for_retry' as const, taskState: 'steps_in_process' as const, nextRetryAt: new Date('2024-01-01T00:00:05Z') };
    expect(failAckFromProto(failAckToProto(ack))).toEqual(ack);
    expect(failAckFromProto(failAckToProto({ ...ack, nextRetryAt: null }))).toEqual({ ...ack, nextRetryAt: null });
    const complete = { ...ack, stepState: 'enqueued_for_orchestration' as const, nextRetryAt: null };
    expect(completeAckFromProto(wire(CompleteStepResponse, completeAckToProto(complete)))).toEqual(complete);
    expect(completeAckFromProto(wire(CompleteStepResponse, completeAckToProto(ack)))).toEqual(ack);
  });
});

import { describe, expect, it } from 'vitest';
import {
  LeaseStatus,
  ReportResultsRequest,
  ReportResultsResponse,
  ResultOutcome,
  CompleteStepRequest,
  FailStepRequest,
  HeartbeatResponse,
  RegisterWorkerRequest,
  ClaimedStep as PbClaimedStep,
  Worker as PbWorker,
  ClaimStepsRequest,
  HeartbeatRequest,
  ReleaseLeasesRequest,
  ReleaseLeasesResponse,
  CompleteStepResponse,
} from '../../gen/tasker/v1/workers.js';
import { STEP_RESULT_OUTCOME_KINDS } from '../../domain/worker.js';
import { StepState } from '../../gen/tasker/v1/common.js';
import {
  makeClaimedStep,
  makeCompleteStepInput,
  makeCompletedResult,
  makeFailStepInput,
  makeFailedResult,
  makeRegisterWorkerInput,
  makeReportResultsInput,
  makeReportResultsOutput,
  makeStepResultOutcome,
  makeUuid,
  makeWorkerInfo,
} from '../../testing/builders.js';
import {
  makeMinimalClaimedStep,
  makeMinimalReportResultsInput,
  validationFieldsOf,
  wire,
  distinctVariants,
} from '../../testing/proto-builders.js';
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
  reportResultsInputFromProto,
  reportResultsInputToProto,
  reportResultsOutputFromProto,
  reportResultsOutputToProto,
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
    expect(validationFieldsOf(() => registerWorkerInputFromProto(bad))).toEqual([
      'hostname',
      'namespaces[0]',
      'version',
      'worker_id',
    ]);
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
  const leases = [
    { stepUuid: makeUuid(), leaseToken: makeUuid() },
    { stepUuid: makeUuid(), leaseToken: makeUuid() },
  ];

  it('round-trips heartbeats and releases, and validates lease refs', () => {
    expect(heartbeatInputFromProto(wire(HeartbeatRequest, heartbeatInputToProto({ workerId: 'w', leases })))).toEqual({
      workerId: 'w',
      leases,
    });
    expect(
      releaseInputFromProto(wire(ReleaseLeasesRequest, releaseInputToProto({ workerId: 'w', leases: [] }))),
    ).toEqual({ workerId: 'w', leases: [] });
    const bad = { workerId: 'w', leases: [{ stepUuid: 'x', leaseToken: '' }] };
    expect(validationFieldsOf(() => heartbeatInputFromProto(bad))).toEqual([
      'leases[0].lease_token',
      'leases[0].step_uuid',
    ]);
  });

  it('round-trips lease states, every status', () => {
    const states = [
      { stepUuid: makeUuid(), status: 'valid' as const, leaseExpiresAt: new Date('2024-01-01T00:00:30.500Z') },
      { stepUuid: makeUuid(), status: 'cancelled' as const, leaseExpiresAt: null },
      { stepUuid: makeUuid(), status: 'lost' as const, leaseExpiresAt: null },
    ];
    expect(leaseStatesFromProto(wire(HeartbeatResponse, leaseStatesToProto(states)))).toEqual(states);
    const unspecified = {
      leases: [{ stepUuid: makeUuid(), status: LeaseStatus.LEASE_STATUS_UNSPECIFIED, leaseExpiresAt: undefined }],
    };
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
        error: {
          message: '',
          errorType: null,
          retryable: false,
          retryAfterSeconds: null,
          statusCode: null,
          backtrace: null,
          context: null,
        },
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
    const ack = {
      stepUuid: makeUuid(),
      stepState: 'waiting_for_retry' as const,
      taskState: 'steps_in_process' as const,
      nextRetryAt: new Date('2024-01-01T00:00:05Z'),
    };
    expect(failAckFromProto(failAckToProto(ack))).toEqual(ack);
    expect(failAckFromProto(failAckToProto({ ...ack, nextRetryAt: null }))).toEqual({ ...ack, nextRetryAt: null });
    const complete = { ...ack, stepState: 'enqueued_for_orchestration' as const, nextRetryAt: null };
    expect(completeAckFromProto(wire(CompleteStepResponse, completeAckToProto(complete)))).toEqual(complete);
    expect(completeAckFromProto(wire(CompleteStepResponse, completeAckToProto(ack)))).toEqual(ack);
  });
});

describe('batched results', () => {
  const minimalFailure = {
    message: '',
    errorType: null,
    retryable: false,
    retryAfterSeconds: null,
    statusCode: null,
    backtrace: null,
    context: null,
  };

  it.each([
    ['fully populated', makeReportResultsInput()],
    ...distinctVariants(makeReportResultsInput()),
    ['minimal (no results, no claim)', makeMinimalReportResultsInput()],
    [
      'minimal results',
      makeMinimalReportResultsInput({
        results: [
          makeCompletedResult({ result: null, executionTimeMs: null, metadata: null }),
          makeFailedResult({ executionTimeMs: null, error: minimalFailure }),
        ],
      }),
    ],
    [
      'a claim of nothing, from anywhere',
      makeMinimalReportResultsInput({ claim: { maxSteps: 0, namespaces: [], handlerNames: [] } }),
    ],
    [
      'a scalar result and a measured 0 ms run',
      makeMinimalReportResultsInput({ results: [makeCompletedResult({ result: 'x', executionTimeMs: 0 })] }),
    ],
  ])('round-trips a request (%s)', (_, input) => {
    expect(reportResultsInputFromProto(wire(ReportResultsRequest, reportResultsInputToProto(input)))).toEqual(input);
  });

  it('requires exactly one outcome per result, UUIDs, a completion result and the failure bounds', () => {
    const completed = reportResultsInputToProto(makeReportResultsInput()).results[0]!;
    const bad = ReportResultsRequest.fromPartial({
      results: [
        { stepUuid: makeUuid(), leaseToken: makeUuid() },
        { ...completed, stepUuid: 'nope', leaseToken: '' },
        {
          stepUuid: makeUuid(),
          leaseToken: makeUuid(),
          outcome: { $case: 'completed', value: { metadata: { a: 1 } } },
        },
        {
          stepUuid: makeUuid(),
          leaseToken: makeUuid(),
          outcome: { $case: 'failed', value: { message: 'm'.repeat(10_001), errorType: 'e'.repeat(256) } },
        },
      ],
      claim: { maxSteps: 1001, namespaces: [''] },
    });
    expect(validationFieldsOf(() => reportResultsInputFromProto(wire(ReportResultsRequest, bad)))).toEqual([
      'claim.max_steps',
      'claim.namespaces[0]',
      'results[0]',
      'results[1].lease_token',
      'results[1].step_uuid',
      'results[2].completed.result',
      'results[3].failed.error_type',
      'results[3].failed.message',
      'worker_id',
    ]);
  });

  it('refuses more than 1000 results', () => {
    const results = Array.from({ length: 1001 }, () => makeCompletedResult());
    const pb = reportResultsInputToProto(makeMinimalReportResultsInput({ results }));
    expect(validationFieldsOf(() => reportResultsInputFromProto(pb))).toEqual(['results']);
  });

  it.each([
    ['fully populated, every outcome', makeReportResultsOutput()],
    ...distinctVariants(makeReportResultsOutput()),
    ['minimal', makeReportResultsOutput({ outcomes: [], claimed: [] })],
    ['a minimal claimed step', makeReportResultsOutput({ claimed: [makeMinimalClaimedStep()] })],
  ])('round-trips a response (%s)', (_, output) => {
    expect(reportResultsOutputFromProto(wire(ReportResultsResponse, reportResultsOutputToProto(output)))).toEqual(
      output,
    );
  });

  it.each(STEP_RESULT_OUTCOME_KINDS)('round-trips the outcome %s', (outcome) => {
    const output = { outcomes: [makeStepResultOutcome({ outcome })], claimed: [] };
    expect(reportResultsOutputFromProto(wire(ReportResultsResponse, reportResultsOutputToProto(output)))).toEqual(
      output,
    );
  });

  it('refuses an UNSPECIFIED outcome or state', () => {
    const pb = reportResultsOutputToProto({
      outcomes: [makeStepResultOutcome(), makeStepResultOutcome()],
      claimed: [],
    });
    pb.outcomes[0]!.outcome = ResultOutcome.RESULT_OUTCOME_UNSPECIFIED;
    pb.outcomes[1]!.stepState = StepState.STEP_STATE_UNSPECIFIED;
    expect(() => reportResultsOutputFromProto(pb)).toThrow(/outcomes\[0\]\.outcome/);
    pb.outcomes[0]!.outcome = ResultOutcome.RESULT_OUTCOME_OK;
    expect(validationFieldsOf(() => reportResultsOutputFromProto(pb))).toEqual(['outcomes[1].step_state']);
  });
});

import { describe, expect, it } from 'vitest';
import {
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
  WorkerSchema,
} from '../../schemas/rest/worker.js';
import { STEP_RESULT_OUTCOME_KINDS } from '../../domain/worker.js';
import { STEP_STATES, TASK_STATES } from '../../domain/states.js';
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
import { makeMinimalClaimedStep, makeMinimalReportResultsInput } from '../../testing/proto-builders.js';
import {
  claimInputFromRest,
  claimInputToRest,
  claimResponseFromRest,
  claimResponseToRest,
  claimedStepFromRest,
  claimedStepToRest,
  completeStepInputFromRest,
  completeStepInputToRest,
  failStepInputFromRest,
  failStepInputToRest,
  heartbeatInputFromRest,
  heartbeatInputToRest,
  leaseStatesFromRest,
  leaseStatesToRest,
  registerWorkerInputFromRest,
  registerWorkerInputToRest,
  releaseInputFromRest,
  releaseInputToRest,
  reportResultsInputFromRest,
  reportResultsInputToRest,
  reportResultsOutputFromRest,
  reportResultsOutputToRest,
  stepResultAckFromRest,
  stepResultAckToRest,
  workerFromRest,
  workerToRest,
} from './worker.js';

const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe('worker protocol ↔ REST', () => {
  it('round-trips registration and worker info', () => {
    for (const input of [
      makeRegisterWorkerInput(),
      makeRegisterWorkerInput({ namespaces: [], handlers: [], metadata: {} }),
    ]) {
      expect(
        registerWorkerInputFromRest(RegisterWorkerRequestSchema.parse(wire(registerWorkerInputToRest(input)))),
      ).toEqual(input);
    }
    expect(RegisterWorkerRequestSchema.parse({ worker_id: 'w', hostname: 'h', version: '1' })).toEqual({
      worker_id: 'w',
      hostname: 'h',
      version: '1',
      namespaces: [],
      handlers: [],
      metadata: {},
    });
    for (const w of [makeWorkerInfo(), makeWorkerInfo({ live: false, namespaces: [], metadata: {} })]) {
      expect(workerFromRest(WorkerSchema.parse(wire(workerToRest(w))))).toEqual(w);
    }
  });

  it('round-trips a claim request, with defaults for the minimal one', () => {
    const input = { workerId: 'w', namespaces: ['billing'], handlerNames: ['H'], maxSteps: 8, waitMs: 20000 };
    expect(claimInputFromRest(ClaimRequestSchema.parse(wire(claimInputToRest(input))))).toEqual(input);
    expect(claimInputFromRest(ClaimRequestSchema.parse({ worker_id: 'w' }))).toEqual({
      workerId: 'w',
      namespaces: [],
      handlerNames: [],
      maxSteps: 1,
      waitMs: 0,
    });
    expect(ClaimRequestSchema.safeParse({ worker_id: 'w', wait_ms: -1 }).success).toBe(false);
    expect(ClaimRequestSchema.safeParse({ worker_id: 'w', max_steps: 0 }).success).toBe(false);
  });

  it.each([
    ['full', makeClaimedStep()],
    [
      'minimal',
      makeClaimedStep({
        handler: { callable: 'X', method: null, initialization: {} },
        context: {},
        parentResults: {},
        timeoutSeconds: null,
      }),
    ],
  ])('round-trips a %s claimed step', (_, step) => {
    expect(claimedStepFromRest(ClaimResponseSchema.parse(wire(claimResponseToRest([step]))).steps[0]!)).toEqual(step);
    expect(claimResponseFromRest(ClaimResponseSchema.parse(wire({ steps: [claimedStepToRest(step)] })))).toEqual([
      step,
    ]);
  });

  it('round-trips heartbeats, releases and lease states', () => {
    const leases = [{ stepUuid: makeUuid(), leaseToken: makeUuid() }];
    const hb = { workerId: 'w', leases };
    expect(heartbeatInputFromRest(HeartbeatRequestSchema.parse(wire(heartbeatInputToRest(hb))))).toEqual(hb);
    expect(releaseInputFromRest(ReleaseRequestSchema.parse(wire(releaseInputToRest(hb))))).toEqual(hb);
    const states = [
      { stepUuid: makeUuid(), status: 'valid' as const, leaseExpiresAt: new Date('2024-01-01T00:00:00.000Z') },
      { stepUuid: makeUuid(), status: 'cancelled' as const, leaseExpiresAt: null },
      { stepUuid: makeUuid(), status: 'lost' as const, leaseExpiresAt: null },
    ];
    expect(leaseStatesFromRest(LeaseStatesResponseSchema.parse(wire(leaseStatesToRest(states))))).toEqual(states);
  });

  it.each([
    ['full', makeCompleteStepInput()],
    ['minimal', makeCompleteStepInput({ executionTimeMs: null, metadata: null, result: null })],
  ])('round-trips a %s completion', (_, input) => {
    expect(completeStepInputFromRest(CompleteStepRequestSchema.parse(wire(completeStepInputToRest(input))))).toEqual(
      input,
    );
  });

  it('defaults absent optional completion fields to null', () => {
    const body = CompleteStepRequestSchema.parse({
      worker_id: 'w',
      step_uuid: makeUuid(),
      lease_token: makeUuid(),
      result: 1,
    });
    expect(completeStepInputFromRest(body)).toMatchObject({ executionTimeMs: null, metadata: null, result: 1 });
  });

  it.each([
    ['full', makeFailStepInput()],
    [
      'minimal',
      makeFailStepInput({
        executionTimeMs: null,
        error: {
          message: 'x',
          errorType: null,
          retryable: false,
          retryAfterSeconds: null,
          statusCode: null,
          backtrace: null,
          context: null,
        },
      }),
    ],
  ])('round-trips a %s failure', (_, input) => {
    expect(failStepInputFromRest(FailStepRequestSchema.parse(wire(failStepInputToRest(input))))).toEqual(input);
  });

  it('round-trips acks with every step and task state', () => {
    for (const stepState of STEP_STATES) {
      for (const taskState of TASK_STATES) {
        const ack = {
          stepUuid: makeUuid(),
          stepState,
          taskState,
          nextRetryAt: stepState === 'waiting_for_retry' ? new Date(0) : null,
        };
        expect(stepResultAckFromRest(StepResultAckSchema.parse(wire(stepResultAckToRest(ack))))).toEqual(ack);
      }
    }
  });
});

describe('batched results ↔ REST', () => {
  const minimalFailure = {
    message: 'x',
    errorType: null,
    retryable: false,
    retryAfterSeconds: null,
    statusCode: null,
    backtrace: null,
    context: null,
  };

  it.each([
    ['full', makeReportResultsInput()],
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
  ])('round-trips a %s request', (_, input) => {
    expect(reportResultsInputFromRest(ReportResultsRequestSchema.parse(wire(reportResultsInputToRest(input))))).toEqual(
      input,
    );
  });

  it('defaults absent optional fields: no claim, empty claim filters, null times and metadata, retryable failures', () => {
    const stepUuid = makeUuid();
    const leaseToken = makeUuid();
    const body = ReportResultsRequestSchema.parse({
      worker_id: 'w',
      results: [
        { step_uuid: stepUuid, lease_token: leaseToken, status: 'completed', result: 1 },
        { step_uuid: stepUuid, lease_token: leaseToken, status: 'failed', error: { message: 'm' } },
      ],
    });
    expect(reportResultsInputFromRest(body)).toEqual({
      workerId: 'w',
      results: [
        { kind: 'completed', stepUuid, leaseToken, result: 1, executionTimeMs: null, metadata: null },
        {
          kind: 'failed',
          stepUuid,
          leaseToken,
          error: { ...minimalFailure, message: 'm', retryable: true },
          executionTimeMs: null,
        },
      ],
      claim: null,
    });
    const claim = ReportResultsRequestSchema.parse({ worker_id: 'w', results: [], claim: { max_steps: 3 } });
    expect(reportResultsInputFromRest(claim).claim).toEqual({ maxSteps: 3, namespaces: [], handlerNames: [] });
  });

  it.each([
    ['no status', { step_uuid: makeUuid(), lease_token: makeUuid(), result: 1 }],
    ['an unknown status', { step_uuid: makeUuid(), lease_token: makeUuid(), status: 'done', result: 1 }],
    ['a failure without its error', { step_uuid: makeUuid(), lease_token: makeUuid(), status: 'failed' }],
    [
      'a completion carrying an error',
      { step_uuid: makeUuid(), lease_token: makeUuid(), status: 'completed', result: 1, error: { message: 'm' } },
    ],
    ['a malformed lease token', { step_uuid: makeUuid(), lease_token: 'stale', status: 'completed', result: 1 }],
  ])('refuses a result with %s', (_, result) => {
    expect(ReportResultsRequestSchema.safeParse({ worker_id: 'w', results: [result] }).success).toBe(false);
  });

  it('bounds the batch and the claim', () => {
    const result = { step_uuid: makeUuid(), lease_token: makeUuid(), status: 'completed', result: 1 };
    expect(
      ReportResultsRequestSchema.safeParse({ worker_id: 'w', results: Array.from({ length: 1001 }, () => result) })
        .success,
    ).toBe(false);
    expect(
      ReportResultsRequestSchema.safeParse({ worker_id: 'w', results: [], claim: { max_steps: 1001 } }).success,
    ).toBe(false);
    expect(
      ReportResultsRequestSchema.safeParse({ worker_id: 'w', results: [], claim: { max_steps: -1 } }).success,
    ).toBe(false);
    expect(ReportResultsRequestSchema.safeParse({ worker_id: 'w', results: [], claim: null }).success).toBe(true);
  });

  it.each([
    ['full, every outcome', makeReportResultsOutput()],
    ['minimal', makeReportResultsOutput({ outcomes: [], claimed: [] })],
    ['a minimal claimed step', makeReportResultsOutput({ claimed: [makeMinimalClaimedStep()] })],
  ])('round-trips a %s response', (_, output) => {
    expect(
      reportResultsOutputFromRest(ReportResultsResponseSchema.parse(wire(reportResultsOutputToRest(output)))),
    ).toEqual(output);
  });

  it.each(STEP_RESULT_OUTCOME_KINDS)('round-trips the outcome %s', (outcome) => {
    const output = { outcomes: [makeStepResultOutcome({ outcome })], claimed: [] };
    expect(
      reportResultsOutputFromRest(ReportResultsResponseSchema.parse(wire(reportResultsOutputToRest(output)))),
    ).toEqual(output);
  });

  it('refuses an unknown outcome', () => {
    const body = wire(reportResultsOutputToRest({ outcomes: [makeStepResultOutcome()], claimed: [] })) as {
      outcomes: Array<{ outcome: string }>;
    };
    body.outcomes[0]!.outcome = 'unspecified';
    expect(ReportResultsResponseSchema.safeParse(body).success).toBe(false);
  });
});

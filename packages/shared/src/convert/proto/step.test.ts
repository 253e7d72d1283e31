import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import { StepState, StepType } from '../../gen/tasker/v1/common.js';
import {
  ListStepsRequest,
  ResolveStepRequest,
  Step as PbStep,
  StepAudit as PbStepAudit,
  StepManualActionType,
} from '../../gen/tasker/v1/steps.js';
import { makeStep, makeStepAudit, makeUuid } from '../../testing/builders.js';
import { makeMinimalStep, makeMinimalStepAudit, wire, distinctVariants } from '../../testing/proto-builders.js';
import {
  listStepsRequestFromProto,
  listStepsRequestToProto,
  resolveStepRequestFromProto,
  resolveStepRequestToProto,
  stepAuditFromProto,
  stepAuditToProto,
  stepFromProto,
  stepListFromProto,
  stepListToProto,
  stepRefFromProto,
  stepToProto,
  type ResolveStepInput,
} from './step.js';

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError && err.code === 'VALIDATION_FAILED') {
      return (err.details?.fields as Array<{ path: string }>).map((f) => f.path).sort();
    }
    throw err;
  }
  throw new Error('expected VALIDATION_FAILED');
}

describe('Step', () => {
  it.each([
    ['fully populated', makeStep()],
    ...distinctVariants(makeStep()),
    ['minimal', makeMinimalStep()],
    ['with a JSON null inside results', makeStep({ results: { value: null, list: [null, 1] } })],
    ['decision branch', makeStep({ stepType: 'standard', batch: null })],
    [
      'no-op batch worker with string cursors',
      makeStep({
        batch: { templateStep: 'w', batchId: '000', startCursor: 'a', endCursor: 'b', batchSize: null, noOp: true },
      }),
    ],
  ])('round-trips every field over the wire (%s)', (_, step) => {
    expect(stepFromProto(wire(PbStep, stepToProto(step)))).toEqual(step);
  });

  it('rejects an UNSPECIFIED state', () => {
    expect(
      fieldsOf(() => stepFromProto({ ...stepToProto(makeStep()), state: StepState.STEP_STATE_UNSPECIFIED })),
    ).toEqual(['step.state']);
  });

  it('rejects an UNSPECIFIED step type and a batch without its cursors', () => {
    const pb = stepToProto(makeStep());
    expect(fieldsOf(() => stepFromProto({ ...pb, stepType: StepType.STEP_TYPE_UNSPECIFIED }))).toEqual([
      'step.step_type',
    ]);
    expect(fieldsOf(() => stepFromProto({ ...pb, batch: { ...pb.batch!, startCursor: undefined } }))).toEqual([
      'step.batch.start_cursor',
    ]);
  });

  it('pages a step list as a window with the real total', () => {
    const steps = [makeStep(), makeStep(), makeMinimalStep()];
    const all = stepListToProto(steps, null);
    expect(all.pagination).toEqual({ total: 3, count: 3, offset: 0, hasMore: false });
    expect(stepListFromProto(all)).toEqual(steps);
    const window = stepListToProto(steps, { limit: 1, offset: 1 });
    expect(window.pagination).toEqual({ total: 3, count: 1, offset: 1, hasMore: true });
    expect(window.steps.map((s) => s.stepUuid)).toEqual([steps[1]!.stepUuid]);
    expect(stepListToProto([], null).pagination).toEqual({ total: 0, count: 0, offset: 0, hasMore: false });
  });

  it('round-trips list requests and validates ids', () => {
    const q = { taskUuid: makeUuid(), page: { limit: 10, offset: 5 } };
    expect(listStepsRequestFromProto(wire(ListStepsRequest, listStepsRequestToProto(q)))).toEqual(q);
    const all = { taskUuid: makeUuid(), page: null };
    expect(listStepsRequestFromProto(listStepsRequestToProto(all))).toEqual(all);
    expect(fieldsOf(() => listStepsRequestFromProto({ taskUuid: 'x', pagination: undefined }))).toEqual(['task_uuid']);
    expect(fieldsOf(() => stepRefFromProto({ taskUuid: makeUuid(), stepUuid: 'nope' }))).toEqual(['step_uuid']);
  });
});

describe('ResolveStepRequest', () => {
  const ids = { taskUuid: makeUuid(), stepUuid: makeUuid() };
  it.each<[string, ResolveStepInput]>([
    ['reset', { ...ids, action: { type: 'reset_for_retry', reason: 'fixed', performedBy: 'ops' } }],
    ['resolve', { ...ids, action: { type: 'resolve_manually', reason: 'skip', performedBy: 'ops' } }],
    [
      'complete with metadata',
      {
        ...ids,
        action: {
          type: 'complete_manually',
          reason: 'done',
          performedBy: 'ops',
          result: { tax: 1 },
          metadata: { ticket: 'T-1' },
        },
      },
    ],
    [
      'complete with a null result',
      { ...ids, action: { type: 'complete_manually', reason: 'done', performedBy: 'ops', result: null } },
    ],
  ])('round-trips every field (%s)', (_, input) => {
    expect(resolveStepRequestFromProto(wire(ResolveStepRequest, resolveStepRequestToProto(input)))).toEqual(input);
  });

  it('rejects UNSPECIFIED, missing fields, and a result where none belongs', () => {
    const bad = ResolveStepRequest.fromPartial({ taskUuid: 'x', stepUuid: ids.stepUuid });
    expect(fieldsOf(() => resolveStepRequestFromProto(bad))).toEqual([
      'action_type',
      'performed_by',
      'reason',
      'task_uuid',
    ]);
    const noResult = ResolveStepRequest.fromPartial({
      ...ids,
      actionType: StepManualActionType.STEP_MANUAL_ACTION_TYPE_COMPLETE_MANUALLY,
      performedBy: 'a',
      reason: 'r',
    });
    expect(fieldsOf(() => resolveStepRequestFromProto(noResult))).toEqual(['result']);
    const extra = ResolveStepRequest.fromPartial({
      ...ids,
      actionType: StepManualActionType.STEP_MANUAL_ACTION_TYPE_RESET_FOR_RETRY,
      performedBy: 'a',
      reason: 'r',
      result: 1,
      metadata: {},
    });
    expect(fieldsOf(() => resolveStepRequestFromProto(extra))).toEqual(['metadata', 'result']);
  });
});

describe('StepAudit', () => {
  it.each([
    ['fully populated', makeStepAudit()],
    ...distinctVariants(makeStepAudit()),
    ['minimal', makeMinimalStepAudit()],
  ])('round-trips every field over the wire (%s)', (_, audit) => {
    expect(stepAuditFromProto(wire(PbStepAudit, stepAuditToProto(audit)))).toEqual(audit);
  });

  it('rejects an audit action outside the vocabulary', () => {
    expect(fieldsOf(() => stepAuditFromProto({ ...stepAuditToProto(makeStepAudit()), action: 'teleport' }))).toEqual([
      'audit_records[].action',
    ]);
  });
});

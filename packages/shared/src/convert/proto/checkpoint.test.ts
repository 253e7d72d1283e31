import { describe, expect, it } from 'vitest';
import { StepCheckpoint as PbStepCheckpoint } from '../../gen/tasker/v1/common.js';
import { Step as PbStep } from '../../gen/tasker/v1/steps.js';
import {
  CheckpointStepRequest,
  CheckpointStepResponse,
  ClaimedStep as PbClaimedStep,
} from '../../gen/tasker/v1/workers.js';
import {
  makeCheckpointStepInput,
  makeClaimedStep,
  makeDate,
  makeStep,
  makeStepCheckpoint,
  makeUuid,
} from '../../testing/builders.js';
import { distinctVariants, makeMinimalStepCheckpoint, validationFieldsOf, wire } from '../../testing/proto-builders.js';
import {
  checkpointFromProto,
  checkpointStepInputFromProto,
  checkpointStepInputToProto,
  checkpointStepResultFromProto,
  checkpointStepResultToProto,
  checkpointToProto,
  optionalCheckpointFromProto,
  optionalCheckpointToProto,
} from './checkpoint.js';
import { stepFromProto, stepToProto } from './step.js';
import { claimedStepFromProto, claimedStepToProto } from './worker.js';

describe('step checkpoints', () => {
  it.each([
    ['fully populated', makeStepCheckpoint()],
    ...distinctVariants(makeStepCheckpoint()),
    ['minimal', makeMinimalStepCheckpoint()],
    ['a string cursor and scalar results', makeStepCheckpoint({ cursor: 'page-3', accumulatedResults: 12 })],
    ['a cursor of false and empty results', makeStepCheckpoint({ cursor: false, accumulatedResults: [] })],
  ])('round-trip (%s)', (_, c) => {
    expect(checkpointFromProto(wire(PbStepCheckpoint, checkpointToProto(c)))).toEqual(c);
  });

  it('travel absent for none', () => {
    expect(optionalCheckpointToProto(null)).toBeUndefined();
    expect(optionalCheckpointFromProto(undefined)).toBeNull();
    const c = makeStepCheckpoint();
    expect(optionalCheckpointFromProto(optionalCheckpointToProto(c))).toEqual(c);
  });

  it('require their timestamps, naming the path', () => {
    const pb = checkpointToProto(makeStepCheckpoint());
    expect(
      validationFieldsOf(() => checkpointFromProto({ ...pb, timestamp: undefined }, 'steps[2].checkpoint')),
    ).toEqual(['steps[2].checkpoint.timestamp']);
    const history = [pb.history[0]!, { ...pb.history[1]!, timestamp: undefined }];
    expect(validationFieldsOf(() => checkpointFromProto({ ...pb, history }))).toEqual([
      'checkpoint.history[1].timestamp',
    ]);
  });

  it.each([
    ['with a checkpoint', makeStepCheckpoint()],
    ['without one', null],
  ])('ride along in step reads and claims (%s)', (_, checkpoint) => {
    const step = makeStep({ checkpoint });
    expect(stepFromProto(wire(PbStep, stepToProto(step)))).toEqual(step);
    const claimed = makeClaimedStep({ checkpoint });
    expect(claimedStepFromProto(wire(PbClaimedStep, claimedStepToProto(claimed)))).toEqual(claimed);
  });
});

describe('CheckpointStep request', () => {
  it.each([
    ['fully populated', makeCheckpointStepInput()],
    ['minimal', makeCheckpointStepInput({ cursor: 0, itemsProcessed: 0, accumulatedResults: null })],
    ['a scalar cursor and results', makeCheckpointStepInput({ cursor: 'row-9', accumulatedResults: 'partial' })],
    ['the largest count', makeCheckpointStepInput({ itemsProcessed: Number.MAX_SAFE_INTEGER })],
  ])('round-trips (%s)', (_, input) => {
    expect(checkpointStepInputFromProto(wire(CheckpointStepRequest, checkpointStepInputToProto(input)))).toEqual(input);
  });

  it('requires the worker, the step, the lease token and a cursor', () => {
    expect(validationFieldsOf(() => checkpointStepInputFromProto(CheckpointStepRequest.fromPartial({})))).toEqual([
      'cursor',
      'lease_token',
      'step_uuid',
      'worker_id',
    ]);
  });

  it('refuses malformed UUIDs and a null cursor, naming each field', () => {
    const pb = wire(
      CheckpointStepRequest,
      checkpointStepInputToProto(
        makeCheckpointStepInput({ stepUuid: 'step-1', leaseToken: 'not-a-uuid', cursor: null }),
      ),
    );
    expect(pb.cursor).toBeNull();
    expect(validationFieldsOf(() => checkpointStepInputFromProto(pb))).toEqual(['cursor', 'lease_token', 'step_uuid']);
  });

  it.each([
    ['negative', -1],
    ['past the safe integers', Number.MAX_SAFE_INTEGER + 1],
    ['fractional', 1.5],
  ])('refuses a %s items_processed', (_, itemsProcessed) => {
    const pb = { ...checkpointStepInputToProto(makeCheckpointStepInput()), itemsProcessed };
    expect(validationFieldsOf(() => checkpointStepInputFromProto(pb))).toEqual(['items_processed']);
  });
});

describe('CheckpointStep response', () => {
  const result = () => ({
    stepUuid: makeUuid(),
    leaseExpiresAt: makeDate(60),
    checkpoint: makeStepCheckpoint(),
  });

  it.each([
    ['fully populated', result()],
    ['a minimal checkpoint', { ...result(), checkpoint: makeMinimalStepCheckpoint() }],
  ])('round-trips (%s)', (_, r) => {
    expect(checkpointStepResultFromProto(wire(CheckpointStepResponse, checkpointStepResultToProto(r)))).toEqual(r);
  });

  it('requires the checkpoint and the lease expiry', () => {
    const pb = checkpointStepResultToProto(result());
    expect(validationFieldsOf(() => checkpointStepResultFromProto({ ...pb, checkpoint: undefined }))).toEqual([
      'checkpoint',
    ]);
    expect(validationFieldsOf(() => checkpointStepResultFromProto({ ...pb, leaseExpiresAt: undefined }))).toEqual([
      'lease_expires_at',
    ]);
  });
});

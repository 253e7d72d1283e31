import { describe, expect, it } from 'vitest';
import {
  CheckpointStepRequestSchema,
  CheckpointStepResponseSchema,
  StepCheckpointSchema,
} from '../../schemas/rest/checkpoint.js';
import { StepResponseSchema } from '../../schemas/rest/step.js';
import { ClaimResponseSchema } from '../../schemas/rest/worker.js';
import {
  makeCheckpointStepInput,
  makeClaimedStep,
  makeDate,
  makeStep,
  makeStepCheckpoint,
  makeUuid,
} from '../../testing/builders.js';
import { makeMinimalStepCheckpoint } from '../../testing/proto-builders.js';
import {
  checkpointFromRest,
  checkpointStepInputFromRest,
  checkpointStepInputToRest,
  checkpointStepResultFromRest,
  checkpointStepResultToRest,
  checkpointToRest,
  optionalCheckpointFromRest,
  optionalCheckpointToRest,
} from './checkpoint.js';
import { stepFromRest, stepToRest } from './step.js';
import { claimResponseFromRest, claimResponseToRest } from './worker.js';

const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

/** The field paths a refused body names. */
function refusedPaths(body: unknown): string[] {
  const parsed = CheckpointStepRequestSchema.safeParse(body);
  if (parsed.success) throw new Error('expected a refusal');
  return [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].sort();
}

describe('step checkpoints ↔ REST', () => {
  it.each([
    ['fully populated', makeStepCheckpoint()],
    ['minimal', makeMinimalStepCheckpoint()],
    ['a string cursor and scalar results', makeStepCheckpoint({ cursor: 'page-3', accumulatedResults: 12 })],
    ['a cursor of false and empty results', makeStepCheckpoint({ cursor: false, accumulatedResults: [] })],
  ])('round-trip (%s)', (_, c) => {
    expect(checkpointFromRest(StepCheckpointSchema.parse(wire(checkpointToRest(c))))).toEqual(c);
  });

  it('are null for none', () => {
    expect(optionalCheckpointToRest(null)).toBeNull();
    expect(optionalCheckpointFromRest(null)).toBeNull();
    expect(optionalCheckpointFromRest(undefined)).toBeNull();
    const c = makeStepCheckpoint();
    expect(optionalCheckpointFromRest(optionalCheckpointToRest(c))).toEqual(c);
  });

  it.each([
    ['with a checkpoint', makeStepCheckpoint()],
    ['without one', null],
  ])('ride along in step reads and claims (%s)', (_, checkpoint) => {
    const step = makeStep({ checkpoint });
    expect(stepFromRest(StepResponseSchema.parse(wire(stepToRest(step))))).toEqual(step);
    const claimed = makeClaimedStep({ checkpoint });
    expect(claimResponseFromRest(ClaimResponseSchema.parse(wire(claimResponseToRest([claimed]))))).toEqual([claimed]);
  });
});

describe('CheckpointStep request ↔ REST', () => {
  it.each([
    ['fully populated', makeCheckpointStepInput()],
    ['minimal', makeCheckpointStepInput({ cursor: 0, itemsProcessed: 0, accumulatedResults: null })],
    ['a scalar cursor and results', makeCheckpointStepInput({ cursor: 'row-9', accumulatedResults: 'partial' })],
    ['the largest count', makeCheckpointStepInput({ itemsProcessed: Number.MAX_SAFE_INTEGER })],
  ])('round-trips (%s)', (_, input) => {
    expect(
      checkpointStepInputFromRest(CheckpointStepRequestSchema.parse(wire(checkpointStepInputToRest(input)))),
    ).toEqual(input);
  });

  it('defaults items_processed to 0 and accumulated_results to null', () => {
    const stepUuid = makeUuid();
    const leaseToken = makeUuid();
    const body = CheckpointStepRequestSchema.parse({
      worker_id: 'w',
      step_uuid: stepUuid,
      lease_token: leaseToken,
      cursor: 3,
    });
    expect(checkpointStepInputFromRest(body)).toEqual({
      workerId: 'w',
      stepUuid,
      leaseToken,
      cursor: 3,
      itemsProcessed: 0,
      accumulatedResults: null,
    });
  });

  const valid = () => checkpointStepInputToRest(makeCheckpointStepInput()) as Record<string, unknown>;
  const without = (...keys: string[]) => Object.fromEntries(Object.entries(valid()).filter(([k]) => !keys.includes(k)));

  it.each([
    [
      'no step_uuid, lease_token or cursor',
      without('step_uuid', 'lease_token', 'cursor'),
      ['cursor', 'lease_token', 'step_uuid'],
    ],
    ['no worker_id', without('worker_id'), ['worker_id']],
    ['malformed UUIDs', { ...valid(), step_uuid: 'step-1', lease_token: 'not-a-uuid' }, ['lease_token', 'step_uuid']],
    ['a null cursor', { ...valid(), cursor: null }, ['cursor']],
    ['a negative items_processed', { ...valid(), items_processed: -1 }, ['items_processed']],
    ['items_processed past the safe integers', { ...valid(), items_processed: 2 ** 53 }, ['items_processed']],
    ['a fractional items_processed', { ...valid(), items_processed: 1.5 }, ['items_processed']],
    ['items_processed as a string', { ...valid(), items_processed: '5' }, ['items_processed']],
    ['UUIDs as numbers', { ...valid(), step_uuid: 5, lease_token: true }, ['lease_token', 'step_uuid']],
  ])('refuses %s, naming the fields', (_, body, paths) => {
    expect(refusedPaths(body)).toEqual(paths);
  });
});

describe('CheckpointStep response ↔ REST', () => {
  it.each([
    ['fully populated', makeStepCheckpoint()],
    ['a minimal checkpoint', makeMinimalStepCheckpoint()],
  ])('round-trips (%s)', (_, checkpoint) => {
    const r = { stepUuid: makeUuid(), leaseExpiresAt: makeDate(60), checkpoint };
    expect(
      checkpointStepResultFromRest(CheckpointStepResponseSchema.parse(wire(checkpointStepResultToRest(r)))),
    ).toEqual(r);
  });
});

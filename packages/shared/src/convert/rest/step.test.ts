import { describe, expect, it } from 'vitest';
import { STEP_STATES } from '../../domain/states.js';
import { STEP_AUDIT_ACTIONS, type StepManualAction } from '../../domain/step.js';
import { StepAuditSchema, StepManualActionRequestSchema, StepResponseSchema } from '../../schemas/rest/step.js';
import { makeStep, makeStepAudit } from '../../testing/builders.js';
import {
  stepAuditFromRest,
  stepAuditToRest,
  stepFromRest,
  stepManualActionFromRest,
  stepManualActionToRest,
  stepToRest,
} from './step.js';

const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

const minimalStep = () =>
  makeStep({
    state: 'pending',
    completedAt: null,
    results: null,
    lastFailureAt: null,
    nextRetryAt: null,
    lastAttemptedAt: null,
    backoffRequestSeconds: null,
    lastError: null,
    stepType: 'standard',
    createdByStepUuid: null,
    createdByStepName: null,
    batch: null,
    attempts: 0,
    totalParents: 0,
    completedParents: 0,
  });

describe('step ↔ REST', () => {
  it.each([
    ['full', makeStep()],
    ['minimal', minimalStep()],
    ['scalar result', makeStep({ results: 'done' })],
    ['decision branch', makeStep({ stepType: 'standard', batch: null })],
    [
      'no-op batch worker',
      makeStep({
        batch: { templateStep: 'w', batchId: '000', startCursor: 0, endCursor: 0, batchSize: null, noOp: true },
      }),
    ],
    [
      'error without type or status',
      makeStep({ lastError: { message: 'x', errorType: null, retryable: false, statusCode: null } }),
    ],
  ])('round-trips a %s step through the schema', (_, step) => {
    expect(stepFromRest(StepResponseSchema.parse(wire(stepToRest(step))))).toEqual(step);
  });

  it('carries every step state both ways', () => {
    for (const state of STEP_STATES) {
      const rest = StepResponseSchema.parse(wire(stepToRest(makeStep({ state }))));
      expect(rest.current_state).toBe(state);
      expect(stepFromRest(rest).state).toBe(state);
    }
    expect(StepResponseSchema.safeParse({ ...stepToRest(makeStep()), current_state: 'done' }).success).toBe(false);
  });

  const actions: Array<[string, StepManualAction]> = [
    ['reset', { type: 'reset_for_retry', reason: 'fixed', performedBy: 'ops' }],
    ['resolve', { type: 'resolve_manually', reason: 'skip', performedBy: 'ops' }],
    [
      'complete (full)',
      { type: 'complete_manually', reason: 'r', performedBy: 'ops', result: { v: 1 }, metadata: { note: 'n' } },
    ],
    ['complete (minimal)', { type: 'complete_manually', reason: 'r', performedBy: 'ops', result: null }],
  ];
  it.each(actions)('round-trips a %s manual action', (_, action) => {
    expect(stepManualActionFromRest(StepManualActionRequestSchema.parse(wire(stepManualActionToRest(action))))).toEqual(
      action,
    );
  });

  it('uses the reference field names per action', () => {
    expect(stepManualActionToRest({ type: 'reset_for_retry', reason: 'r', performedBy: 'a' })).toEqual({
      action_type: 'reset_for_retry',
      reason: 'r',
      reset_by: 'a',
    });
    expect(stepManualActionToRest({ type: 'resolve_manually', reason: 'r', performedBy: 'a' })).toHaveProperty(
      'resolved_by',
      'a',
    );
  });

  it.each([
    ['action_type', { action_type: 'delete', reason: 'r' }],
    ['resolved_by', { action_type: 'resolve_manually', reason: 'r' }],
    ['resolved_by', { action_type: 'reset_for_retry', reason: 'r', reset_by: 'a', resolved_by: 'b' }],
    ['completion_data', { action_type: 'complete_manually', reason: 'r', completed_by: 'a' }],
  ])('rejects a bad manual action, naming %s', (field, body) => {
    const result = StepManualActionRequestSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(field);
  });

  it.each([
    ['full', makeStepAudit()],
    [
      'minimal',
      makeStepAudit({
        workerId: null,
        performedBy: null,
        reason: null,
        correlationId: null,
        executionTimeMs: null,
        result: null,
        fromState: null,
      }),
    ],
  ])('round-trips a %s audit row', (_, audit) => {
    expect(stepAuditFromRest(StepAuditSchema.parse(wire(stepAuditToRest(audit))))).toEqual(audit);
  });

  it('carries every audit action', () => {
    for (const action of STEP_AUDIT_ACTIONS) {
      expect(stepAuditFromRest(StepAuditSchema.parse(wire(stepAuditToRest(makeStepAudit({ action }))))).action).toBe(
        action,
      );
    }
  });
});

// Steps: read models with readiness fields, the audit trail, and operator actions (guarded by the step
// machine inside tasker.apply_step_action; audited there with who and why).
import type { JsonObject, JsonValue, Step, StepManualAction } from '@tasker/shared';
import { AppError } from '@tasker/shared/errors';
import { canAccessNamespace, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import { retryOnDeadlock } from '../repositories/errors.js';
import { stepAuditFromRow, stepFromRow } from '../repositories/rows.js';
import { applyStepAction, findStep, listStepAudit, listSteps } from '../repositories/steps.js';
import { findTask } from '../repositories/tasks.js';
import { assertUuid, scopeOf, stepNotFound, taskNotFound } from './access.js';
import type { StepService } from './types.js';

export interface StepServiceDeps {
  sql: Sql;
}

/** What complete_manually stores: the result as the step's results, and an audit payload with the metadata. */
function manualPayload(action: StepManualAction): { result: JsonValue | null; audit: JsonValue | null } {
  if (action.type !== 'complete_manually') return { result: null, audit: null };
  const metadata: JsonObject = {
    ...(action.metadata ?? {}),
    manually_completed: true,
    completed_by: action.performedBy,
    completion_reason: action.reason,
  };
  return { result: action.result, audit: { result: action.result, metadata } };
}

export function createStepService(deps: StepServiceDeps): StepService {
  const { sql } = deps;

  async function assertTaskVisible(principal: Principal, taskUuid: string): Promise<void> {
    assertUuid(taskUuid, 'task_uuid');
    const task = await findTask(sql, taskUuid);
    if (task === undefined || !canAccessNamespace(principal, task.namespace)) throw taskNotFound(taskUuid);
  }

  async function loadStep(principal: Principal, taskUuid: string, stepUuid: string): Promise<Step> {
    await assertTaskVisible(principal, taskUuid);
    assertUuid(stepUuid, 'step_uuid');
    const row = await findStep(sql, taskUuid, stepUuid);
    if (row === undefined) throw stepNotFound(taskUuid, stepUuid);
    return stepFromRow(row);
  }

  return {
    async list(principal, taskUuid) {
      await assertTaskVisible(principal, taskUuid);
      const now = new Date();
      return (await listSteps(sql, taskUuid)).map((r) => stepFromRow(r, now));
    },

    get: loadStep,

    async applyManualAction(principal, taskUuid, stepUuid, action) {
      assertUuid(taskUuid, 'task_uuid');
      assertUuid(stepUuid, 'step_uuid');
      const { result, audit } = manualPayload(action);
      const outcome = await retryOnDeadlock(() =>
        applyStepAction(sql, {
          taskUuid,
          stepUuid,
          action: action.type,
          actor: action.performedBy,
          reason: action.reason,
          result,
          audit,
          namespaces: scopeOf(principal),
        }),
      );
      if (outcome.outcome === 'not_found') {
        throw outcome.taskState === null ? taskNotFound(taskUuid) : stepNotFound(taskUuid, stepUuid);
      }
      if (outcome.outcome === 'invalid_state') {
        throw new AppError('INVALID_STATE', `Step ${stepUuid} is ${outcome.stepState}; ${action.type} is not allowed from it`, {
          details: { task_uuid: taskUuid, step_uuid: stepUuid, state: outcome.stepState, action: action.type },
        });
      }
      return loadStep(principal, taskUuid, stepUuid);
    },

    async audit(principal, taskUuid, stepUuid) {
      await loadStep(principal, taskUuid, stepUuid);
      return (await listStepAudit(sql, taskUuid, stepUuid)).map(stepAuditFromRow);
    },
  };
}

// Steps: read models with readiness fields, the audit trail, and operator actions (guarded by the step
// machine inside tasker.apply_step_action; audited there with who and why).
import type { Step } from '@tasker/shared';
import { AppError } from '@tasker/shared/errors';
import { canAccessNamespace, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import { retryOnDeadlock } from '../repositories/errors.js';
import { applyStepAction, findStep, listStepAudit, listSteps } from '../repositories/steps.js';
import { findTask } from '../repositories/tasks.js';
import { assertUuid, scopeOf, stepNotFound, taskNotFound } from './access.js';
import type { StepService } from './types.js';

export interface StepServiceDeps {
  sql: Sql;
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
    const step = await findStep(sql, taskUuid, stepUuid);
    if (step === undefined) throw stepNotFound(taskUuid, stepUuid);
    return step;
  }

  return {
    async list(principal, taskUuid) {
      await assertTaskVisible(principal, taskUuid);
      return listSteps(sql, taskUuid);
    },

    get: loadStep,

    async applyManualAction(principal, taskUuid, stepUuid, action) {
      assertUuid(taskUuid, 'task_uuid');
      assertUuid(stepUuid, 'step_uuid');
      const outcome = await retryOnDeadlock(() =>
        applyStepAction(sql, { taskUuid, stepUuid, action, namespaces: scopeOf(principal) }),
      );
      if (outcome.outcome === 'not_found') {
        throw outcome.taskState === null ? taskNotFound(taskUuid) : stepNotFound(taskUuid, stepUuid);
      }
      if (outcome.outcome === 'invalid_state') {
        throw new AppError(
          'INVALID_STATE',
          `Step ${stepUuid} is ${outcome.stepState}; ${action.type} is not allowed from it`,
          {
            details: { task_uuid: taskUuid, step_uuid: stepUuid, state: outcome.stepState, action: action.type },
          },
        );
      }
      if (outcome.outcome === 'invalid_outcome') {
        throw new AppError(
          'VALIDATION_FAILED',
          `Step ${stepUuid}: ${outcome.detail ?? 'the result cannot be applied'}`,
          {
            details: { task_uuid: taskUuid, step_uuid: stepUuid, action: action.type },
          },
        );
      }
      return loadStep(principal, taskUuid, stepUuid);
    },

    async audit(principal, taskUuid, stepUuid) {
      await loadStep(principal, taskUuid, stepUuid);
      return listStepAudit(sql, taskUuid, stepUuid);
    },
  };
}

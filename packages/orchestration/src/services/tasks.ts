// Tasks: creation (one round trip for the write), reads, cancel, resume, and the operator's close (resolve).
import {
  isUuid,
  taskOptionsProblems,
  type CreateTaskInput,
  type CreatedTask,
  type JsonObject,
  type Task,
  type TaskSummary,
} from '@tasker/shared';
import { AppError, validationError, type FieldProblem } from '@tasker/shared/errors';
import { computeIdentityHash } from '@tasker/shared/domain/identity';
import { checkAgainstSchema } from '@tasker/shared/domain/template-schema';
import { canAccessNamespace, type Principal } from '@tasker/shared/permissions';
import type { JSONValue, Sql } from 'postgres';
import { CONSTRAINTS, isForeignKeyViolation, isUniqueViolation } from '../db/pg-errors.js';
import type { ResolvedTemplate, TemplateCache } from '../engine/template-cache.js';
import { isStaleTemplateError, retryOnDeadlock } from '../repositories/errors.js';
import { listSteps } from '../repositories/steps.js';
import {
  cancelTask,
  findLatestDlqEntry,
  findStepOutputs,
  findTask,
  findTaskUuidByIdentityHash,
  insertTask,
  listTasks,
  resolveTask,
  resumeTask,
  type Db,
  type NewTask,
} from '../repositories/tasks.js';
import { assertUuid, scopeOf, taskNotFound, templateNotFound } from './access.js';
import { admitTask, type AdmissionDeps } from './admission.js';
import type { TaskService } from './types.js';

export interface TaskServiceDeps {
  sql: Sql;
  cache: TemplateCache;
  /** Per-namespace queue depths and limits, and the Retry-After of a refusal. */
  backpressure: AdmissionDeps;
  /** Latest run_at accepted, in days from now (engine.max_start_delay_days). Default 366. */
  maxStartDelayDays?: number;
  /** A task was created to start at this time (the task starter wakes for it). */
  onStartScheduled?: (at: Date) => void;
}

/**
 * What the transports leave to the service: `options` (bounded by TASK_OPTIONS_LIMITS, checked here once for every
 * caller) and the correlation ids, which go into uuid columns. Every other field's bounds are transport rules
 * (domain/limits.ts); CHECK constraints of the tasks table back the lengths of initiator, source_system, reason
 * and idempotency_key.
 */
function checkCreateInput(input: CreateTaskInput, maxStartDelayDays: number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (input.runAt !== undefined) {
    const at = input.runAt.getTime();
    if (Number.isNaN(at)) problems.push({ path: 'run_at', message: 'must be a valid date-time' });
    else if (at > Date.now() + maxStartDelayDays * 86_400_000) {
      problems.push({ path: 'run_at', message: `must be at most ${maxStartDelayDays} days ahead` });
    }
  }
  if (input.correlationId !== undefined && !isUuid(input.correlationId)) {
    problems.push({ path: 'correlation_id', message: 'must be a UUID' });
  }
  if (input.parentCorrelationId !== undefined && !isUuid(input.parentCorrelationId)) {
    problems.push({ path: 'parent_correlation_id', message: 'must be a UUID' });
  }
  if (input.options !== undefined) {
    if (typeof input.options !== 'object' || input.options === null || Array.isArray(input.options)) {
      problems.push({ path: 'options', message: 'must be an object of string values' });
    } else {
      problems.push(...taskOptionsProblems(input.options));
    }
  }
  return problems;
}

export function createTaskService(deps: TaskServiceDeps): TaskService {
  const { sql, cache } = deps;

  async function loadVisible(principal: Principal, taskUuid: string): Promise<Task> {
    assertUuid(taskUuid, 'task_uuid');
    const task = await findTask(sql, taskUuid);
    if (task === undefined || !canAccessNamespace(principal, task.namespace)) throw taskNotFound(taskUuid);
    return task;
  }

  function buildNewTask(input: CreateTaskInput, resolved: ResolvedTemplate): NewTask {
    const schemaProblems =
      resolved.validateInput === null ? [] : checkAgainstSchema(resolved.validateInput, input.context, 'context');
    if (schemaProblems.length > 0)
      throw validationError(schemaProblems, 'Task context does not match the template input_schema');
    const identityHash = computeIdentityHash(
      resolved.effective.identityStrategy,
      input,
      input.context,
      input.idempotencyKey,
    );
    if (identityHash === undefined) {
      throw validationError([
        { path: 'idempotency_key', message: 'is required: the template uses identity strategy caller_provided' },
      ]);
    }
    return {
      ...input,
      priority: input.priority ?? 0,
      tags: input.tags ?? [],
      templateUuid: resolved.template.templateUuid,
      templateHash: resolved.template.contentHash,
      identityHash,
      ...(resolved.plan === null ? {} : { plan: resolved.plan as unknown as JSONValue }),
    };
  }

  async function resolveTemplate(input: CreateTaskInput): Promise<ResolvedTemplate> {
    const resolved = await cache.resolve(input.namespace, input.name, input.version);
    if (resolved === undefined) throw templateNotFound(input.namespace, input.name, input.version);
    return resolved;
  }

  /** Scope, the service's own input rules and admission; the backpressure state on success. */
  function admit(principal: Principal, input: CreateTaskInput): CreatedTask['backpressure'] {
    if (!canAccessNamespace(principal, input.namespace))
      throw templateNotFound(input.namespace, input.name, input.version);
    const problems = checkCreateInput(input, deps.maxStartDelayDays ?? 366);
    if (problems.length > 0) throw validationError(problems);
    return admitTask(deps.backpressure, input.namespace);
  }

  /** One create_task call; the identity and template foreign-key violations become AppErrors. */
  async function insertResolved(db: Db, input: CreateTaskInput, resolved: ResolvedTemplate): Promise<Task> {
    const task = buildNewTask(input, resolved);
    try {
      const created = await insertTask(db, task, resolved.steps);
      if (created.state === 'pending' && created.runAt !== null) deps.onStartScheduled?.(created.runAt);
      return created;
    } catch (err) {
      if (isUniqueViolation(err, CONSTRAINTS.taskIdentityHash)) {
        // Inside a caller's transaction the lookup would fail too (the transaction is aborted).
        const existing = db === sql ? await findTaskUuidByIdentityHash(sql, task.identityHash) : undefined;
        throw new AppError('ALREADY_EXISTS', 'A task with the same identity already exists', {
          details: existing === undefined ? {} : { task_uuid: existing },
        });
      }
      if (isForeignKeyViolation(err, CONSTRAINTS.taskTemplate)) {
        throw templateNotFound(input.namespace, input.name, input.version);
      }
      throw err;
    }
  }

  const service: TaskService = {
    async createWithAdmission(principal, input): Promise<CreatedTask> {
      const backpressure = admit(principal, input);
      let resolved = await resolveTemplate(input);
      for (let attempt = 1; ; attempt += 1) {
        try {
          return { task: await insertResolved(sql, input, resolved), backpressure };
        } catch (err) {
          if (!isStaleTemplateError(err) || attempt >= 2) throw err;
          cache.invalidate(input.namespace, input.name, input.version);
          resolved = await resolveTemplate(input);
        }
      }
    },

    async createInTransaction(tx, principal, input) {
      admit(principal, input);
      const resolved = await resolveTemplate(input);
      try {
        return await insertResolved(tx, input, resolved);
      } catch (err) {
        // The transaction is lost; the next attempt resolves the template afresh.
        if (isStaleTemplateError(err)) cache.invalidate(input.namespace, input.name, input.version);
        throw err;
      }
    },

    async create(principal, input) {
      return (await service.createWithAdmission(principal, input)).task;
    },

    get: loadVisible,

    async getWithSteps(principal, taskUuid) {
      const task = await loadVisible(principal, taskUuid);
      return { task, steps: await listSteps(sql, taskUuid) };
    },

    async list(principal, query) {
      const { tasks, total } = await listTasks(sql, query, scopeOf(principal));
      return { items: tasks, total, limit: query.limit, offset: query.offset };
    },

    async cancel(principal, taskUuid, input): Promise<Task> {
      assertUuid(taskUuid, 'task_uuid');
      const actor = input.performedBy ?? principal.subject;
      const result = await retryOnDeadlock(() => cancelTask(sql, taskUuid, actor, input.reason, scopeOf(principal)));
      if (result.outcome === 'not_found') throw taskNotFound(taskUuid);
      if (result.outcome === 'invalid_state') {
        throw new AppError('INVALID_STATE', `Task ${taskUuid} is ${result.taskState} and cannot be cancelled`, {
          details: { task_uuid: taskUuid, state: result.taskState },
        });
      }
      return loadVisible(principal, taskUuid);
    },

    async getContext(principal, taskUuid) {
      const task = await loadVisible(principal, taskUuid);
      const outputs = await findStepOutputs(sql, taskUuid);
      const merged: JsonObject = { ...task.context, ...outputs };
      return { taskUuid, inputs: task.context, outputs, merged };
    },

    async summary(principal, taskUuid): Promise<TaskSummary> {
      const task = await loadVisible(principal, taskUuid);
      const [steps, dlq, resolved] = await Promise.all([
        listSteps(sql, taskUuid),
        findLatestDlqEntry(sql, taskUuid),
        cache.resolve(task.namespace, task.name, task.version),
      ]);
      const templateSteps = resolved?.effective.steps ?? [];
      return {
        task,
        template: {
          steps: templateSteps.map((s) => ({
            name: s.name,
            stepType: s.type,
            handler: s.handler.callable,
            dependencies: s.dependencies,
            retryable: s.retry.retryable,
            maxAttempts: s.retry.maxAttempts,
          })),
        },
        steps: steps.map((s) => ({
          stepUuid: s.stepUuid,
          name: s.name,
          state: s.state,
          createdAt: s.createdAt,
          completedAt: s.completedAt,
          lastAttemptedAt: s.lastAttemptedAt,
          attempts: s.attempts,
          maxAttempts: s.maxAttempts,
          dependenciesSatisfied: s.dependenciesSatisfied,
          retryEligible: s.retryEligible,
          error: s.lastError,
        })),
        dlq: {
          inDlq: dlq?.resolutionStatus === 'pending',
          dlqReason: dlq?.reason ?? null,
          resolutionStatus: dlq?.resolutionStatus ?? null,
        },
      };
    },

    async resume(principal, taskUuid, input) {
      assertUuid(taskUuid, 'task_uuid');
      const result = await retryOnDeadlock(() =>
        resumeTask(sql, taskUuid, input.performedBy, input.reason, scopeOf(principal)),
      );
      if (result.outcome === 'not_found') throw taskNotFound(taskUuid);
      if (result.outcome === 'invalid_state') {
        throw new AppError(
          'INVALID_STATE',
          `Task ${taskUuid} cannot be resumed: ${result.detail ?? result.taskState}`,
          {
            details: { task_uuid: taskUuid, state: result.taskState },
          },
        );
      }
      return loadVisible(principal, taskUuid);
    },

    async resolve(principal, taskUuid, input) {
      assertUuid(taskUuid, 'task_uuid');
      const result = await retryOnDeadlock(() =>
        resolveTask(sql, taskUuid, input.performedBy, input.reason, scopeOf(principal)),
      );
      if (result.outcome === 'not_found') throw taskNotFound(taskUuid);
      if (result.outcome === 'invalid_state') {
        throw new AppError(
          'INVALID_STATE',
          `Task ${taskUuid} is ${result.taskState}; only blocked_by_failures or error tasks can be closed as resolved_manually`,
          { details: { task_uuid: taskUuid, state: result.taskState } },
        );
      }
      return loadVisible(principal, taskUuid);
    },
  };
  return service;
}

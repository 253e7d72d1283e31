// TaskerClient over REST: domain in, REST JSON (the shared converters) on the wire, domain out.
import { isTerminalTaskState, type JsonObject } from '@tasker/shared';
import * as rest from '@tasker/shared/convert/rest/index';
import * as schemas from '@tasker/shared/schemas/rest/index';
import type { z } from 'zod';
import { protocolError } from '../errors.js';
import { isRetryable, type OperationName } from '../operations.js';
import type { ResolvedOptions } from '../options.js';
import { withRetry } from '../retry.js';
import type { TaskerClient } from '../types.js';
import { watchTask } from '../watch.js';
import { HttpTransport, type HttpCall } from './http.js';
import { createSseWatchSource } from './sse-source.js';
import { templateSource } from '../template-source.js';

const seg = encodeURIComponent;

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return (
    signal?.aborted === true && (error === signal.reason || (error instanceof Error && error.name === 'AbortError'))
  );
}

/** Creates the REST implementation of {@link TaskerClient}. */
export function createRestClient(options: ResolvedOptions): TaskerClient {
  const http = new HttpTransport(options);

  /**
   * One operation: spread over addresses, retried per the idempotency table, the answer checked against its
   * schema (once: an answer that breaks the contract is not repeated).
   */
  async function call<S extends z.ZodType>(
    operation: OperationName,
    schema: S,
    request: HttpCall,
    hasKey = false,
  ): Promise<z.output<S>> {
    const start = http.nextStart();
    const policy = { retryable: isRetryable(operation, hasKey), policy: options.retry, signal: request.signal };
    const answer = await withRetry(policy, (n) => http.send(http.endpointFor(start, n), request));
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw protocolError(
        'rest',
        `${operation}: unexpected response (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`,
        parsed.error,
      );
    }
    return parsed.data;
  }

  const task = (uuid: string): string => `/v1/tasks/${seg(uuid)}`;
  const step = (taskUuid: string, stepUuid: string): string => `${task(taskUuid)}/workflow_steps/${seg(stepUuid)}`;

  const tasks: TaskerClient['tasks'] = {
    async create(input) {
      const body = rest.createTaskInputToRest(input);
      return rest.taskFromRest(
        await call(
          'tasks.create',
          schemas.TaskResponseSchema,
          { method: 'POST', path: '/v1/tasks', body },
          input.idempotencyKey !== undefined,
        ),
      );
    },
    async get(uuid) {
      return rest.taskFromRest(
        await call('tasks.get', schemas.TaskResponseSchema, { method: 'GET', path: task(uuid) }),
      );
    },
    async getWithSteps(uuid) {
      const answer = await call('tasks.getWithSteps', schemas.TaskResponseSchema, {
        method: 'GET',
        path: task(uuid),
        query: { include_steps: 'true' },
      });
      return rest.taskWithStepsFromRest(answer);
    },
    async list(listOptions = {}) {
      const query = rest.taskListQueryToRest({ limit: 25, offset: 0, ...listOptions });
      return rest.taskPageFromRest(
        await call('tasks.list', schemas.TaskListResponseSchema, { method: 'GET', path: '/v1/tasks', query }),
      );
    },
    async cancel(uuid, cancelOptions = {}) {
      const body = rest.cancelTaskInputToRest({
        reason: cancelOptions.reason ?? null,
        performedBy: cancelOptions.performedBy ?? null,
      });
      const request: HttpCall = {
        method: 'DELETE',
        path: task(uuid),
        ...(Object.keys(body).length === 0 ? {} : { body }),
      };
      return rest.taskFromRest(await call('tasks.cancel', schemas.TaskResponseSchema, request));
    },
    async getContext(uuid) {
      return rest.taskContextFromRest(
        await call('tasks.getContext', schemas.TaskContextResponseSchema, {
          method: 'GET',
          path: `${task(uuid)}/context`,
        }),
      );
    },
    async summary(uuid) {
      return rest.taskSummaryFromRest(
        await call('tasks.summary', schemas.TaskSummaryResponseSchema, {
          method: 'GET',
          path: `${task(uuid)}/summary`,
        }),
      );
    },
    async resume(uuid, input) {
      const body = rest.resumeTaskInputToRest(input);
      return rest.taskFromRest(
        await call('tasks.resume', schemas.TaskResponseSchema, { method: 'POST', path: `${task(uuid)}/resume`, body }),
      );
    },
    async resolve(uuid, input) {
      const body = rest.resolveTaskInputToRest(input);
      return rest.taskFromRest(
        await call('tasks.resolve', schemas.TaskResponseSchema, {
          method: 'POST',
          path: `${task(uuid)}/resolve`,
          body,
        }),
      );
    },
    watch(uuid, watchOptions = {}) {
      const source = createSseWatchSource(http, {
        isTerminal: async (taskUuid, signal) =>
          isTerminalTaskState((await tasks.get(taskUuid)).state) && !signal.aborted,
      });
      return watchTask(source, uuid, watchOptions, options.watchReconnect);
    },
  };

  const steps: TaskerClient['steps'] = {
    async list(taskUuid) {
      return (
        await call('steps.list', schemas.StepListResponseSchema, {
          method: 'GET',
          path: `${task(taskUuid)}/workflow_steps`,
        })
      ).map(rest.stepFromRest);
    },
    async get(taskUuid, stepUuid) {
      return rest.stepFromRest(
        await call('steps.get', schemas.StepResponseSchema, { method: 'GET', path: step(taskUuid, stepUuid) }),
      );
    },
    async applyManualAction(taskUuid, stepUuid, action) {
      const body = rest.stepManualActionToRest(action);
      return rest.stepFromRest(
        await call('steps.applyManualAction', schemas.StepResponseSchema, {
          method: 'PATCH',
          path: step(taskUuid, stepUuid),
          body,
        }),
      );
    },
    async audit(taskUuid, stepUuid) {
      const answer = await call('steps.audit', schemas.StepAuditListResponseSchema, {
        method: 'GET',
        path: `${step(taskUuid, stepUuid)}/audit`,
      });
      return answer.map(rest.stepAuditFromRest);
    },
  };

  const templates: TaskerClient['templates'] = {
    async list(filter = {}) {
      const query = filter.namespace === undefined ? {} : { namespace: filter.namespace };
      return rest.templateListFromRest(
        await call('templates.list', schemas.TemplateListResponseSchema, {
          method: 'GET',
          path: '/v1/templates',
          query,
        }),
      );
    },
    async get(namespace, name, version) {
      const path = `/v1/templates/${seg(namespace)}/${seg(name)}/${seg(version)}`;
      return rest.templateFromRest(
        await call('templates.get', schemas.TemplateResponseSchema, { method: 'GET', path }),
      );
    },
    async validate(raw) {
      const body = rest.templateSourceToRest(templateSource(raw));
      return rest.templateValidationFromRest(
        await call('templates.validate', schemas.TemplateValidationResponseSchema, {
          method: 'POST',
          path: '/v1/templates/validate',
          body,
        }),
      );
    },
    async register(raws, registerOptions = {}) {
      const body = rest.registerTemplatesToRest(raws.map(templateSource), registerOptions.force ?? false);
      const answer = await call('templates.register', schemas.RegisterTemplatesResponseSchema, {
        method: 'POST',
        path: '/v1/templates',
        body,
      });
      return rest.templateRegistrationsFromRest(answer);
    },
  };

  const workers: TaskerClient['workers'] = {
    async register(input) {
      const body = rest.registerWorkerInputToRest(input);
      return rest.workerFromRest(
        await call('workers.register', schemas.WorkerSchema, { method: 'POST', path: '/v1/workers/register', body }),
      );
    },
    async list() {
      return (await call('workers.list', schemas.WorkerListResponseSchema, { method: 'GET', path: '/v1/workers' })).map(
        rest.workerFromRest,
      );
    },
    async claim(input, signal) {
      const body = rest.claimInputToRest(input);
      const request: HttpCall = {
        method: 'POST',
        path: '/v1/workers/claim',
        body,
        timeoutMs: options.timeoutMs + input.waitMs,
        signal,
      };
      try {
        return rest.claimResponseFromRest(await call('workers.claim', schemas.ClaimResponseSchema, request));
      } catch (error) {
        // Giving up the wait is the caller's decision, not a failure: nothing was claimed for it.
        if (isAbort(error, signal)) return [];
        throw error;
      }
    },
    async heartbeat(input) {
      const body = rest.heartbeatInputToRest(input);
      return rest.leaseStatesFromRest(
        await call('workers.heartbeat', schemas.LeaseStatesResponseSchema, {
          method: 'POST',
          path: '/v1/workers/heartbeat',
          body,
        }),
      );
    },
    async checkpoint(input) {
      const body = rest.checkpointStepInputToRest(input);
      return rest.checkpointStepResultFromRest(
        await call('workers.checkpoint', schemas.CheckpointStepResponseSchema, {
          method: 'POST',
          path: '/v1/workers/checkpoint',
          body,
        }),
      );
    },
    async complete(input) {
      const body = rest.completeStepInputToRest(input);
      return rest.stepResultAckFromRest(
        await call('workers.complete', schemas.StepResultAckSchema, {
          method: 'POST',
          path: '/v1/workers/complete',
          body,
        }),
      );
    },
    async fail(input) {
      const body = rest.failStepInputToRest(input);
      return rest.stepResultAckFromRest(
        await call('workers.fail', schemas.StepResultAckSchema, { method: 'POST', path: '/v1/workers/fail', body }),
      );
    },
    async reportResults(input) {
      const body = rest.reportResultsInputToRest(input);
      const answer = await call('workers.reportResults', schemas.ReportResultsResponseSchema, {
        method: 'POST',
        path: '/v1/workers/results',
        body,
      });
      return rest.reportResultsOutputFromRest(answer);
    },
    async release(input) {
      const body = rest.releaseInputToRest(input);
      return rest.leaseStatesFromRest(
        await call('workers.release', schemas.LeaseStatesResponseSchema, {
          method: 'POST',
          path: '/v1/workers/release',
          body,
        }),
      );
    },
  };

  const apiKeys: TaskerClient['apiKeys'] = {
    async create(input) {
      const body = rest.createApiKeyInputToRest(input);
      return rest.createdApiKeyFromRest(
        await call('apiKeys.create', schemas.CreatedApiKeyResponseSchema, {
          method: 'POST',
          path: '/v1/auth/keys',
          body,
        }),
      );
    },
    async list() {
      return rest.apiKeyListFromRest(
        await call('apiKeys.list', schemas.ApiKeyListResponseSchema, { method: 'GET', path: '/v1/auth/keys' }),
      );
    },
    async revoke(keyUuid) {
      return rest.revokedApiKeyFromRest(
        await call('apiKeys.revoke', schemas.RevokedApiKeyResponseSchema, {
          method: 'DELETE',
          path: `/v1/auth/keys/${seg(keyUuid)}`,
        }),
      );
    },
  };

  const schedulePath = (uuid: string, tail = ''): string => `/v1/schedules/${seg(uuid)}${tail}`;
  const schedules: TaskerClient['schedules'] = {
    async create(input) {
      const body = rest.scheduleCreateInputToRest(input);
      return rest.scheduleFromRest(
        await call('schedules.create', schemas.ScheduleSchema, { method: 'POST', path: '/v1/schedules', body }),
      );
    },
    async list(query = {}) {
      const params = rest.scheduleListQueryToRest({ limit: 50, offset: 0, ...query });
      return (
        await call('schedules.list', schemas.ScheduleListResponseSchema, {
          method: 'GET',
          path: '/v1/schedules',
          query: params,
        })
      ).map(rest.scheduleFromRest);
    },
    async get(uuid) {
      return rest.scheduleFromRest(
        await call('schedules.get', schemas.ScheduleSchema, { method: 'GET', path: schedulePath(uuid) }),
      );
    },
    async update(uuid, input) {
      const body = rest.scheduleUpdateInputToRest(input);
      return rest.scheduleFromRest(
        await call('schedules.update', schemas.ScheduleSchema, { method: 'PATCH', path: schedulePath(uuid), body }),
      );
    },
    async pause(uuid) {
      return rest.scheduleFromRest(
        await call('schedules.pause', schemas.ScheduleSchema, { method: 'POST', path: schedulePath(uuid, '/pause') }),
      );
    },
    async resume(uuid) {
      return rest.scheduleFromRest(
        await call('schedules.resume', schemas.ScheduleSchema, { method: 'POST', path: schedulePath(uuid, '/resume') }),
      );
    },
    async delete(uuid) {
      return rest.scheduleFromRest(
        await call('schedules.delete', schemas.ScheduleSchema, { method: 'DELETE', path: schedulePath(uuid) }),
      );
    },
    async firings(uuid, query = {}) {
      const q = { limit: 50, offset: 0, ...query };
      return (
        await call('schedules.firings', schemas.ScheduleFiringListResponseSchema, {
          method: 'GET',
          path: schedulePath(uuid, '/firings'),
          query: { limit: String(q.limit), offset: String(q.offset) },
        })
      ).map(rest.scheduleFiringFromRest);
    },
  };

  const dlq: TaskerClient['dlq'] = {
    async list(query = {}) {
      const params = rest.dlqListQueryToRest({ limit: 50, offset: 0, ...query });
      return (
        await call('dlq.list', schemas.DlqEntryListResponseSchema, { method: 'GET', path: '/v1/dlq', query: params })
      ).map(rest.dlqEntryFromRest);
    },
    async getByTask(taskUuid) {
      return rest.dlqEntryFromRest(
        await call('dlq.getByTask', schemas.DlqEntrySchema, { method: 'GET', path: `/v1/dlq/task/${seg(taskUuid)}` }),
      );
    },
    async create(taskUuid, input) {
      const body = rest.dlqCreateInputToRest(input);
      return rest.dlqEntryFromRest(
        await call('dlq.create', schemas.DlqEntrySchema, {
          method: 'POST',
          path: `/v1/dlq/task/${seg(taskUuid)}`,
          body,
        }),
      );
    },
    async update(entryUuid, input) {
      const body = rest.dlqUpdateInputToRest(input);
      return rest.dlqEntryFromRest(
        await call('dlq.update', schemas.DlqEntrySchema, {
          method: 'PATCH',
          path: `/v1/dlq/entry/${seg(entryUuid)}`,
          body,
        }),
      );
    },
    async stats() {
      return (
        await call('dlq.stats', schemas.DlqStatsListResponseSchema, { method: 'GET', path: '/v1/dlq/stats' })
      ).map(rest.dlqStatsFromRest);
    },
    async investigationQueue(limit) {
      const query = limit === undefined ? {} : { limit: String(limit) };
      const answer = await call('dlq.investigationQueue', schemas.DlqInvestigationQueueResponseSchema, {
        method: 'GET',
        path: '/v1/dlq/investigation-queue',
        query,
      });
      return answer.map(rest.dlqInvestigationItemFromRest);
    },
    async staleness(limit) {
      const query = limit === undefined ? {} : { limit: String(limit) };
      return (
        await call('dlq.staleness', schemas.StalenessResponseSchema, {
          method: 'GET',
          path: '/v1/dlq/staleness',
          query,
        })
      ).map(rest.stalenessItemFromRest);
    },
  };

  const analytics: TaskerClient['analytics'] = {
    async performance(hours) {
      const query = hours === undefined ? {} : { hours: String(hours) };
      return rest.performanceMetricsFromRest(
        await call('analytics.performance', schemas.PerformanceMetricsSchema, {
          method: 'GET',
          path: '/v1/analytics/performance',
          query,
        }),
      );
    },
    async bottlenecks(o = {}) {
      const query = {
        ...(o.limit === undefined ? {} : { limit: String(o.limit) }),
        ...(o.minExecutions === undefined ? {} : { min_executions: String(o.minExecutions) }),
        ...(o.hours === undefined ? {} : { hours: String(o.hours) }),
      };
      return rest.bottleneckAnalysisFromRest(
        await call('analytics.bottlenecks', schemas.BottleneckAnalysisSchema, {
          method: 'GET',
          path: '/v1/analytics/bottlenecks',
          query,
        }),
      );
    },
  };

  const health: TaskerClient['health'] = {
    async live() {
      return rest.healthReportFromRest(
        await call('health.live', schemas.HealthResponseSchema, { method: 'GET', path: '/health/live' }),
      );
    },
    async ready() {
      // 503 carries the not-ready report; it is the answer, not a failure to retry.
      const request: HttpCall = { method: 'GET', path: '/health/ready', acceptStatus: [503] };
      return rest.healthReportFromRest(await call('health.ready', schemas.HealthResponseSchema, request));
    },
    async detailed() {
      return rest.healthReportFromRest(
        await call('health.detailed', schemas.HealthResponseSchema, { method: 'GET', path: '/health/detailed' }),
      );
    },
  };

  const config: TaskerClient['config'] = {
    async get() {
      return (await call('config.get', schemas.SafeConfigResponseSchema, {
        method: 'GET',
        path: '/config',
      })) as JsonObject;
    },
  };

  return {
    transport: 'rest',
    tasks,
    steps,
    templates,
    workers,
    dlq,
    schedules,
    apiKeys,
    analytics,
    health,
    config,
    async close() {
      http.close();
    },
  };
}

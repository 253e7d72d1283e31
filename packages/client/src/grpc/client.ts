// TaskerClient over gRPC: domain in, tasker.v1 messages (the shared proto converters) on the wire, domain out.
import { isTerminalTaskState, type JsonObject } from '@tasker/shared';
import * as pb from '@tasker/shared/convert/proto/index';
import { parse as parseYaml } from 'yaml';
import { TaskerError, isTaskerError } from '../errors.js';
import { decodeResponse } from './decode.js';
import { isRetryable, type OperationName } from '../operations.js';
import type { ResolvedOptions } from '../options.js';
import { withRetry } from '../retry.js';
import { templateSource } from '../template-source.js';
import type { TaskerClient } from '../types.js';
import { watchTask } from '../watch.js';
import { notReadyReport } from './health-report.js';
import { createStreamWatchSource } from './stream-source.js';
import { GrpcTransport, type GrpcCallSettings, type GrpcServices } from './transport.js';
import type { CallOptions } from 'nice-grpc';

/** RegisterTemplates carries Structs: YAML text is parsed here, as the server would parse it over REST. */
function templateObject(raw: unknown, index: number): JsonObject {
  const source = templateSource(raw);
  if (typeof source !== 'string') return source;
  try {
    return parseYaml(source) as JsonObject;
  } catch (error) {
    throw new TaskerError({
      code: 'VALIDATION_FAILED',
      message: `templates[${index}] is not valid YAML`,
      transport: 'grpc',
      details: {
        fields: [
          { path: `templates[${index}]`, message: error instanceof Error ? error.message : 'is not valid YAML' },
        ],
      },
    });
  }
}

/** Creates the gRPC implementation of {@link TaskerClient}. */
export function createGrpcClient(options: ResolvedOptions): TaskerClient {
  const grpc = new GrpcTransport(options);

  /** One operation: spread over replicas, retried per the idempotency table, the answer converted to the domain. */
  async function call<R, T>(
    operation: OperationName,
    invoke: (services: GrpcServices, callOptions: CallOptions) => Promise<R>,
    convert: (response: R) => T,
    settings: GrpcCallSettings & { hasKey?: boolean } = {},
  ): Promise<T> {
    const start = grpc.nextStart();
    const policy = {
      retryable: isRetryable(operation, settings.hasKey ?? false),
      policy: options.retry,
      signal: settings.signal,
    };
    const response = await withRetry(policy, (n) => grpc.unary(grpc.replica(start, n), settings, invoke));
    return decodeResponse(operation, () => convert(response));
  }

  const tasks: TaskerClient['tasks'] = {
    create: (input) =>
      call(
        'tasks.create',
        (s, o) => s.tasks.createTask(pb.createTaskInputToProto(input), o),
        (r) => pb.createTaskResponseFromProto(r),
        {
          hasKey: input.idempotencyKey !== undefined,
        },
      ),
    get: (taskUuid) =>
      call(
        'tasks.get',
        (s, o) =>
          s.tasks.getTask(pb.getTaskRequestToProto({ taskUuid, includeSteps: false, includeContext: false }), o),
        (r) => pb.getTaskResponseFromProto(r).task,
      ),
    getWithSteps: (taskUuid) =>
      call(
        'tasks.getWithSteps',
        (s, o) => s.tasks.getTask(pb.getTaskRequestToProto({ taskUuid, includeSteps: true, includeContext: false }), o),
        (r) => {
          const got = pb.getTaskResponseFromProto(r);
          return { task: got.task, steps: got.steps ?? [] };
        },
      ),
    async list(listOptions = {}) {
      const query = { limit: 25, offset: 0, ...listOptions };
      return call(
        'tasks.list',
        (s, o) => s.tasks.listTasks(pb.taskListQueryToProto(query), o),
        (r) => pb.taskPageFromProto(r, query.limit),
      );
    },
    cancel: (taskUuid, cancelOptions = {}) =>
      call(
        'tasks.cancel',
        (s, o) =>
          s.tasks.cancelTask(
            pb.cancelTaskRequestToProto({
              taskUuid,
              input: { reason: cancelOptions.reason ?? null, performedBy: cancelOptions.performedBy ?? null },
            }),
            o,
          ),
        (r) => pb.requiredTaskFromProto(r.task),
      ),
    getContext: (taskUuid) =>
      call(
        'tasks.getContext',
        (s, o) => s.tasks.getTaskContext({ taskUuid }, o),
        (r) => pb.taskContextFromProto(r.context, taskUuid),
      ),
    summary: (taskUuid) =>
      call(
        'tasks.summary',
        (s, o) => s.tasks.getTaskSummary({ taskUuid }, o),
        (r) => pb.taskSummaryFromProto(r),
      ),
    resume: (taskUuid, input) =>
      call(
        'tasks.resume',
        (s, o) => s.tasks.resumeTask(pb.resumeTaskRequestToProto({ taskUuid, input }), o),
        (r) => pb.requiredTaskFromProto(r.task),
      ),
    resolve: (taskUuid, input) =>
      call(
        'tasks.resolve',
        (s, o) => s.tasks.resolveTask(pb.resolveTaskRequestToProto({ taskUuid, input }), o),
        (r) => pb.requiredTaskFromProto(r.task),
      ),
    watch(taskUuid, watchOptions = {}) {
      const source = createStreamWatchSource(grpc, {
        isTerminal: async (uuid, signal) => isTerminalTaskState((await tasks.get(uuid)).state) && !signal.aborted,
      });
      return watchTask(source, taskUuid, watchOptions, options.watchReconnect);
    },
  };

  const stepRef = (taskUuid: string, stepUuid: string) => pb.stepRefToProto({ taskUuid, stepUuid });
  const steps: TaskerClient['steps'] = {
    list: (taskUuid) =>
      call(
        'steps.list',
        (s, o) => s.steps.listSteps(pb.listStepsRequestToProto({ taskUuid, page: null }), o),
        (r) => pb.stepListFromProto(r),
      ),
    get: (taskUuid, stepUuid) =>
      call(
        'steps.get',
        (s, o) => s.steps.getStep(stepRef(taskUuid, stepUuid), o),
        (r) => pb.stepFromProto(required(r.step, 'step')),
      ),
    applyManualAction: (taskUuid, stepUuid, action) =>
      call(
        'steps.applyManualAction',
        (s, o) => s.steps.resolveStep(pb.resolveStepRequestToProto({ taskUuid, stepUuid, action }), o),
        (r) => pb.stepFromProto(required(r.step, 'step')),
      ),
    audit: (taskUuid, stepUuid) =>
      call(
        'steps.audit',
        (s, o) => s.steps.getStepAudit(stepRef(taskUuid, stepUuid), o),
        (r) => r.auditRecords.map((a) => pb.stepAuditFromProto(a)),
      ),
  };

  const templates: TaskerClient['templates'] = {
    list: (filter = {}) =>
      call(
        'templates.list',
        (s, o) => s.templates.listTemplates(pb.listTemplatesRequestToProto(filter), o),
        (r) => pb.templateListFromProto(r),
      ),
    get: (namespace, name, version) =>
      call(
        'templates.get',
        (s, o) => s.templates.getTemplate(pb.getTemplateRequestToProto({ namespace, name, version }), o),
        (r) => pb.templateFromProto(r.template),
      ),
    async validate(raw) {
      const request = pb.validateTemplateRequestToProto(templateSource(raw));
      return call(
        'templates.validate',
        (s, o) => s.templates.validateTemplate(request, o),
        (r) => pb.templateValidationFromProto(r),
      );
    },
    async register(raws, registerOptions = {}) {
      const request = pb.registerTemplatesRequestToProto({
        raws: raws.map(templateObject),
        force: registerOptions.force ?? false,
      });
      return call(
        'templates.register',
        (s, o) => s.workers.registerTemplates(request, o),
        (r) => pb.templateRegistrationsFromProto(r),
      );
    },
  };

  const workers: TaskerClient['workers'] = {
    register: (input) =>
      call(
        'workers.register',
        (s, o) => s.workers.registerWorker(pb.registerWorkerInputToProto(input), o),
        (r) => pb.workerFromProto(r.worker),
      ),
    list: () =>
      call(
        'workers.list',
        (s, o) => s.workers.listWorkers({}, o),
        (r) => r.workers.map((w) => pb.workerFromProto(w)),
      ),
    async claim(input, signal) {
      try {
        return await call(
          'workers.claim',
          (s, o) => s.workers.claimSteps(pb.claimInputToProto(input), o),
          (r) => r.steps.map((c) => pb.claimedStepFromProto(c)),
          {
            timeoutMs: options.timeoutMs + input.waitMs,
            signal,
          },
        );
      } catch (error) {
        // Giving up the wait is the caller's decision, not a failure: nothing was claimed for it.
        if (signal?.aborted === true && !isTaskerError(error)) return [];
        throw error;
      }
    },
    heartbeat: (input) =>
      call(
        'workers.heartbeat',
        (s, o) => s.workers.heartbeat(pb.heartbeatInputToProto(input), o),
        (r) => pb.leaseStatesFromProto(r),
      ),
    checkpoint: (input) =>
      call(
        'workers.checkpoint',
        (s, o) => s.workers.checkpointStep(pb.checkpointStepInputToProto(input), o),
        (r) => pb.checkpointStepResultFromProto(r),
      ),
    complete: (input) =>
      call(
        'workers.complete',
        (s, o) => s.workers.completeStep(pb.completeStepInputToProto(input), o),
        (r) => pb.completeAckFromProto(r),
      ),
    fail: (input) =>
      call(
        'workers.fail',
        (s, o) => s.workers.failStep(pb.failStepInputToProto(input), o),
        (r) => pb.failAckFromProto(r),
      ),
    reportResults: (input) =>
      call(
        'workers.reportResults',
        (s, o) => s.workers.reportResults(pb.reportResultsInputToProto(input), o),
        (r) => pb.reportResultsOutputFromProto(r),
      ),
    release: (input) =>
      call(
        'workers.release',
        (s, o) => s.workers.releaseLeases(pb.releaseInputToProto(input), o),
        (r) => pb.releaseResultFromProto(r),
      ),
  };

  const apiKeys: TaskerClient['apiKeys'] = {
    create: (input) =>
      call(
        'apiKeys.create',
        (s, o) => s.auth.createApiKey(pb.createApiKeyInputToProto(input), o),
        (r) => pb.createdApiKeyFromProto(r),
      ),
    list: () =>
      call(
        'apiKeys.list',
        (s, o) => s.auth.listApiKeys({}, o),
        (r) => pb.apiKeyListFromProto(r),
      ),
    revoke: (keyUuid) =>
      call(
        'apiKeys.revoke',
        (s, o) => s.auth.revokeApiKey(pb.revokeApiKeyRequestToProto(keyUuid), o),
        (r) => pb.revokedApiKeyFromProto(r),
      ),
  };

  const schedules: TaskerClient['schedules'] = {
    create: (input) =>
      call(
        'schedules.create',
        (s, o) => s.schedules.createSchedule(pb.scheduleCreateInputToProto(input), o),
        (r) => pb.scheduleFromProto(r.schedule),
      ),
    list: (query = {}) =>
      call(
        'schedules.list',
        (s, o) => s.schedules.listSchedules(pb.scheduleListQueryToProto({ limit: 50, offset: 0, ...query }), o),
        (r) => r.schedules.map((x) => pb.scheduleFromProto(x)),
      ),
    get: (scheduleUuid) =>
      call(
        'schedules.get',
        (s, o) => s.schedules.getSchedule({ scheduleUuid }, o),
        (r) => pb.scheduleFromProto(r.schedule),
      ),
    update: (scheduleUuid, input) =>
      call(
        'schedules.update',
        (s, o) => s.schedules.updateSchedule(pb.scheduleUpdateToProto({ scheduleUuid, input }), o),
        (r) => pb.scheduleFromProto(r.schedule),
      ),
    pause: (scheduleUuid) =>
      call(
        'schedules.pause',
        (s, o) => s.schedules.pauseSchedule({ scheduleUuid }, o),
        (r) => pb.scheduleFromProto(r.schedule),
      ),
    resume: (scheduleUuid) =>
      call(
        'schedules.resume',
        (s, o) => s.schedules.resumeSchedule({ scheduleUuid }, o),
        (r) => pb.scheduleFromProto(r.schedule),
      ),
    delete: (scheduleUuid) =>
      call(
        'schedules.delete',
        (s, o) => s.schedules.deleteSchedule({ scheduleUuid }, o),
        (r) => pb.scheduleFromProto(r.schedule),
      ),
    firings: (scheduleUuid, query = {}) =>
      call(
        'schedules.firings',
        (s, o) =>
          s.schedules.listScheduleFirings(
            pb.scheduleFiringsQueryToProto({ scheduleUuid, query: { limit: 50, offset: 0, ...query } }),
            o,
          ),
        (r) => r.firings.map((f) => pb.scheduleFiringFromProto(f)),
      ),
  };

  const dlq: TaskerClient['dlq'] = {
    async list(query = {}) {
      const q = { limit: 50, offset: 0, ...query };
      return call(
        'dlq.list',
        (s, o) => s.dlq.listEntries(pb.dlqListQueryToProto(q), o),
        (r) => r.entries.map((e) => pb.dlqEntryFromProto(e)),
      );
    },
    getByTask: (taskUuid) =>
      call(
        'dlq.getByTask',
        (s, o) => s.dlq.getEntryByTask({ taskUuid }, o),
        (r) => pb.dlqEntryFromProto(r.entry),
      ),
    create: (taskUuid, input) =>
      call(
        'dlq.create',
        (s, o) => s.dlq.createEntry(pb.dlqCreateToProto({ taskUuid, input }), o),
        (r) => pb.dlqCreateResponseFromProto(r),
      ),
    update: (dlqEntryUuid, input) =>
      call(
        'dlq.update',
        (s, o) => s.dlq.updateInvestigation(pb.dlqUpdateToProto({ dlqEntryUuid, input }), o),
        (r) => pb.dlqUpdateResponseFromProto(r),
      ),
    stats: () =>
      call(
        'dlq.stats',
        (s, o) => s.dlq.getStats({}, o),
        (r) => r.stats.map((x) => pb.dlqStatsFromProto(x)),
      ),
    investigationQueue: (limit) =>
      call(
        'dlq.investigationQueue',
        (s, o) => s.dlq.getInvestigationQueue({ limit }, o),
        (r) => r.entries.map((e) => pb.dlqInvestigationItemFromProto(e)),
      ),
    staleness: (limit) =>
      call(
        'dlq.staleness',
        (s, o) => s.dlq.getStalenessMonitoring({ limit }, o),
        (r) => r.entries.map((e) => pb.stalenessItemFromProto(e)),
      ),
  };

  const analytics: TaskerClient['analytics'] = {
    performance: (hours) =>
      call(
        'analytics.performance',
        (s, o) => s.analytics.getPerformanceMetrics({ hours }, o),
        (r) => pb.performanceMetricsFromProto(r),
      ),
    bottlenecks: (o = {}) =>
      call(
        'analytics.bottlenecks',
        (s, co) =>
          s.analytics.getBottleneckAnalysis({ limit: o.limit, minExecutions: o.minExecutions, hours: o.hours }, co),
        (r) => pb.bottleneckAnalysisFromProto(r),
      ),
  };

  const health: TaskerClient['health'] = {
    live: () =>
      call(
        'health.live',
        (s, o) => s.health.checkLiveness({}, o),
        (r) => pb.healthReportFromProto(r),
      ),
    async ready() {
      // Not ready is an answer here (REST's 503 body), not a failure to retry: only unreachable replicas are.
      const start = grpc.nextStart();
      return withRetry({ retryable: isRetryable('health.ready'), policy: options.retry }, async (n) => {
        try {
          const response = await grpc.unary(grpc.replica(start, n), {}, (s, o) => s.health.checkReadiness({}, o));
          return decodeResponse('health.ready', () => pb.healthReportFromProto(response));
        } catch (error) {
          const report = notReadyReport(error);
          if (report === undefined) throw error;
          return report;
        }
      });
    },
    detailed: () =>
      call(
        'health.detailed',
        (s, o) => s.health.checkDetailedHealth({}, o),
        (r) => pb.healthReportFromProto(r),
      ),
  };

  const config: TaskerClient['config'] = {
    get: () =>
      call(
        'config.get',
        (s, o) => s.config.getConfig({}, o),
        (r) => pb.safeConfigFromProto(r),
      ),
  };

  return {
    transport: 'grpc',
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
      grpc.close();
    },
  };
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`${field} is missing`);
  return value;
}

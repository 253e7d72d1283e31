// Both transports hold every request field to its rule in limits.ts: for each field, the REST zod schema and the
// proto validator accept the value at the limit and refuse the one past it, and a refusal names the field.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import * as pb from '../convert/proto/index.js';
import { createTaskInputToRest } from '../convert/rest/task.js';
import * as analyticsPb from '../gen/tasker/v1/analytics.js';
import * as authPb from '../gen/tasker/v1/auth.js';
import * as dlqPb from '../gen/tasker/v1/dlq.js';
import { ResolveStepRequest, StepManualActionType } from '../gen/tasker/v1/steps.js';
import * as tasksPb from '../gen/tasker/v1/tasks.js';
import * as templatesPb from '../gen/tasker/v1/templates.js';
import * as workersPb from '../gen/tasker/v1/workers.js';
import * as schemas from '../schemas/rest/index.js';
import { makeCreateTaskInput, makeUuid } from '../testing/builders.js';
import {
  COUNT_LIMITS,
  INT_LIMITS,
  PAGE_LIMITS,
  TEXT_LIMITS as T,
  UUID_PATTERN,
  isUuid,
  type IntRule,
  type LengthRule,
} from './limits.js';

/** Accepted, or refused naming these field paths (`a.b[0]`). */
type Verdict = { ok: true } | { ok: false; paths: string[] };

function restVerdict(schema: z.ZodType, input: unknown): Verdict {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true };
  const paths = parsed.error.issues.map((i) =>
    i.path.map((s, n) => (typeof s === 'number' ? `[${s}]` : n === 0 ? String(s) : `.${String(s)}`)).join(''),
  );
  return { ok: false, paths: unique(paths) };
}

function protoVerdict(run: () => unknown): Verdict {
  try {
    run();
    return { ok: true };
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'VALIDATION_FAILED') throw err;
    return { ok: false, paths: unique((err.details?.fields as Array<{ path: string }>).map((f) => f.path)) };
  }
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}

/** A proto request as decoded from the wire: every field not given has its default. */
function msg<T>(codec: { fromPartial(partial: never): T }, partial: Record<string, unknown>): T {
  return codec.fromPartial(partial as never);
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

type Case = [label: string, value: unknown, accepted: boolean];

function textCases(rule: LengthRule): Case[] {
  const cases: Case[] = [
    [`${rule.max} characters`, 'x'.repeat(rule.max), true],
    [`${rule.max + 1} characters`, 'x'.repeat(rule.max + 1), false],
  ];
  if (rule.min > 0) {
    cases.push(
      [`${rule.min} characters`, 'x'.repeat(rule.min), true],
      [`${rule.min - 1} characters`, 'x'.repeat(rule.min - 1), false],
    );
  }
  return cases;
}

function intCases(rule: IntRule): Case[] {
  const cases: Case[] = [
    [`${rule.min}`, rule.min, true],
    [`${rule.min - 1}`, rule.min - 1, false],
  ];
  if (rule.max !== undefined) cases.push([`${rule.max}`, rule.max, true], [`${rule.max + 1}`, rule.max + 1, false]);
  return cases;
}

/** Lists of `max` and `max + 1` items (and of `min` / `min - 1` when at least one is required). */
function countCases(max: number, item: () => unknown, min = 0): Case[] {
  const list = (n: number) => Array.from({ length: n }, item);
  const cases: Case[] = [
    [`${max} items`, list(max), true],
    [`${max + 1} items`, list(max + 1), false],
  ];
  if (min > 0) cases.push([`${min} items`, list(min), true], [`${min - 1} items`, list(min - 1), false]);
  return cases;
}

const UUID_CASES: Case[] = [
  ['a v7 UUID', makeUuid(), true],
  ['the nil UUID', '00000000-0000-0000-0000-000000000000', true],
  ['version 0', '0190a4f0-5a1b-0c3d-8e4f-000000000001', false],
  ['a non-RFC variant', '0190a4f0-5a1b-7c3d-ce4f-000000000001', false],
  ['no hyphens', '0190a4f05a1b7c3d8e4f000000000001', false],
];

interface Row {
  name: string;
  cases: Case[];
  rest: (value: unknown) => Verdict;
  proto: (value: unknown) => Verdict;
  /** The field as each transport names it. */
  path: string | { rest: string; proto: string };
}

const createRest = createTaskInputToRest(makeCreateTaskInput({ options: {} }));
const createProto = pb.createTaskInputToProto(makeCreateTaskInput({ options: {} }));
const createTask = (restName: string, protoName: string, cases: Case[]): Row => ({
  name: `CreateTask ${restName}`,
  cases,
  rest: (v) => restVerdict(schemas.CreateTaskRequestSchema, { ...createRest, [restName]: v }),
  proto: (v) => protoVerdict(() => pb.createTaskInputFromProto({ ...createProto, [protoName]: v })),
  path: restName,
});

const listTasks = (restName: string, protoName: string, cases: Case[]): Row => ({
  name: `ListTasks ${restName}`,
  cases,
  rest: (v) => restVerdict(schemas.TaskListQuerySchema, { [restName]: v }),
  proto: (v) => protoVerdict(() => pb.taskListQueryFromProto(msg(tasksPb.ListTasksRequest, { [protoName]: v }))),
  path: restName,
});

const taskUuid = makeUuid();
const stepUuid = makeUuid();
const operatorBody = { performed_by: 'op', reason: 'why' };
const operatorProto = { taskUuid, performedBy: 'op', reason: 'why' };

const stepAction = (restName: string, protoName: string, cases: Case[]): Row => ({
  name: `ResolveStep ${protoName}`,
  cases,
  rest: (v) =>
    restVerdict(schemas.StepManualActionRequestSchema, {
      action_type: 'reset_for_retry',
      reason: 'why',
      reset_by: 'op',
      [restName]: v,
    }),
  proto: (v) =>
    protoVerdict(() =>
      pb.resolveStepRequestFromProto(
        msg(ResolveStepRequest, {
          taskUuid,
          stepUuid,
          actionType: StepManualActionType.STEP_MANUAL_ACTION_TYPE_RESET_FOR_RETRY,
          performedBy: 'op',
          reason: 'why',
          [protoName]: v,
        }),
      ),
    ),
  path: { rest: restName, proto: snake(protoName) },
});

const workerRegistration = { worker_id: 'w', hostname: 'h', version: '1', namespaces: [], handlers: [], metadata: {} };
const registerWorker = (restName: string, protoName: string, cases: Case[]): Row => ({
  name: `RegisterWorker ${restName}`,
  cases,
  rest: (v) => restVerdict(schemas.RegisterWorkerRequestSchema, { ...workerRegistration, [restName]: v }),
  proto: (v) =>
    protoVerdict(() =>
      pb.registerWorkerInputFromProto(
        msg(workersPb.RegisterWorkerRequest, { workerId: 'w', hostname: 'h', version: '1', [protoName]: v }),
      ),
    ),
  path: restName,
});

const claim = (restName: string, protoName: string, cases: Case[]): Row => ({
  name: `ClaimSteps ${restName}`,
  cases,
  rest: (v) => restVerdict(schemas.ClaimRequestSchema, { worker_id: 'w', max_steps: 1, [restName]: v }),
  proto: (v) =>
    protoVerdict(() =>
      pb.claimInputFromProto(msg(workersPb.ClaimStepsRequest, { workerId: 'w', maxSteps: 1, [protoName]: v })),
    ),
  path: restName,
});

const failure = { message: 'boom', retryable: true };
const failStep = (restName: string, protoName: string, cases: Case[]): Row => ({
  name: `FailStep error.${restName}`,
  cases,
  rest: (v) =>
    restVerdict(schemas.FailStepRequestSchema, {
      worker_id: 'w',
      step_uuid: stepUuid,
      lease_token: taskUuid,
      error: { ...failure, [restName]: v },
    }),
  proto: (v) =>
    protoVerdict(() =>
      pb.failStepInputFromProto(
        msg(workersPb.FailStepRequest, {
          workerId: 'w',
          stepUuid,
          leaseToken: taskUuid,
          error: { ...failure, [protoName]: v },
        }),
      ),
    ),
  path: `error.${restName}`,
});

const apiKey = (
  restName: string,
  protoName: string,
  cases: Case[],
  wrap: (v: unknown) => unknown = (v) => v,
  path = restName,
): Row => ({
  name: `CreateApiKey ${path}`,
  cases,
  rest: (v) => restVerdict(schemas.CreateApiKeyRequestSchema, { description: 'd', permissions: [], [restName]: v }),
  proto: (v) =>
    protoVerdict(() =>
      pb.createApiKeyInputFromProto(msg(authPb.CreateApiKeyRequest, { description: 'd', [protoName]: wrap(v) })),
    ),
  path,
});

const leaseRef = () => ({ step_uuid: makeUuid(), lease_token: makeUuid() });
const pbLeaseRef = () => ({ stepUuid: makeUuid(), leaseToken: makeUuid() });
const completed = () => ({ step_uuid: makeUuid(), lease_token: makeUuid(), status: 'completed', result: 1 });
const pbCompleted = () => ({
  stepUuid: makeUuid(),
  leaseToken: makeUuid(),
  outcome: { $case: 'completed', value: { result: 1 } },
});

const checkpointBody = { worker_id: 'w', step_uuid: stepUuid, lease_token: taskUuid, cursor: 1 };
const checkpointStep = (restName: string, protoName: string, cases: Case[]): Row => ({
  name: `CheckpointStep ${restName}`,
  cases,
  rest: (v) => restVerdict(schemas.CheckpointStepRequestSchema, { ...checkpointBody, [restName]: v }),
  proto: (v) =>
    protoVerdict(() =>
      pb.checkpointStepInputFromProto(
        msg(workersPb.CheckpointStepRequest, {
          workerId: 'w',
          stepUuid,
          leaseToken: taskUuid,
          cursor: 1,
          [protoName]: v,
        }),
      ),
    ),
  path: restName,
});

const ROWS: Row[] = [
  createTask('namespace', 'namespace', textCases(T.namespace)),
  createTask('name', 'name', textCases(T.name)),
  createTask('version', 'version', textCases(T.version)),
  createTask('initiator', 'initiator', textCases(T.initiator)),
  createTask('source_system', 'sourceSystem', textCases(T.sourceSystem)),
  createTask('reason', 'reason', textCases(T.taskReason)),
  createTask('priority', 'priority', intCases(INT_LIMITS.priority)),
  createTask('idempotency_key', 'idempotencyKey', textCases(T.idempotencyKey)),
  createTask('correlation_id', 'correlationId', UUID_CASES),
  createTask('parent_correlation_id', 'parentCorrelationId', UUID_CASES),
  createTask(
    'tags',
    'tags',
    countCases(COUNT_LIMITS.tags, () => 't'),
  ),
  {
    name: 'CreateTask tags[0]',
    cases: textCases(T.tag),
    rest: (v) => restVerdict(schemas.CreateTaskRequestSchema, { ...createRest, tags: [v] }),
    proto: (v) => protoVerdict(() => pb.createTaskInputFromProto({ ...createProto, tags: [v as string] })),
    path: 'tags[0]',
  },
  listTasks('namespace', 'namespace', textCases(T.namespace)),
  listTasks('name', 'name', textCases(T.name)),
  listTasks('version', 'version', textCases(T.version)),
  listTasks('initiator', 'initiator', textCases(T.initiator)),
  listTasks('source_system', 'sourceSystem', textCases(T.sourceSystem)),
  {
    name: 'CancelTask reason',
    cases: textCases(T.operatorReason),
    rest: (v) => restVerdict(schemas.CancelTaskRequestSchema, { reason: v }),
    proto: (v) =>
      protoVerdict(() => pb.cancelTaskRequestFromProto(msg(tasksPb.CancelTaskRequest, { taskUuid, reason: v }))),
    path: 'reason',
  },
  {
    name: 'CancelTask cancelled_by',
    cases: textCases(T.actor),
    rest: (v) => restVerdict(schemas.CancelTaskRequestSchema, { cancelled_by: v }),
    proto: (v) =>
      protoVerdict(() => pb.cancelTaskRequestFromProto(msg(tasksPb.CancelTaskRequest, { taskUuid, performedBy: v }))),
    path: { rest: 'cancelled_by', proto: 'performed_by' },
  },
  ...(['Resume', 'Resolve'] as const).flatMap((verb): Row[] => {
    const schema = verb === 'Resume' ? schemas.ResumeTaskRequestSchema : schemas.ResolveTaskRequestSchema;
    const convert = verb === 'Resume' ? pb.resumeTaskRequestFromProto : pb.resolveTaskRequestFromProto;
    return [
      {
        name: `${verb}Task performed_by`,
        cases: textCases(T.actor),
        rest: (v) => restVerdict(schema, { ...operatorBody, performed_by: v }),
        proto: (v) => protoVerdict(() => convert({ ...operatorProto, performedBy: v as string })),
        path: 'performed_by',
      },
      {
        name: `${verb}Task reason`,
        cases: textCases(T.operatorReason),
        rest: (v) => restVerdict(schema, { ...operatorBody, reason: v }),
        proto: (v) => protoVerdict(() => convert({ ...operatorProto, reason: v as string })),
        path: 'reason',
      },
    ];
  }),
  stepAction('reset_by', 'performedBy', textCases(T.actor)),
  stepAction('reason', 'reason', textCases(T.operatorReason)),
  {
    name: 'GetTask task_uuid',
    cases: UUID_CASES,
    rest: (v) => restVerdict(schemas.TaskUuidParamsSchema, { task_uuid: v }),
    proto: (v) => protoVerdict(() => pb.getTaskRequestFromProto(msg(tasksPb.GetTaskRequest, { taskUuid: v }))),
    path: 'task_uuid',
  },
  {
    name: 'StreamTaskStatus after_event_id',
    cases: intCases(INT_LIMITS.eventCursor),
    rest: (v) => restVerdict(schemas.TaskEventsQuerySchema, { after_event_id: String(v) }),
    proto: (v) =>
      protoVerdict(() =>
        pb.streamTaskStatusRequestFromProto(msg(tasksPb.StreamTaskStatusRequest, { taskUuid, afterEventId: v })),
      ),
    path: 'after_event_id',
  },
  ...(
    [
      ['namespace', 'namespace', textCases(T.namespace)],
      ['limit', 'limit', intCases(PAGE_LIMITS.dlqLimit)],
      ['offset', 'offset', intCases(PAGE_LIMITS.dlqOffset)],
    ] as const
  ).map(([restName, protoName, cases]): Row => ({
    name: `DLQ ListEntries ${restName}`,
    cases,
    rest: (v) => restVerdict(schemas.DlqListQuerySchema, { [restName]: typeof v === 'number' ? String(v) : v }),
    proto: (v) => protoVerdict(() => pb.dlqListQueryFromProto(msg(dlqPb.ListEntriesRequest, { [protoName]: v }))),
    path: restName,
  })),
  {
    name: 'DLQ UpdateInvestigation resolution_notes',
    cases: textCases(T.resolutionNotes),
    rest: (v) => restVerdict(schemas.DlqUpdateRequestSchema, { resolution_notes: v }),
    proto: (v) =>
      protoVerdict(() =>
        pb.dlqUpdateFromProto(msg(dlqPb.UpdateInvestigationRequest, { dlqEntryUuid: taskUuid, resolutionNotes: v })),
      ),
    path: 'resolution_notes',
  },
  {
    name: 'DLQ UpdateInvestigation resolved_by',
    cases: textCases(T.actor),
    rest: (v) => restVerdict(schemas.DlqUpdateRequestSchema, { resolved_by: v }),
    proto: (v) =>
      protoVerdict(() =>
        pb.dlqUpdateFromProto(msg(dlqPb.UpdateInvestigationRequest, { dlqEntryUuid: taskUuid, resolvedBy: v })),
      ),
    path: 'resolved_by',
  },
  {
    name: 'DLQ CreateEntry performed_by',
    cases: textCases(T.actor),
    rest: (v) => restVerdict(schemas.DlqCreateRequestSchema, { ...operatorBody, performed_by: v }),
    proto: (v) =>
      protoVerdict(() => pb.dlqCreateFromProto(msg(dlqPb.CreateEntryRequest, { ...operatorProto, performedBy: v }))),
    path: 'performed_by',
  },
  {
    name: 'DLQ CreateEntry reason',
    cases: textCases(T.operatorReason),
    rest: (v) => restVerdict(schemas.DlqCreateRequestSchema, { ...operatorBody, reason: v }),
    proto: (v) =>
      protoVerdict(() => pb.dlqCreateFromProto(msg(dlqPb.CreateEntryRequest, { ...operatorProto, reason: v }))),
    path: 'reason',
  },
  {
    name: 'DLQ investigation queue limit',
    cases: intCases(PAGE_LIMITS.dlqQueueLimit),
    rest: (v) => restVerdict(schemas.DlqLimitQuerySchema, { limit: String(v) }),
    proto: (v) => protoVerdict(() => pb.dlqLimitFromProto(msg(dlqPb.GetInvestigationQueueRequest, { limit: v }))),
    path: 'limit',
  },
  {
    name: 'ListTemplates namespace',
    cases: textCases(T.namespace),
    rest: (v) => restVerdict(schemas.TemplateListQuerySchema, { namespace: v }),
    proto: (v) =>
      protoVerdict(() => pb.listTemplatesRequestFromProto(msg(templatesPb.ListTemplatesRequest, { namespace: v }))),
    path: 'namespace',
  },
  ...(
    [
      ['namespace', textCases(T.namespace)],
      ['name', textCases(T.name)],
      ['version', textCases(T.version)],
    ] as const
  ).map(([field, cases]): Row => ({
    name: `GetTemplate ${field}`,
    cases,
    rest: (v) => restVerdict(schemas.TemplateParamsSchema, { namespace: 'n', name: 'n', version: '1', [field]: v }),
    proto: (v) =>
      protoVerdict(() =>
        pb.getTemplateRequestFromProto(
          msg(templatesPb.GetTemplateRequest, { namespace: 'n', name: 'n', version: '1', [field]: v }),
        ),
      ),
    path: field,
  })),
  {
    name: 'RegisterTemplates templates',
    cases: countCases(COUNT_LIMITS.templates, () => ({ name: 't' }), 1),
    rest: (v) => restVerdict(schemas.RegisterTemplatesRequestSchema, { templates: v }),
    proto: (v) =>
      protoVerdict(() =>
        pb.registerTemplatesRequestFromProto(msg(workersPb.RegisterTemplatesRequest, { templates: v })),
      ),
    path: 'templates',
  },
  registerWorker('worker_id', 'workerId', textCases(T.workerId)),
  registerWorker('hostname', 'hostname', textCases(T.hostname)),
  registerWorker('version', 'version', textCases(T.workerVersion)),
  registerWorker(
    'namespaces',
    'namespaces',
    countCases(COUNT_LIMITS.workerNames, () => 'ns'),
  ),
  registerWorker(
    'handlers',
    'handlers',
    countCases(COUNT_LIMITS.workerNames, () => 'h'),
  ),
  {
    name: 'RegisterWorker handlers[0]',
    cases: textCases(T.workerName),
    rest: (v) => restVerdict(schemas.RegisterWorkerRequestSchema, { ...workerRegistration, handlers: [v] }),
    proto: (v) =>
      protoVerdict(() =>
        pb.registerWorkerInputFromProto(
          msg(workersPb.RegisterWorkerRequest, { workerId: 'w', hostname: 'h', version: '1', handlers: [v] }),
        ),
      ),
    path: 'handlers[0]',
  },
  claim('max_steps', 'maxSteps', intCases(INT_LIMITS.claimMaxSteps)),
  claim('wait_ms', 'waitMs', intCases(INT_LIMITS.claimWaitMs)),
  claim(
    'handler_names',
    'handlerNames',
    countCases(COUNT_LIMITS.workerNames, () => 'h'),
  ),
  {
    name: 'Heartbeat leases',
    cases: countCases(COUNT_LIMITS.leases, () => null),
    rest: (v) =>
      restVerdict(schemas.HeartbeatRequestSchema, { worker_id: 'w', leases: (v as unknown[]).map(leaseRef) }),
    proto: (v) =>
      protoVerdict(() =>
        pb.heartbeatInputFromProto(
          msg(workersPb.HeartbeatRequest, { workerId: 'w', leases: (v as unknown[]).map(pbLeaseRef) }),
        ),
      ),
    path: 'leases',
  },
  {
    name: 'Heartbeat leases[0].lease_token',
    cases: UUID_CASES,
    rest: (v) =>
      restVerdict(schemas.HeartbeatRequestSchema, {
        worker_id: 'w',
        leases: [{ step_uuid: stepUuid, lease_token: v }],
      }),
    proto: (v) =>
      protoVerdict(() =>
        pb.heartbeatInputFromProto(
          msg(workersPb.HeartbeatRequest, { workerId: 'w', leases: [{ stepUuid, leaseToken: v }] }),
        ),
      ),
    path: 'leases[0].lease_token',
  },
  checkpointStep('worker_id', 'workerId', textCases(T.workerId)),
  checkpointStep('step_uuid', 'stepUuid', UUID_CASES),
  checkpointStep('lease_token', 'leaseToken', UUID_CASES),
  checkpointStep('items_processed', 'itemsProcessed', intCases(INT_LIMITS.checkpointItems)),
  failStep('message', 'message', textCases(T.errorMessage)),
  failStep('error_type', 'errorType', textCases(T.errorType)),
  failStep('backtrace', 'backtrace', textCases(T.backtrace)),
  {
    name: 'ReportResults results',
    cases: countCases(COUNT_LIMITS.reportedResults, () => null),
    rest: (v) =>
      restVerdict(schemas.ReportResultsRequestSchema, { worker_id: 'w', results: (v as unknown[]).map(completed) }),
    proto: (v) =>
      protoVerdict(() =>
        pb.reportResultsInputFromProto(
          msg(workersPb.ReportResultsRequest, { workerId: 'w', results: (v as unknown[]).map(pbCompleted) }),
        ),
      ),
    path: 'results',
  },
  {
    name: 'ReportResults claim.max_steps',
    cases: intCases(INT_LIMITS.batchClaimMaxSteps),
    rest: (v) =>
      restVerdict(schemas.ReportResultsRequestSchema, { worker_id: 'w', results: [], claim: { max_steps: v } }),
    proto: (v) =>
      protoVerdict(() =>
        pb.reportResultsInputFromProto(msg(workersPb.ReportResultsRequest, { workerId: 'w', claim: { maxSteps: v } })),
      ),
    path: 'claim.max_steps',
  },
  apiKey('description', 'description', textCases(T.apiKeyDescription)),
  apiKey(
    'permissions',
    'permissions',
    countCases(COUNT_LIMITS.apiKeyPermissions, () => 'tasks:read'),
  ),
  {
    name: 'CreateApiKey permissions[0]',
    cases: textCases(T.apiKeyPermission),
    rest: (v) => restVerdict(schemas.CreateApiKeyRequestSchema, { description: 'd', permissions: [v] }),
    proto: (v) =>
      protoVerdict(() =>
        pb.createApiKeyInputFromProto(msg(authPb.CreateApiKeyRequest, { description: 'd', permissions: [v] })),
      ),
    path: 'permissions[0]',
  },
  apiKey(
    'namespaces',
    'namespaces',
    countCases(COUNT_LIMITS.apiKeyNamespaces, () => 'ns'),
    (v) => ({ namespaces: v }),
  ),
  apiKey(
    'namespaces',
    'namespaces',
    textCases(T.namespace).map(([l, v, ok]): Case => [l, [v], ok]),
    (v) => ({ namespaces: v }),
    'namespaces[0]',
  ),
  {
    name: 'GetPerformanceMetrics hours',
    cases: intCases(INT_LIMITS.analyticsHours),
    rest: (v) => restVerdict(schemas.PerformanceQuerySchema, { hours: String(v) }),
    proto: (v) =>
      protoVerdict(() => pb.performanceRequestFromProto(msg(analyticsPb.GetPerformanceMetricsRequest, { hours: v }))),
    path: 'hours',
  },
  ...(
    [
      ['limit', 'limit', INT_LIMITS.bottleneckLimit],
      ['min_executions', 'minExecutions', INT_LIMITS.bottleneckMinExecutions],
      ['hours', 'hours', INT_LIMITS.analyticsHours],
    ] as const
  ).map(([restName, protoName, rule]): Row => ({
    name: `GetBottleneckAnalysis ${restName}`,
    cases: intCases(rule),
    rest: (v) => restVerdict(schemas.BottleneckQuerySchema, { [restName]: String(v) }),
    proto: (v) =>
      protoVerdict(() =>
        pb.bottleneckRequestFromProto(msg(analyticsPb.GetBottleneckAnalysisRequest, { [protoName]: v })),
      ),
    path: restName,
  })),
];

const CASES = ROWS.flatMap((row) =>
  row.cases.map(([label, value, accepted]) => ({ name: `${row.name}: ${label}`, row, value, accepted })),
);

describe('every request field is held to its rule by both transports', () => {
  it.each(CASES)('$name', ({ row, value, accepted }) => {
    const restPath = typeof row.path === 'string' ? row.path : row.path.rest;
    const protoPath = typeof row.path === 'string' ? row.path : row.path.proto;
    const restGot = row.rest(value);
    const protoGot = row.proto(value);
    if (accepted) {
      expect(restGot).toEqual({ ok: true });
      expect(protoGot).toEqual({ ok: true });
    } else {
      expect(restGot).toEqual({ ok: false, paths: [restPath] });
      expect(protoGot).toEqual({ ok: false, paths: [protoPath] });
    }
  });
});

describe('transport-only paging', () => {
  const restPage = (field: 'page' | 'per_page', v: number) =>
    restVerdict(schemas.TaskListQuerySchema, { [field]: String(v) });
  const protoPage = (field: 'limit' | 'offset', v: number) =>
    protoVerdict(() => pb.taskListQueryFromProto(msg(tasksPb.ListTasksRequest, { pagination: { [field]: v } })));

  it.each([
    ['page', PAGE_LIMITS.taskPage],
    ['per_page', PAGE_LIMITS.taskPerPage],
  ] as const)('REST %s', (field, rule) => {
    for (const [, value, accepted] of intCases(rule)) {
      expect(restPage(field, value as number)).toEqual(accepted ? { ok: true } : { ok: false, paths: [field] });
    }
  });

  it.each([
    ['limit', PAGE_LIMITS.limit],
    ['offset', PAGE_LIMITS.offset],
  ] as const)('gRPC pagination.%s', (field, rule) => {
    for (const [, value, accepted] of intCases(rule)) {
      expect(protoPage(field, value as number)).toEqual(
        accepted ? { ok: true } : { ok: false, paths: [`pagination.${field}`] },
      );
    }
  });

  it('fill in the same defaults', () => {
    expect(schemas.TaskListQuerySchema.parse({})).toMatchObject({
      page: PAGE_LIMITS.taskPage.default,
      per_page: PAGE_LIMITS.taskPerPage.default,
    });
    expect(pb.taskListQueryFromProto(msg(tasksPb.ListTasksRequest, {}))).toMatchObject({
      limit: PAGE_LIMITS.limit.default,
      offset: PAGE_LIMITS.offset.default,
    });
    expect(schemas.DlqListQuerySchema.parse({})).toMatchObject({
      limit: PAGE_LIMITS.dlqLimit.default,
      offset: PAGE_LIMITS.dlqOffset.default,
    });
    expect(pb.dlqListQueryFromProto(msg(dlqPb.ListEntriesRequest, {}))).toMatchObject({
      limit: PAGE_LIMITS.dlqLimit.default,
      offset: PAGE_LIMITS.dlqOffset.default,
    });
    expect(schemas.DlqLimitQuerySchema.parse({}).limit).toBe(pb.dlqLimitFromProto({}));
    expect(schemas.PerformanceQuerySchema.parse({}).hours).toBe(pb.performanceRequestFromProto({}));
    const { limit, min_executions: minExecutions, hours } = schemas.BottleneckQuerySchema.parse({});
    expect({ limit, minExecutions, hours }).toEqual(pb.bottleneckRequestFromProto({}));
  });
});

describe('UUID_PATTERN', () => {
  it('is the pattern z.uuid() checks on REST', () => {
    for (const [, value, accepted] of UUID_CASES) {
      expect(isUuid(value as string)).toBe(accepted);
      expect(schemas.UuidSchema.safeParse(value).success).toBe(accepted);
    }
    expect(UUID_PATTERN.test('0190A4F0-5A1B-7C3D-8E4F-00000000BEEF')).toBe(true);
  });
});

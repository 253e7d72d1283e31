// `tasker task create|get|list|cancel|watch|resume|resolve`.
import { userInfo } from 'node:os';
import { TASK_SORT_FIELDS, TASK_STATES, type CreateTaskInput, type JsonObject, type TaskState } from '@tasker/shared';
import * as rest from '@tasker/shared/convert/rest/index';
import { Option, type Command } from 'commander';
import type { TaskListOptions } from '../../types.js';
import { action, collect, intOption, readJsonObject, type CliContext } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { renderFields, renderTable, type CommandResult } from '../output.js';
import { runWatch } from './watch.js';

/** The OS user, the default initiator and actor of operator actions. */
export function osUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

function taskResult(doc: ReturnType<typeof rest.taskToRest>): CommandResult {
  return {
    document: doc,
    table: () => {
      const { context, steps, ...fields } = doc;
      const lines = [renderFields({ ...fields, context })];
      if (steps !== undefined) {
        lines.push(
          '',
          renderTable(steps, [
            { header: 'step', value: (s) => s.name },
            { header: 'state', value: (s) => s.current_state },
            { header: 'attempts', value: (s) => `${s.attempts}/${s.max_attempts}` },
            { header: 'step_uuid', value: (s) => s.step_uuid },
          ]),
        );
      }
      return lines.join('\n');
    },
  };
}

interface CreateFlags {
  namespace: string;
  name: string;
  version: string;
  context?: string;
  contextFile?: string;
  initiator: string;
  sourceSystem: string;
  reason: string;
  tag?: string[];
  priority?: number;
  idempotencyKey?: string;
  correlationId?: string;
  options?: string;
  runAt?: string;
  watch?: boolean;
}

interface ListFlags {
  namespace?: string;
  name?: string;
  version?: string;
  state?: string[];
  initiator?: string;
  sourceSystem?: string;
  tag?: string[];
  page: number;
  perPage: number;
  sortBy?: (typeof TASK_SORT_FIELDS)[number];
  sortDirection?: 'asc' | 'desc';
}

/** `--options`: a JSON object of string values (the task's options are a string map). */
function taskOptions(json: string | undefined): Record<string, string> | undefined {
  const value = readJsonObject(json, undefined, 'options');
  if (value === undefined) return undefined;
  const bad = Object.keys(value).filter((k) => typeof value[k] !== 'string');
  if (bad.length > 0) throw new UsageError(`--options values must be strings (JSON-encode others): ${bad.join(', ')}`);
  return value as Record<string, string>;
}

/** `--run-at`: an ISO 8601 date-time with an offset (`Z` or `+02:00`), as REST's run_at. */
function runAtOption(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = /(Z|[+-]\d{2}:\d{2})$/i.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(at.getTime())) {
    throw new UsageError(`--run-at must be an ISO 8601 date-time with an offset (2030-01-02T03:04:05Z): ${value}`);
  }
  return at;
}

function taskStates(values: string[] | undefined): TaskState[] | undefined {
  if (values === undefined) return undefined;
  const bad = values.filter((v) => !(TASK_STATES as readonly string[]).includes(v));
  if (bad.length > 0)
    throw new UsageError(`unknown task state(s) ${bad.join(', ')}; expected ${TASK_STATES.join(', ')}`);
  return values as TaskState[];
}

/** Adds `task create|get|list|cancel|watch|resume|resolve` to `task`. */
export function registerTaskCommands(task: Command, ctx: CliContext): void {
  task
    .command('create')
    .description('Create a task from a registered template (optionally watch it run)')
    .requiredOption('--namespace <namespace>', 'template namespace')
    .requiredOption('--name <name>', 'template name')
    .requiredOption('--version <version>', 'template version')
    .option('--context <json>', 'input context as a JSON object (default {})')
    .option('--context-file <path>', 'read the input context from a JSON file')
    .option('--initiator <who>', 'who requests the task', osUser())
    .option('--source-system <system>', 'system the request comes from', 'cli')
    .option('--reason <text>', 'why the task is requested', 'requested with the tasker CLI')
    .option('--tag <tag>', 'label (repeatable, or comma-separated)', collect)
    .option('--priority <n>', 'priority -100..100 (default 0)', intOption('--priority', -100, 100))
    .option('--idempotency-key <key>', 'deduplication key (makes retries of the create safe)')
    .option('--correlation-id <uuid>', 'correlation id (generated when absent)')
    .option('--options <json>', 'request options stored with the task, as a JSON object of strings')
    .option('--run-at <time>', 'delayed start: keep the task pending until this ISO 8601 time (with offset)')
    .option('--watch', 'follow the task live until it finishes; exit 0 only when it completes')
    .action(
      action<CreateFlags>(ctx, async ({ opts, cmd }) => {
        const context = (readJsonObject(opts.context, opts.contextFile, 'context') ?? {}) as JsonObject;
        const options = taskOptions(opts.options);
        const runAt = runAtOption(opts.runAt);
        const input: CreateTaskInput = {
          namespace: opts.namespace,
          name: opts.name,
          version: opts.version,
          context,
          initiator: opts.initiator,
          sourceSystem: opts.sourceSystem,
          reason: opts.reason,
          ...(opts.tag === undefined ? {} : { tags: opts.tag }),
          ...(opts.priority === undefined ? {} : { priority: opts.priority }),
          ...(opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey }),
          ...(opts.correlationId === undefined ? {} : { correlationId: opts.correlationId }),
          ...(options === undefined ? {} : { options }),
          ...(runAt === undefined ? {} : { runAt }),
        };
        const created = await ctx.clientFor(cmd).tasks.create(input);
        if (opts.watch !== true) return taskResult(rest.taskToRest(created));
        const format = ctx.globals(cmd).output;
        // Streamed output: the created task first, then one document per event.
        if (format === 'json') ctx.write(`${JSON.stringify(rest.taskToRest(created))}\n`);
        else if (format === 'yaml') ctx.print(cmd, { document: rest.taskToRest(created) });
        else ctx.write(`created task ${created.taskUuid}\n`);
        await runWatch(ctx, cmd, created.taskUuid);
      }),
    );

  task
    .command('get <task_uuid>')
    .description('Show a task (with --steps, its steps too)')
    .option('--steps', 'include the steps')
    .action(
      action<{ steps?: boolean }>(ctx, async ({ args: [uuid = ''], opts, cmd }) => {
        const client = ctx.clientFor(cmd);
        return taskResult(
          opts.steps === true
            ? rest.taskWithStepsToRest(await client.tasks.getWithSteps(uuid))
            : rest.taskToRest(await client.tasks.get(uuid)),
        );
      }),
    );

  task
    .command('list')
    .description('List tasks, newest first')
    .option('--namespace <namespace>', 'only this namespace')
    .option('--name <name>', 'only this template name')
    .option('--version <version>', 'only this template version (REST only)')
    .option('--state <state>', `only these states (repeatable): ${TASK_STATES.join(', ')}`, collect)
    .option('--initiator <who>', 'only tasks requested by')
    .option('--source-system <system>', 'only tasks from this system')
    .option('--tag <tag>', 'only tasks carrying every one of these tags (repeatable)', collect)
    .option('--page <n>', 'page number', intOption('--page', 1), 1)
    .option('--per-page <n>', 'tasks per page (1-100)', intOption('--per-page', 1, 100), 25)
    .addOption(new Option('--sort-by <field>', 'sort field').choices(TASK_SORT_FIELDS))
    .addOption(new Option('--sort-direction <dir>', 'sort direction').choices(['asc', 'desc']))
    .action(
      action<ListFlags>(ctx, async ({ opts, cmd }) => {
        const states = taskStates(opts.state);
        const query: TaskListOptions = {
          limit: opts.perPage,
          offset: (opts.page - 1) * opts.perPage,
          ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.version === undefined ? {} : { version: opts.version }),
          ...(states === undefined ? {} : { states }),
          ...(opts.initiator === undefined ? {} : { initiator: opts.initiator }),
          ...(opts.sourceSystem === undefined ? {} : { sourceSystem: opts.sourceSystem }),
          ...(opts.tag === undefined ? {} : { tags: opts.tag }),
          ...(opts.sortBy === undefined && opts.sortDirection === undefined
            ? {}
            : { sort: { field: opts.sortBy ?? 'created_at', direction: opts.sortDirection ?? 'desc' } }),
        };
        const doc = rest.taskPageToRest(await ctx.clientFor(cmd).tasks.list(query));
        return {
          document: doc,
          table: () =>
            [
              renderTable(doc.tasks, [
                { header: 'task_uuid', value: (t) => t.task_uuid },
                { header: 'template', value: (t) => `${t.namespace}/${t.name}@${t.version}` },
                { header: 'status', value: (t) => t.status },
                { header: 'done', value: (t) => `${t.completion_percentage}%` },
                { header: 'created_at', value: (t) => t.created_at },
              ]),
              `page ${doc.pagination.page}/${Math.max(1, doc.pagination.total_pages)}, ${doc.pagination.total_count} task(s)`,
            ].join('\n'),
        };
      }),
    );

  task
    .command('cancel <task_uuid>')
    .description('Cancel a task and every unfinished step (exit 5 when it already finished)')
    .option('--reason <text>', 'why')
    .option('--by <who>', 'who cancels (REST records it)', osUser())
    .action(
      action<{ reason?: string; by: string }>(ctx, async ({ args: [uuid = ''], opts, cmd }) => {
        const task = await ctx
          .clientFor(cmd)
          .tasks.cancel(uuid, { performedBy: opts.by, ...(opts.reason === undefined ? {} : { reason: opts.reason }) });
        return taskResult(rest.taskToRest(task));
      }),
    );

  task
    .command('watch <task_uuid>')
    .description('Follow a task live until it finishes: exit 0 when it completes, 6 on error or cancel')
    .option('--after <event_id>', 'only events after this cursor', intOption('--after', 0))
    .action(
      action<{ after?: number }>(ctx, async ({ args: [uuid = ''], opts, cmd }) => {
        await runWatch(ctx, cmd, uuid, opts.after === undefined ? {} : { afterEventId: opts.after });
      }),
    );

  task
    .command('resume <task_uuid>')
    .description('Resume an error task after its failed steps were reset or resolved')
    .requiredOption('--reason <text>', 'why (audited)')
    .option('--by <who>', 'who resumes (audited)', osUser())
    .action(
      action<{ reason: string; by: string }>(ctx, async ({ args: [uuid = ''], opts, cmd }) =>
        taskResult(
          rest.taskToRest(await ctx.clientFor(cmd).tasks.resume(uuid, { performedBy: opts.by, reason: opts.reason })),
        ),
      ),
    );

  task
    .command('resolve <task_uuid>')
    .description(
      'Close a blocked or error task as resolved_manually (its unfinished steps are cancelled, its DLQ entry resolved)',
    )
    .requiredOption('--reason <text>', 'why (audited; also the DLQ entry notes)')
    .option('--by <who>', 'who closes it (audited)', osUser())
    .action(
      action<{ reason: string; by: string }>(ctx, async ({ args: [uuid = ''], opts, cmd }) =>
        taskResult(
          rest.taskToRest(await ctx.clientFor(cmd).tasks.resolve(uuid, { performedBy: opts.by, reason: opts.reason })),
        ),
      ),
    );
}

// `tasker schedule create|list|get|update|pause|resume|delete|firings`.
import {
  INT_LIMITS,
  type JsonObject,
  SCHEDULE_CATCH_UP_POLICIES,
  SCHEDULE_OVERLAP_POLICIES,
  type Schedule,
  type ScheduleCatchUpPolicy,
  type ScheduleOverlapPolicy,
  type ScheduleUpdateInput,
} from '@tasker/shared';
import * as rest from '@tasker/shared/convert/rest/index';
import { Option, type Command } from 'commander';
import { action, intOption, readJsonObject, type CliContext } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { renderFields, renderTable, type CommandResult } from '../output.js';

interface TriggerOpts {
  cron?: string;
  timeZone?: string;
  every?: number;
  overlap?: ScheduleOverlapPolicy;
  catchUp?: ScheduleCatchUpPolicy;
  catchUpCap?: number;
  context?: string;
  contextFile?: string;
}

function scheduleResult(schedule: Schedule): CommandResult {
  const doc = rest.scheduleToRest(schedule);
  return { document: doc, table: () => renderFields(doc) };
}

/** The trigger, policy and context options shared by create and update. */
function withTriggerOptions(cmd: Command): Command {
  const interval = INT_LIMITS.scheduleIntervalSeconds;
  const cap = INT_LIMITS.scheduleCatchUpCap;
  return cmd
    .option('--cron <expression>', 'cron expression (5 fields, or 6 with seconds)')
    .option('--time-zone <zone>', 'IANA time zone of the cron expression (default UTC)')
    .option('--every <seconds>', 'fixed interval in seconds', intOption('--every', interval.min, interval.max))
    .addOption(new Option('--overlap <policy>', 'while the previous task runs').choices(SCHEDULE_OVERLAP_POLICIES))
    .addOption(new Option('--catch-up <policy>', 'after downtime').choices(SCHEDULE_CATCH_UP_POLICIES))
    .option('--catch-up-cap <n>', 'most missed ticks run_all runs', intOption('--catch-up-cap', cap.min, cap.max))
    .option('--context <json>', 'task context (JSON object)')
    .option('--context-file <path>', 'task context from a JSON file');
}

function triggerInput(opts: TriggerOpts) {
  const context = readJsonObject(opts.context, opts.contextFile, 'context');
  return {
    ...(context === undefined ? {} : { context: context as JsonObject }),
    ...(opts.cron === undefined ? {} : { cronExpression: opts.cron }),
    ...(opts.timeZone === undefined ? {} : { timeZone: opts.timeZone }),
    ...(opts.every === undefined ? {} : { intervalSeconds: opts.every }),
    ...(opts.overlap === undefined ? {} : { overlapPolicy: opts.overlap }),
    ...(opts.catchUp === undefined ? {} : { catchUpPolicy: opts.catchUp }),
    ...(opts.catchUpCap === undefined ? {} : { catchUpCap: opts.catchUpCap }),
  };
}

/** Adds the schedule commands to `schedule`. */
export function registerScheduleCommands(schedule: Command, ctx: CliContext): void {
  withTriggerOptions(
    schedule
      .command('create <namespace> <name> <version>')
      .description('Create a schedule of a template: --cron (with --time-zone) or --every'),
  )
    .option('--paused', 'create it paused')
    .action(
      action<TriggerOpts & { paused?: boolean }>(
        ctx,
        async ({ args: [namespace = '', name = '', version = ''], opts, cmd }) => {
          if ((opts.cron === undefined) === (opts.every === undefined))
            throw new UsageError('give either --cron or --every');
          const input = { namespace, name, version, ...triggerInput(opts), ...(opts.paused ? { paused: true } : {}) };
          return scheduleResult(await ctx.clientFor(cmd).schedules.create(input));
        },
      ),
    );

  schedule
    .command('list')
    .description('Schedules, oldest first, with their next and last fire times')
    .option('--namespace <namespace>', 'only this namespace')
    .option('--limit <n>', 'schedules (1-1000)', intOption('--limit', 1, 1000), 50)
    .option('--offset <n>', 'skip this many', intOption('--offset', 0), 0)
    .action(
      action<{ namespace?: string; limit: number; offset: number }>(ctx, async ({ opts, cmd }) => {
        const query = {
          limit: opts.limit,
          offset: opts.offset,
          ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
        };
        const doc = (await ctx.clientFor(cmd).schedules.list(query)).map(rest.scheduleToRest);
        return {
          document: doc,
          table: () =>
            renderTable(doc, [
              { header: 'schedule_uuid', value: (s) => s.schedule_uuid },
              { header: 'template', value: (s) => `${s.namespace}/${s.name}/${s.version}` },
              { header: 'trigger', value: (s) => s.cron_expression ?? `every ${s.interval_seconds}s` },
              { header: 'paused', value: (s) => s.paused },
              { header: 'next_fire_at', value: (s) => s.next_fire_at ?? '' },
              { header: 'last_fire_at', value: (s) => s.last_fire_at ?? '' },
            ]),
        };
      }),
    );

  schedule
    .command('get <schedule_uuid>')
    .description('A schedule with its next and last fire times')
    .action(
      action(ctx, async ({ args: [uuid = ''], cmd }) => scheduleResult(await ctx.clientFor(cmd).schedules.get(uuid))),
    );

  withTriggerOptions(schedule.command('update <schedule_uuid>').description('Change a schedule; only given options'))
    .option('--version <version>', 'template version')
    .action(
      action<TriggerOpts & { version?: string }>(ctx, async ({ args: [uuid = ''], opts, cmd }) => {
        const input: ScheduleUpdateInput = {
          ...triggerInput(opts),
          ...(opts.version === undefined ? {} : { version: opts.version }),
        };
        if (Object.keys(input).length === 0) throw new UsageError('nothing to update');
        return scheduleResult(await ctx.clientFor(cmd).schedules.update(uuid, input));
      }),
    );

  for (const [verb, description] of [
    ['pause', 'Pause a schedule'],
    ['resume', 'Resume a schedule from the first tick after now'],
    ['delete', 'Delete a schedule and its firings (its tasks stay)'],
  ] as const) {
    schedule
      .command(`${verb} <schedule_uuid>`)
      .description(description)
      .action(
        action(ctx, async ({ args: [uuid = ''], cmd }) =>
          scheduleResult(await ctx.clientFor(cmd).schedules[verb](uuid)),
        ),
      );
  }

  schedule
    .command('firings <schedule_uuid>')
    .description('The ticks a schedule handled, newest first, with the tasks they created')
    .option('--limit <n>', 'firings (1-1000)', intOption('--limit', 1, 1000), 50)
    .option('--offset <n>', 'skip this many', intOption('--offset', 0), 0)
    .action(
      action<{ limit: number; offset: number }>(ctx, async ({ args: [uuid = ''], opts, cmd }) => {
        const firings = await ctx.clientFor(cmd).schedules.firings(uuid, { limit: opts.limit, offset: opts.offset });
        const doc = firings.map(rest.scheduleFiringToRest);
        return {
          document: doc,
          table: () =>
            renderTable(doc, [
              { header: 'fire_at', value: (f) => f.fire_at },
              { header: 'outcome', value: (f) => f.outcome },
              { header: 'task_uuid', value: (f) => f.task_uuid ?? '' },
              { header: 'error', value: (f) => f.error ?? '' },
            ]),
        };
      }),
    );
}

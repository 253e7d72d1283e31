// `tasker dlq list|get|create|update|stats|queue|staleness`.
import {
  DLQ_REASONS,
  DLQ_RESOLUTION_STATUSES,
  type DlqListQuery,
  type DlqUpdateInput,
  type JsonObject,
} from '@tasker/shared';
import * as rest from '@tasker/shared/convert/rest/index';
import { Option, type Command } from 'commander';
import { action, intOption, readJsonObject, type CliContext } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { renderFields, renderTable, type CommandResult } from '../output.js';
import { osUser } from './tasks.js';

type Status = DlqUpdateInput['resolutionStatus'];

function entryResult(doc: ReturnType<typeof rest.dlqEntryToRest>): CommandResult {
  return { document: doc, table: () => renderFields(doc) };
}

/** Adds `dlq list|get|create|update|stats|queue|staleness` to `dlq`. */
export function registerDlqCommands(dlq: Command, ctx: CliContext): void {
  dlq
    .command('list')
    .description('DLQ entries, newest first')
    .addOption(new Option('--status <status>', 'only this resolution status').choices(DLQ_RESOLUTION_STATUSES))
    .addOption(new Option('--reason <reason>', 'only this reason').choices(DLQ_REASONS))
    .option('--namespace <namespace>', 'only this namespace')
    .option('--limit <n>', 'entries (1-1000)', intOption('--limit', 1, 1000), 50)
    .option('--offset <n>', 'skip this many', intOption('--offset', 0), 0)
    .action(
      action<{
        status?: DlqListQuery['resolutionStatus'];
        reason?: DlqListQuery['reason'];
        namespace?: string;
        limit: number;
        offset: number;
      }>(ctx, async ({ opts, cmd }) => {
        const query: Partial<DlqListQuery> = {
          limit: opts.limit,
          offset: opts.offset,
          ...(opts.status === undefined ? {} : { resolutionStatus: opts.status }),
          ...(opts.reason === undefined ? {} : { reason: opts.reason }),
          ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
        };
        const doc = (await ctx.clientFor(cmd).dlq.list(query)).map(rest.dlqEntryToRest);
        return {
          document: doc,
          table: () =>
            renderTable(doc, [
              { header: 'dlq_entry_uuid', value: (e) => e.dlq_entry_uuid },
              { header: 'task_uuid', value: (e) => e.task_uuid },
              { header: 'reason', value: (e) => e.dlq_reason },
              { header: 'status', value: (e) => e.resolution_status },
              { header: 'dlq_timestamp', value: (e) => e.dlq_timestamp },
            ]),
        };
      }),
    );

  dlq
    .command('get <task_uuid>')
    .description("A task's latest DLQ entry")
    .action(
      action(ctx, async ({ args: [uuid = ''], cmd }) =>
        entryResult(rest.dlqEntryToRest(await ctx.clientFor(cmd).dlq.getByTask(uuid))),
      ),
    );

  dlq
    .command('create <task_uuid>')
    .description('Open a manual_dlq investigation of a task (any state; refused while it has a pending entry)')
    .requiredOption('--reason <text>', 'why the task needs investigating (kept in the snapshot)')
    .option('--by <who>', 'who opens it (kept in the snapshot)', osUser())
    .action(
      action<{ reason: string; by: string }>(ctx, async ({ args: [uuid = ''], opts, cmd }) =>
        entryResult(
          rest.dlqEntryToRest(await ctx.clientFor(cmd).dlq.create(uuid, { performedBy: opts.by, reason: opts.reason })),
        ),
      ),
    );

  dlq
    .command('update <dlq_entry_uuid>')
    .description('Record an investigation: status, notes, who resolved it')
    .addOption(new Option('--status <status>', 'resolution status').choices(DLQ_RESOLUTION_STATUSES))
    .option('--notes <text>', 'resolution notes')
    .option('--resolved-by <who>', 'who resolved it')
    .option('--metadata <json>', 'metadata (JSON object)')
    .action(
      action<{ status?: Status; notes?: string; resolvedBy?: string; metadata?: string }>(
        ctx,
        async ({ args: [uuid = ''], opts, cmd }) => {
          const metadata = readJsonObject(opts.metadata, undefined, 'metadata');
          const input: DlqUpdateInput = {
            ...(opts.status === undefined ? {} : { resolutionStatus: opts.status }),
            ...(opts.notes === undefined ? {} : { resolutionNotes: opts.notes }),
            ...(opts.resolvedBy === undefined ? {} : { resolvedBy: opts.resolvedBy }),
            ...(metadata === undefined ? {} : { metadata: metadata as JsonObject }),
          };
          if (Object.keys(input).length === 0)
            throw new UsageError('nothing to update: give --status, --notes, --resolved-by or --metadata');
          return entryResult(rest.dlqEntryToRest(await ctx.clientFor(cmd).dlq.update(uuid, input)));
        },
      ),
    );

  dlq
    .command('stats')
    .description('Entry counts per reason and resolution status')
    .action(
      action(ctx, async ({ cmd }) => {
        const doc = (await ctx.clientFor(cmd).dlq.stats()).map(rest.dlqStatsToRest);
        return {
          document: doc,
          table: () =>
            renderTable(doc, [
              { header: 'reason', value: (s) => s.dlq_reason },
              { header: 'total', value: (s) => s.total_entries },
              { header: 'pending', value: (s) => s.pending },
              { header: 'resolved', value: (s) => s.manually_resolved },
              { header: 'failed', value: (s) => s.permanent_failures },
              { header: 'cancelled', value: (s) => s.cancelled },
            ]),
        };
      }),
    );

  dlq
    .command('queue')
    .description('Pending entries by investigation priority')
    .option('--limit <n>', 'entries (1-1000)', intOption('--limit', 1, 1000), 100)
    .action(
      action<{ limit: number }>(ctx, async ({ opts, cmd }) => {
        const doc = (await ctx.clientFor(cmd).dlq.investigationQueue(opts.limit)).map(rest.dlqInvestigationItemToRest);
        return {
          document: doc,
          table: () =>
            renderTable(doc, [
              { header: 'priority', value: (i) => i.priority_score },
              { header: 'task_uuid', value: (i) => i.task_uuid },
              { header: 'reason', value: (i) => i.dlq_reason },
              { header: 'minutes_in_dlq', value: (i) => i.minutes_in_dlq },
              { header: 'task', value: (i) => `${i.namespace_name ?? '-'}/${i.task_name ?? '-'}` },
            ]),
        };
      }),
    );

  dlq
    .command('staleness')
    .description('Tasks approaching or past their staleness thresholds')
    .option('--limit <n>', 'rows (1-1000)', intOption('--limit', 1, 1000), 100)
    .action(
      action<{ limit: number }>(ctx, async ({ opts, cmd }) => {
        const doc = (await ctx.clientFor(cmd).dlq.staleness(opts.limit)).map(rest.stalenessItemToRest);
        return {
          document: doc,
          table: () =>
            renderTable(doc, [
              { header: 'health', value: (s) => s.health_status },
              { header: 'task_uuid', value: (s) => s.task_uuid },
              { header: 'state', value: (s) => s.current_state },
              { header: 'minutes_in_state', value: (s) => s.time_in_state_minutes },
              { header: 'threshold', value: (s) => s.staleness_threshold_minutes },
            ]),
        };
      }),
    );
}

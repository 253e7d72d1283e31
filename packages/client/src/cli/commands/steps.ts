// `tasker task steps|step|reset-step|resolve-step|complete-step|step-audit`. A step is named by uuid or by name.
import { isUuid, type JsonObject, type JsonValue, type StepManualAction } from '@tasker/shared';
import * as rest from '@tasker/shared/convert/rest/index';
import type { Command } from 'commander';
import { TaskerError } from '../../errors.js';
import type { TaskerClient } from '../../types.js';
import { action, readJsonObject, readJsonValue, type CliContext } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { renderFields, renderTable, type CommandResult } from '../output.js';
import { osUser } from './tasks.js';

/** A step argument: a uuid as is, a name looked up among the task's steps (NOT_FOUND when none has it). */
export async function resolveStepUuid(client: TaskerClient, taskUuid: string, step: string): Promise<string> {
  if (isUuid(step)) return step;
  const found = (await client.steps.list(taskUuid)).find((s) => s.name === step);
  if (found === undefined) {
    throw new TaskerError({
      code: 'NOT_FOUND',
      message: `task ${taskUuid} has no step named ${JSON.stringify(step)}`,
      transport: client.transport,
    });
  }
  return found.stepUuid;
}

function stepResult(doc: ReturnType<typeof rest.stepToRest>): CommandResult {
  return { document: doc, table: () => renderFields(doc) };
}

interface ActionFlags {
  reason: string;
  by: string;
  result?: string;
  resultFile?: string;
  metadata?: string;
}

function manualAction(type: StepManualAction['type'], opts: ActionFlags): StepManualAction {
  if (type !== 'complete_manually') return { type, reason: opts.reason, performedBy: opts.by };
  const result = readJsonValue(opts.result, opts.resultFile, 'result');
  if (result === undefined) throw new UsageError('complete-step needs --result <json> or --result-file <path>');
  const metadata = readJsonObject(opts.metadata, undefined, 'metadata');
  return {
    type,
    reason: opts.reason,
    performedBy: opts.by,
    result: result as JsonValue,
    ...(metadata === undefined ? {} : { metadata: metadata as JsonObject }),
  };
}

/** Adds the step commands to `task`. */
export function registerStepCommands(task: Command, ctx: CliContext): void {
  task
    .command('steps <task_uuid>')
    .description("List a task's steps in creation order")
    .action(
      action(ctx, async ({ args: [uuid = ''], cmd }) => {
        const doc = (await ctx.clientFor(cmd).steps.list(uuid)).map(rest.stepToRest);
        return {
          document: doc,
          table: () =>
            renderTable(doc, [
              { header: 'step_uuid', value: (s) => s.step_uuid },
              { header: 'name', value: (s) => s.name },
              { header: 'state', value: (s) => s.current_state },
              { header: 'attempts', value: (s) => `${s.attempts}/${s.max_attempts}` },
              { header: 'parents', value: (s) => `${s.completed_parents}/${s.total_parents}` },
              { header: 'completed_at', value: (s) => s.completed_at },
            ]),
        };
      }),
    );

  task
    .command('step <task_uuid> <step>')
    .description('Show one step (by uuid or name)')
    .action(
      action(ctx, async ({ args: [uuid = '', step = ''], cmd }) => {
        const client = ctx.clientFor(cmd);
        return stepResult(rest.stepToRest(await client.steps.get(uuid, await resolveStepUuid(client, uuid, step))));
      }),
    );

  const actions: Array<[string, StepManualAction['type'], string]> = [
    ['reset-step', 'reset_for_retry', 'Reset a step in error for another try (attempts start over)'],
    ['resolve-step', 'resolve_manually', 'Mark a step resolved without a result; its children proceed'],
    ['complete-step', 'complete_manually', 'Complete a step with a result its children can read'],
  ];
  for (const [name, type, description] of actions) {
    const command = task
      .command(`${name} <task_uuid> <step>`)
      .description(`${description} (exit 5 when the step is in the wrong state)`)
      .requiredOption('--reason <text>', 'why (audited)')
      .option('--by <who>', 'who acts (audited)', osUser());
    if (type === 'complete_manually') {
      command
        .option('--result <json>', 'the step result (any JSON value)')
        .option('--result-file <path>', 'read the step result from a JSON file')
        .option('--metadata <json>', 'extra metadata (JSON object)');
    }
    command.action(
      action<ActionFlags>(ctx, async ({ args: [uuid = '', step = ''], opts, cmd }) => {
        const client = ctx.clientFor(cmd);
        const act = manualAction(type, opts);
        const stepUuid = await resolveStepUuid(client, uuid, step);
        return stepResult(rest.stepToRest(await client.steps.applyManualAction(uuid, stepUuid, act)));
      }),
    );
  }

  task
    .command('step-audit <task_uuid> <step>')
    .description("A step's worker results and operator actions, newest first")
    .action(
      action(ctx, async ({ args: [uuid = '', step = ''], cmd }) => {
        const client = ctx.clientFor(cmd);
        const doc = (await client.steps.audit(uuid, await resolveStepUuid(client, uuid, step))).map(
          rest.stepAuditToRest,
        );
        return {
          document: doc,
          table: () =>
            renderTable(doc, [
              { header: 'event_id', value: (a) => a.event_id },
              { header: 'recorded_at', value: (a) => a.recorded_at },
              { header: 'action', value: (a) => a.action },
              { header: 'transition', value: (a) => `${a.from_state ?? '-'} → ${a.to_state}` },
              { header: 'by', value: (a) => a.performed_by ?? a.worker_id },
              { header: 'success', value: (a) => a.success },
              { header: 'ms', value: (a) => a.execution_time_ms },
            ]),
        };
      }),
    );
}

// `tasker template list|get|validate|register`.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import * as rest from '@tasker/shared/convert/rest/index';
import type { Command } from 'commander';
import { action, type CliContext } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { renderFields, renderTable } from '../output.js';

/** A template file: `.json` is sent as the parsed object, anything else as YAML text (the server parses it). */
function readTemplateFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (extname(path).toLowerCase() !== '.json') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Adds `template list|get|validate|register` to `template`. */
export function registerTemplateCommands(template: Command, ctx: CliContext): void {
  template
    .command('list')
    .description('Registered templates and their namespaces')
    .option('--namespace <namespace>', 'only this namespace')
    .action(
      action<{ namespace?: string }>(ctx, async ({ opts, cmd }) => {
        const doc = rest.templateListToRest(
          await ctx.clientFor(cmd).templates.list(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
        );
        return {
          document: doc,
          table: () =>
            renderTable(doc.templates, [
              { header: 'namespace', value: (t) => t.namespace },
              { header: 'name', value: (t) => t.name },
              { header: 'version', value: (t) => t.version },
              { header: 'steps', value: (t) => t.step_count },
              { header: 'description', value: (t) => t.description },
            ]),
        };
      }),
    );

  template
    .command('get <namespace> <name> <version>')
    .description('One template version with its steps')
    .action(
      action(ctx, async ({ args: [namespace = '', name = '', version = ''], cmd }) => {
        const doc = rest.templateToRest(await ctx.clientFor(cmd).templates.get(namespace, name, version));
        return {
          document: doc,
          table: () => {
            const { steps, configuration: _configuration, input_schema: _schema, ...fields } = doc;
            return [
              renderFields(fields),
              '',
              renderTable(steps, [
                { header: 'step', value: (s) => s.name },
                { header: 'handler', value: (s) => s.handler.callable },
                { header: 'depends_on', value: (s) => (s.dependencies.length === 0 ? '-' : s.dependencies.join(', ')) },
                { header: 'max_attempts', value: (s) => s.retry.max_attempts },
                { header: 'timeout_s', value: (s) => s.timeout_seconds },
              ]),
            ].join('\n');
          },
        };
      }),
    );

  template
    .command('validate <file>')
    .description('Validate a template file (YAML, or .json) without registering it; exit 1 when invalid')
    .action(
      action(ctx, async ({ args: [file = ''], cmd }) => {
        const validation = await ctx.clientFor(cmd).templates.validate(readTemplateFile(file));
        if (!validation.valid) ctx.exitCode = EXIT.FAILURE;
        const doc = rest.templateValidationToRest(validation);
        return {
          document: doc,
          table: () =>
            doc.valid
              ? `${file}: valid`
              : [`${file}: invalid`, ...doc.errors.map((e) => `  ${e.path || '(root)'}: ${e.message}`)].join('\n'),
        };
      }),
    );

  template
    .command('register <files...>')
    .description('Register template files (YAML, or .json) in one call; prints each outcome and its warnings')
    .option('--force', 'overwrite a registered version whose content changed')
    .action(
      action<{ force?: boolean }>(ctx, async ({ opts, cmd }) => {
        // A variadic operand arrives as one array, which `action` does not pass on as args.
        const raws = cmd.args.map(readTemplateFile);
        const doc = rest.templateRegistrationsToRest(
          await ctx.clientFor(cmd).templates.register(raws, { force: opts.force === true }),
        );
        return {
          document: doc,
          table: () =>
            doc.registrations
              .flatMap((r) => [
                `${r.namespace}/${r.name}@${r.version}: ${r.outcome}`,
                ...r.warnings.map((w) => `  warning: ${w.path}: ${w.message}`),
              ])
              .join('\n'),
        };
      }),
    );
}

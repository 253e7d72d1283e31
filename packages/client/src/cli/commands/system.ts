// `tasker analytics performance|bottlenecks`, `tasker worker list`, `tasker health`, `tasker config`.
import * as rest from '@tasker/shared/convert/rest/index';
import { Option, type Command } from 'commander';
import { action, intOption, type CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderFields, renderTable } from '../output.js';

const HEALTHY = new Set(['alive', 'healthy', 'ready']);

/** Adds `analytics performance|bottlenecks` to `analytics`. */
export function registerAnalyticsCommands(analytics: Command, ctx: CliContext): void {
  analytics
    .command('performance')
    .description('Throughput, completion and error rates over a window')
    .option('--hours <n>', 'window in hours (0 = all time)', intOption('--hours', 0, 24 * 366), 24)
    .action(
      action<{ hours: number }>(ctx, async ({ opts, cmd }) => {
        const doc = rest.performanceMetricsToRest(await ctx.clientFor(cmd).analytics.performance(opts.hours));
        return { document: doc, table: () => renderFields(doc) };
      }),
    );

  analytics
    .command('bottlenecks')
    .description('Slowest steps and tasks, resource use and recommendations')
    .option('--limit <n>', 'rows per list', intOption('--limit', 1, 1000), 10)
    .option('--min-executions <n>', 'ignore steps and tasks run fewer times', intOption('--min-executions', 1), 5)
    .option('--hours <n>', 'window in hours (0 = all time)', intOption('--hours', 0, 24 * 366), 24)
    .action(
      action<{ limit: number; minExecutions: number; hours: number }>(ctx, async ({ opts, cmd }) => {
        const doc = rest.bottleneckAnalysisToRest(
          await ctx
            .clientFor(cmd)
            .analytics.bottlenecks({ limit: opts.limit, minExecutions: opts.minExecutions, hours: opts.hours }),
        );
        return {
          document: doc,
          table: () =>
            [
              'slow steps:',
              renderTable(doc.slow_steps, [
                { header: 'step', value: (s) => `${s.namespace_name}/${s.task_name}@${s.version}:${s.step_name}` },
                { header: 'avg_s', value: (s) => s.average_duration_seconds },
                { header: 'max_s', value: (s) => s.max_duration_seconds },
                { header: 'runs', value: (s) => s.execution_count },
                { header: 'error_rate', value: (s) => s.error_rate },
              ]),
              '',
              'slow tasks:',
              renderTable(doc.slow_tasks, [
                { header: 'task', value: (s) => `${s.namespace_name}/${s.task_name}@${s.version}` },
                { header: 'avg_s', value: (s) => s.average_duration_seconds },
                { header: 'runs', value: (s) => s.execution_count },
                { header: 'error_rate', value: (s) => s.error_rate },
              ]),
              '',
              'recommendations:',
              ...(doc.recommendations.length === 0 ? ['  (none)'] : doc.recommendations.map((r) => `  - ${r}`)),
            ].join('\n'),
        };
      }),
    );
}

/** Adds `worker list` to `worker`. */
export function registerWorkerCommands(worker: Command, ctx: CliContext): void {
  worker
    .command('list')
    .description('Registered workers with their namespaces, handlers and liveness')
    .action(
      action(ctx, async ({ cmd }) => {
        const doc = (await ctx.clientFor(cmd).workers.list()).map(rest.workerToRest);
        return {
          document: doc,
          table: () =>
            renderTable(doc, [
              { header: 'worker_id', value: (w) => w.worker_id },
              { header: 'live', value: (w) => w.live },
              { header: 'hostname', value: (w) => w.hostname },
              { header: 'version', value: (w) => w.version },
              { header: 'namespaces', value: (w) => (w.namespaces.length === 0 ? '*' : w.namespaces.join(',')) },
              { header: 'last_seen_at', value: (w) => w.last_seen_at },
            ]),
        };
      }),
    );
}

/** Adds `health` and `config` to the root. */
export function registerSystemCommands(program: Command, ctx: CliContext): void {
  program
    .command('health')
    .description('Server health (readiness by default); exit 1 when not healthy')
    .addOption(new Option('--probe <probe>', 'which check').choices(['live', 'ready', 'detailed']).default('ready'))
    .action(
      action<{ probe: 'live' | 'ready' | 'detailed' }>(ctx, async ({ opts, cmd }) => {
        const report = await ctx.clientFor(cmd).health[opts.probe]();
        if (!HEALTHY.has(report.status)) ctx.exitCode = EXIT.FAILURE;
        const doc = rest.healthReportToRest(report);
        return {
          document: doc,
          table: () =>
            [
              `status: ${doc.status}`,
              renderTable(Object.entries(doc.checks), [
                { header: 'check', value: ([name]) => name },
                { header: 'status', value: ([, c]) => c.status },
                { header: 'ms', value: ([, c]) => c.duration_ms },
                { header: 'message', value: ([, c]) => c.message },
              ]),
            ].join('\n'),
        };
      }),
    );

  program
    .command('config')
    .description("The server's safe configuration (never URLs, secrets or keys)")
    .action(action(ctx, async ({ cmd }) => ({ document: await ctx.clientFor(cmd).config.get() })));
}

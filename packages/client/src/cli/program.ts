// The `tasker` command tree: global options on the root, one group per resource.
import { Command, Option } from 'commander';
import { TaskerError } from '../errors.js';
import { registerApiKeyCommands } from './commands/api-keys.js';
import { registerAuthCommands } from './commands/auth.js';
import { registerDlqCommands } from './commands/dlq.js';
import { registerScheduleCommands } from './commands/schedules.js';
import { registerStepCommands } from './commands/steps.js';
import { registerAnalyticsCommands, registerSystemCommands, registerWorkerCommands } from './commands/system.js';
import { registerTaskCommands } from './commands/tasks.js';
import { registerTemplateCommands } from './commands/templates.js';
import { CliContext, collect, intOption, type CliIo } from './context.js';
import { EXIT, UsageError, exitCodeOf } from './exit-codes.js';
import { OUTPUT_FORMATS } from './output.js';

const EPILOG = `
Credentials (first found): --token, --api-key, TASKER_TOKEN, TASKER_API_KEY, then the dev key
<TASKER_DATA_DIR or .tasker>/dev-api-key that orchestration writes on first start in development.
Address: --address, else TASKER_ADDRESS (comma-separated), else localhost:8080 (rest) / localhost:9190 (grpc).

Exit codes: 0 ok, 1 server or other error, 2 usage error or invalid input, 3 not found,
4 authentication or permission failure, 5 invalid state or conflict, 6 watched task failed or was cancelled.`;

/** Builds the command tree bound to `ctx`. Commander errors are thrown (exitOverride), never exit the process. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('tasker')
    .description('Command line client of the Tasker workflow orchestration server')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .addOption(
      new Option('--transport <transport>', 'rest or grpc')
        .choices(['rest', 'grpc'])
        .default(ctx.io.env.TASKER_TRANSPORT ?? 'rest'),
    )
    .option('--address <host:port>', 'orchestration address(es), repeatable or comma-separated', collect)
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--api-key <key>', 'API key (x-api-key)')
    .option('--token <jwt>', 'JWT bearer token')
    .option('--timeout <ms>', 'per-call deadline in ms', intOption('--timeout', 1))
    .option('--tls', 'use TLS with the system trust store')
    .option('--ca <file>', 'use TLS trusting this CA certificate (PEM)')
    .addHelpText('after', EPILOG);

  const group = (name: string, description: string): Command => program.command(name).description(description);
  const task = group('task', 'Tasks and their steps: create, inspect, watch, cancel, fix, resume and close');
  registerTaskCommands(task, ctx);
  registerStepCommands(task, ctx);
  registerTemplateCommands(group('template', 'Task templates: list, show, validate, register'), ctx);
  registerDlqCommands(group('dlq', 'Dead letter queue: investigate stuck and failed tasks'), ctx);
  registerScheduleCommands(group('schedule', 'Schedules: recurring tasks on a cron expression or an interval'), ctx);
  registerAnalyticsCommands(group('analytics', 'Performance and bottleneck analysis'), ctx);
  registerWorkerCommands(group('worker', 'Registered workers'), ctx);
  registerSystemCommands(program, ctx);
  const auth = group('auth', 'API keys (create, list, revoke) and JWT helpers (generate, validate)');
  registerAuthCommands(auth, ctx);
  registerApiKeyCommands(auth, ctx);
  return program;
}

function commanderExitCode(error: { code?: unknown; exitCode?: unknown }): number | undefined {
  if (typeof error.code !== 'string' || !error.code.startsWith('commander.')) return undefined;
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help')
    return EXIT.OK;
  // A group run without a subcommand prints its help to stderr and fails: a usage error.
  return EXIT.USAGE;
}

/** Runs the CLI on `argv` (without node and script) and resolves with the exit code; never exits the process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const ctx = new CliContext(io);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    const commander = commanderExitCode(error as { code?: unknown });
    if (commander !== undefined) return commander;
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT.USAGE;
    }
    if (error instanceof TaskerError) {
      io.stderr.write(`error: ${error.code}: ${error.message}\n`);
      for (const field of error.fields) io.stderr.write(`  ${field.path || '(root)'}: ${field.message}\n`);
      return exitCodeOf(error.code);
    }
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.FAILURE;
  } finally {
    await ctx.close();
  }
}

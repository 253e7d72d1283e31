// `tasker-worker`: loads handler modules and templates, reads the same config as orchestration (worker
// section + env), and runs a worker until SIGTERM/SIGINT, which drain it and exit 0.
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type Config } from '@tasker/shared/config';
import { DevKeyFileError, readDevKeyFile } from '@tasker/shared/dev-key';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createJsonLogger, type LogLevelName } from './logger.js';
import { createWorker } from './runtime.js';
import { TemplateLoadError } from './templates.js';
import type { Handler, WorkerLogger } from './types.js';

interface CliOptions {
  handlers: string[];
  templates?: string;
  namespaces?: string[];
  concurrency?: number;
  transport?: 'grpc' | 'rest';
  orchestration?: string[];
  workerId?: string;
  restAddress?: string;
  grpcAddress?: string;
  drainTimeoutMs?: number;
  surfaces: boolean;
  forceTemplates: boolean;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

function isHandlerMap(value: unknown): value is Record<string, Handler> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'function');
}

/** A path (`./x.ts`, `/abs/x.js`) is imported from the working directory; anything else as a package. */
export async function loadHandlerModule(spec: string, cwd = process.cwd()): Promise<Record<string, Handler>> {
  let url: string;
  if (spec.startsWith('.') || isAbsolute(spec)) {
    url = pathToFileURL(resolve(cwd, spec)).href;
  } else {
    try {
      url = pathToFileURL(createRequire(join(cwd, 'package.json')).resolve(spec)).href;
    } catch {
      url = spec;
    }
  }
  const mod = (await import(url)) as { handlers?: unknown; default?: unknown };
  const handlers = mod.handlers ?? mod.default;
  if (!isHandlerMap(handlers) || Object.keys(handlers).length === 0) {
    throw new Error(`${spec}: expected a \`handlers\` (or default) export mapping callable names to functions`);
  }
  return handlers;
}

/** The orchestration credential: config/env API key, else TASKER_WORKER_TOKEN, else the dev key file. */
export function resolveCredentials(config: Config, env: NodeJS.ProcessEnv): { apiKey?: string; token?: string } {
  if (config.worker.orchestration.api_key !== null) return { apiKey: config.worker.orchestration.api_key };
  const token = env['TASKER_WORKER_TOKEN']?.trim();
  if (token) return { token };
  const file = config.auth.dev_key_file;
  // Throws DevKeyFileError (a file others can read, or not a generated key): main prints it and exits 2.
  const key = file === null ? undefined : readDevKeyFile(file);
  return key === undefined ? {} : { apiKey: key };
}

function credentialsOrExit(config: Config, env: NodeJS.ProcessEnv): { apiKey?: string; token?: string } {
  try {
    return resolveCredentials(config, env);
  } catch (err) {
    if (!(err instanceof DevKeyFileError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
}

function buildProgram(): Command {
  return new Command('tasker-worker')
    .description('Run Tasker step handlers: claim steps from orchestration, run them, report results.')
    .requiredOption(
      '--handlers <module...>',
      'handler module path or package name (exports `handlers` or default: callable → function); repeatable',
    )
    .option('--templates <dir>', 'directory of *.yaml templates to validate, register and serve')
    .option('--namespaces <list>', 'comma-separated namespaces to claim from (default: those of the templates)', list)
    .option('--concurrency <n>', 'handlers run at once (default: worker.concurrency)', positiveInt)
    .addOption(
      new Option('--transport <kind>', 'how to reach orchestration (default: worker.orchestration.transport)').choices([
        'grpc',
        'rest',
      ]),
    )
    .option(
      '--orchestration <addresses>',
      'comma-separated orchestration addresses (default: worker.orchestration.addresses)',
      list,
    )
    .option(
      '--drain-timeout-ms <ms>',
      'on SIGTERM, how long running steps may finish (default: worker.drain_timeout_ms)',
      positiveInt,
    )
    .option('--worker-id <id>', 'stable worker id (default: <hostname>-<pid>-<random>)')
    .option('--rest-address <host:port>', "worker's own REST surface (default: worker.rest_address)")
    .option('--grpc-address <host:port>', "worker's own gRPC surface (default: worker.grpc_address)")
    .option('--no-surfaces', "serve neither of the worker's own surfaces")
    .option('--no-force-templates', 'refuse (instead of overwrite) a registered template version whose content changed')
    .addHelpText(
      'after',
      `
Config: config/default.yaml → config/$TASKER_ENV.yaml → env (TASKER_WORKER_TRANSPORT, TASKER_ORCHESTRATION_ADDRESSES,
TASKER_WORKER_API_KEY, TASKER_WORKER_CONCURRENCY, TASKER_WORKER_REST_ADDRESS, TASKER_WORKER_GRPC_ADDRESS, …) → flags.
Credentials: worker.orchestration.api_key (TASKER_WORKER_API_KEY), else TASKER_WORKER_TOKEN (JWT), else the dev key
file (auth.dev_key_file). TASKER_WORKER_SURFACE_API_KEY protects the worker's own templates and config endpoints.
SIGTERM / SIGINT drain the worker (running steps finish up to worker.drain_timeout_ms) and exit 0.`,
    );
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const program = buildProgram();
  program.parse(argv);
  const opts = program.opts<CliOptions>();

  let config: Config;
  try {
    config = loadConfig({ env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger: WorkerLogger = createJsonLogger({ level: config.logging.level as LogLevelName });
  const handlers: Record<string, Handler> = {};
  for (const spec of opts.handlers) Object.assign(handlers, await loadHandlerModule(spec));

  const w = config.worker;
  const surfaceKey = env['TASKER_WORKER_SURFACE_API_KEY']?.trim();
  const worker = createWorker({
    orchestration: {
      transport: opts.transport ?? w.orchestration.transport,
      addresses: opts.orchestration ?? [...w.orchestration.addresses],
      credentials: credentialsOrExit(config, env),
    },
    handlers,
    ...(opts.templates !== undefined ? { templatesDir: opts.templates } : {}),
    ...(opts.namespaces !== undefined ? { namespaces: opts.namespaces } : {}),
    concurrency: opts.concurrency ?? w.concurrency,
    handlerTimeoutMs: w.handler_timeout_ms,
    drainTimeoutMs: opts.drainTimeoutMs ?? w.drain_timeout_ms,
    claimWaitMs: w.claim_wait_ms,
    resultBatchMax: w.result_batch_max,
    resultBatchWindowMs: w.result_batch_window_ms,
    ...(opts.workerId !== undefined ? { workerId: opts.workerId } : {}),
    environment: config.environment,
    forceTemplates: opts.forceTemplates,
    logger,
    surfaces: opts.surfaces
      ? {
          rest: opts.restAddress ?? w.rest_address,
          grpc: opts.grpcAddress ?? w.grpc_address,
          apiKeyHeader: config.auth.api_keys.header,
          reflection: config.grpc.reflection,
          ...(surfaceKey ? { apiKey: surfaceKey } : {}),
        }
      : { rest: false, grpc: false },
  });

  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt !== 0) {
      // tsx and npm relay the terminal's Ctrl-C, so one keypress can arrive twice within milliseconds.
      if (now - firstSignalAt < 1_000) return;
      logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      process.exit(1);
    }
    firstSignalAt = now;
    logger.info({ signal }, 'signal received: draining');
    worker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await worker.start();
  } catch (err) {
    if (firstSignalAt !== 0) return;
    if (err instanceof TemplateLoadError) process.stderr.write(`${err.message}\n`);
    else logger.error({ err }, 'worker failed to start');
    process.exit(1);
  }
  // Machine-readable for supervisors and tests: which ports the surfaces got (port 0 = any free port).
  logger.info({ ...worker.surfaceAddresses(), worker_id: worker.workerId }, 'worker ready');
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

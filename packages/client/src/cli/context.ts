// What every CLI command shares: the global options, the client built from them, and printing.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { createClient } from '../create-client.js';
import type { ClientOptions } from '../options.js';
import type { TaskerClient, Transport } from '../types.js';
import { resolveCredential } from './credentials.js';
import { UsageError } from './exit-codes.js';
import { formatResult, type CommandResult, type OutputFormat } from './output.js';

/** Where the CLI reads and writes (a seam for tests; the entry point passes the process's). */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean | undefined; columns?: number | undefined };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** The options every command accepts (commander collects them from the root). */
export interface GlobalOptions {
  transport: Transport;
  address?: string[];
  output: OutputFormat;
  apiKey?: string;
  token?: string;
  timeout?: number;
  tls?: boolean;
  ca?: string;
}

const DEFAULT_ADDRESS: Record<Transport, string> = { rest: 'localhost:8080', grpc: 'localhost:9190' };

/** Per-run state of the CLI: the lazily created client, printing, and the exit code. */
export class CliContext {
  private client: TaskerClient | undefined;
  /** Set by commands whose outcome is not a thrown error (a watched task that failed, an invalid template). */
  exitCode = 0;

  constructor(readonly io: CliIo) {}

  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals<GlobalOptions>();
  }

  /** The client for the global options, created on first use and closed by {@link close}. */
  clientFor(cmd: Command): TaskerClient {
    if (this.client !== undefined) return this.client;
    const g = this.globals(cmd);
    const env = this.io.env;
    const addresses = g.address ??
      env.TASKER_ADDRESS?.split(',')
        .map((a) => a.trim())
        .filter((a) => a !== '') ?? [DEFAULT_ADDRESS[g.transport]];
    const credential = resolveCredential({ token: g.token, apiKey: g.apiKey, env, cwd: this.io.cwd });
    const options: ClientOptions = {
      transport: g.transport,
      address: addresses,
      ...(credential.kind === 'token' ? { token: credential.value } : {}),
      ...(credential.kind === 'api_key' ? { apiKey: credential.value } : {}),
      ...(env.TASKER_API_KEY_HEADER ? { apiKeyHeader: env.TASKER_API_KEY_HEADER } : {}),
      ...(g.timeout === undefined ? {} : { timeoutMs: g.timeout }),
      ...(g.ca !== undefined ? { tls: { ca: readFileSync(g.ca) } } : g.tls === true ? { tls: true } : {}),
    };
    try {
      this.client = createClient(options);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    return this.client;
  }

  /** Prints a command's result in the chosen format. */
  print(cmd: Command, result: CommandResult): void {
    this.io.stdout.write(`${formatResult(result, this.globals(cmd).output)}\n`);
  }

  /** Writes a line to stdout as is (watch views, tokens). */
  write(text: string): void {
    this.io.stdout.write(text);
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
  }
}

/** Parses a JSON object given inline (`--context '{...}'`) or from a file (`--context-file`). */
export function readJsonObject(
  inline: string | undefined,
  file: string | undefined,
  flag: string,
): Record<string, unknown> | undefined {
  if (inline !== undefined && file !== undefined)
    throw new UsageError(`use either --${flag} or --${flag}-file, not both`);
  let text: string;
  let where: string;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read --${flag}-file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    where = file;
  } else if (inline !== undefined) {
    text = inline;
    where = `--${flag}`;
  } else {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`${where} must be a JSON object`);
  return value as Record<string, unknown>;
}

/** Parses any JSON value (`--result`). */
export function readJsonValue(inline: string | undefined, file: string | undefined, flag: string): unknown {
  if (inline !== undefined && file !== undefined)
    throw new UsageError(`use either --${flag} or --${flag}-file, not both`);
  const text = file !== undefined ? readFileSync(file, 'utf8') : inline;
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--${flag} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** commander argParser for integers within bounds. */
export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer between ${min} and ${max}`);
    return n;
  };
}

/** commander argParser collecting a repeatable option (also accepting comma-separated values). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  ];
}

/** What a command handler gets: its positional arguments, its own options, and the command. */
export interface ActionInput<O> {
  args: string[];
  opts: O;
  cmd: Command;
}

/** A commander action that runs `handler` and prints what it returns. */
export function action<O>(
  ctx: CliContext,
  handler: (input: ActionInput<O>) => Promise<CommandResult | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...raw: unknown[]) => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = raw[raw.length - 2] as O;
    const args = raw.slice(0, -2).filter((a): a is string => typeof a === 'string');
    const result = await handler({ args, opts, cmd });
    if (result !== undefined) ctx.print(cmd, result);
  };
}

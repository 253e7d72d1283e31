// Real processes for end-to-end tests: an orchestration process on its own cloned database and free ports,
// and worker processes started through the `tasker-worker` bin with the example handlers and templates.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type TaskerClient } from '@tasker/client';
import { inject } from 'vitest';
import {
  createDatabase,
  dropDatabase,
  uniqueDatabaseName,
  withDatabase,
} from '../../../../orchestration/test/integration/helpers/test-db.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../../', import.meta.url)));
const ORCHESTRATION_MAIN = join(REPO_ROOT, 'packages/orchestration/src/main.ts');
const WORKER_BIN = join(REPO_ROOT, 'packages/worker/bin/tasker-worker.mjs');

/** A port nothing listens on right now (the OS picks it; closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * A port from {@link freePort} is free when picked, not when the child binds it: another process on the machine
 * may take it in between. Such a start (EADDRINUSE in the child's output) is tried again on new ports.
 */
async function retryOnPortRace<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !String((err as Error).message).includes('EADDRINUSE')) throw err;
    }
  }
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(args: string[], env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

export interface Orchestration {
  process: RunningProcess;
  restUrl: string;
  restAddress: string;
  grpcAddress: string;
  /** REST client for assertions. */
  client: TaskerClient;
  stop(): Promise<void>;
}

/**
 * Orchestration on a fresh clone of the migrated template database, auth off, test config (2 s leases);
 * `env` adds to or overrides the process environment.
 */
export function startOrchestration(env: Record<string, string> = {}): Promise<Orchestration> {
  return retryOnPortRace(() => startOrchestrationOnce(env));
}

async function startOrchestrationOnce(env: Record<string, string>): Promise<Orchestration> {
  const adminUrl = inject('databaseUrl');
  const database = uniqueDatabaseName('e2e');
  await createDatabase(adminUrl, database, inject('templateDatabase'));
  const dataDir = await mkdtemp(join(tmpdir(), 'tasker-e2e-'));
  const [restPort, grpcPort] = [await freePort(), await freePort()];
  const restAddress = `127.0.0.1:${restPort}`;
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  const proc = launch(['--import', 'tsx', ORCHESTRATION_MAIN], {
    TASKER_ENV: 'test',
    DATABASE_URL: withDatabase(adminUrl, database),
    TASKER_REST_ADDRESS: restAddress,
    TASKER_GRPC_ADDRESS: grpcAddress,
    TASKER_AUTH_ENABLED: 'false',
    TASKER_DATA_DIR: dataDir,
    TASKER_LOG_LEVEL: 'warn',
    ...env,
  });
  const restUrl = `http://${restAddress}`;
  const cleanup = async () => {
    await proc.stop('SIGTERM');
    await dropDatabase(adminUrl, database);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await until(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`orchestration exited early:\n${proc.output()}`);
        const res = await fetch(`${restUrl}/health/ready`);
        return res.ok;
      },
      45_000,
      'orchestration readiness',
      100,
    );
  } catch (err) {
    await cleanup();
    throw new Error(`${(err as Error).message}\n--- orchestration output ---\n${proc.output()}`);
  }
  const client = createClient({ transport: 'rest', address: restUrl });
  return {
    process: proc,
    restUrl,
    restAddress,
    grpcAddress,
    client,
    async stop() {
      await client.close();
      await cleanup();
    },
  };
}

export interface WorkerProcess {
  process: RunningProcess;
  restUrl: string;
  /** The worker's own gRPC surface (`127.0.0.1:port`). */
  grpcAddress: string;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `tasker-worker` with the example handlers and templates; resolves once its /health/ready says ready. */
export function startWorkerProcess(
  orchestration: Orchestration,
  transport: 'grpc' | 'rest',
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  return retryOnPortRace(() => startWorkerProcessOnce(orchestration, transport, extraArgs, env));
}

async function startWorkerProcessOnce(
  orchestration: Orchestration,
  transport: 'grpc' | 'rest',
  extraArgs: string[],
  env: Record<string, string>,
): Promise<WorkerProcess> {
  const [restPort, grpcPort] = [await freePort(), await freePort()];
  const proc = launch(
    [WORKER_BIN, '--handlers', './examples/handlers/index.ts', '--templates', './examples/templates', ...extraArgs],
    {
      TASKER_ENV: 'test',
      TASKER_WORKER_TRANSPORT: transport,
      TASKER_ORCHESTRATION_ADDRESSES: transport === 'grpc' ? orchestration.grpcAddress : orchestration.restAddress,
      TASKER_WORKER_REST_ADDRESS: `127.0.0.1:${restPort}`,
      TASKER_WORKER_GRPC_ADDRESS: `127.0.0.1:${grpcPort}`,
      TASKER_LOG_LEVEL: 'info',
      ...env,
    },
  );
  const restUrl = `http://127.0.0.1:${restPort}`;
  try {
    await until(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`worker exited early (${proc.child.exitCode})`);
        return (await fetch(`${restUrl}/health/ready`)).ok;
      },
      45_000,
      `${transport} worker readiness`,
      100,
    );
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- worker output ---\n${proc.output()}`);
  }
  return {
    process: proc,
    restUrl,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    stop: (signal = 'SIGTERM') => proc.stop(signal),
  };
}

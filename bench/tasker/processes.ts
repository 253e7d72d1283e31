// Real Tasker processes for the bench: orchestration (`packages/orchestration/src/main.ts`) and workers (the
// `tasker-worker` bin with the bench's no-op handler), each on its own free ports, sharing one generated
// config file (production overlay, auth on with one API key, logs at warn).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { PERMISSION_RESOURCES } from '@tasker/shared/permissions';
import { loadConfig } from '@tasker/shared/config';
import { readProcessTreeCpuMs } from '../lib/proc-cpu.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ORCHESTRATION_MAIN = path.join(REPO, 'packages/orchestration/src/main.ts');
const WORKER_BIN = path.join(REPO, 'packages/worker/bin/tasker-worker.mjs');
export const BENCH_TEMPLATES = path.join(REPO, 'bench/tasker/templates');
const BENCH_HANDLERS = path.join(REPO, 'bench/tasker/handlers.ts');
/** Of the generated form, so every reader accepts it. */
export const BENCH_API_KEY = `tsk_${'bench-admin-key'.padEnd(43, 'x')}`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * One complete config file for every process of a run: production settings, auth on with the bench's API key
 * (every grant), warn-level logs, no backpressure limit in the way of pre-created backlogs.
 */
export async function writeBenchConfig(): Promise<string> {
  const config = loadConfig({
    env: { TASKER_ENV: 'production' },
    overrides: {
      data_dir: path.join(os.tmpdir(), 'tasker-bench'),
      logging: { level: 'warn' },
      backpressure: { max_pending_steps: 10_000_000 },
      auth: {
        enabled: true,
        api_keys: {
          enabled: true,
          keys: [
            {
              key: BENCH_API_KEY,
              permissions: PERMISSION_RESOURCES.map((r) => `${r}:*`),
              description: 'bench',
              namespaces: null,
            },
          ],
        },
      },
      worker: { orchestration: { api_key: BENCH_API_KEY } },
    },
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tasker-bench-config-'));
  const file = path.join(dir, 'bench.yaml');
  await writeFile(file, stringify(config));
  return file;
}

export interface RunningProcess {
  readonly pid: number;
  output(): string;
  /** CPU ms of the process tree so far. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

function launch(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: (output: string) => boolean,
): Promise<RunningProcess> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: RunningProcess = {
    pid: child.pid ?? -1,
    output: () => output,
    cpuMs: () => readProcessTreeCpuMs(child.pid ?? -1),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      void proc.stop();
      reject(new Error(`${name} was not ready within 60 s:\n${output}`));
    }, 60_000);
    const check = setInterval(() => {
      if (ready(output)) {
        clearInterval(check);
        clearTimeout(deadline);
        resolve(proc);
      } else if (child.exitCode !== null) {
        clearInterval(check);
        clearTimeout(deadline);
        reject(new Error(`${name} exited (${child.exitCode}):\n${output}`));
      }
    }, 20);
  });
}

export interface Orchestration extends RunningProcess {
  grpcAddress: string;
  restUrl: string;
}

export async function startOrchestration(databaseUrl: string, configPath: string): Promise<Orchestration> {
  const [restPort, grpcPort] = [await freePort(), await freePort()];
  const proc = await launch(
    'orchestration',
    ['--import', 'tsx', ORCHESTRATION_MAIN],
    {
      TASKER_CONFIG_PATH: configPath,
      TASKER_ENV: 'production',
      DATABASE_URL: databaseUrl,
      TASKER_REST_ADDRESS: `127.0.0.1:${restPort}`,
      TASKER_GRPC_ADDRESS: `127.0.0.1:${grpcPort}`,
    },
    (out) => out.includes('Tasker orchestration'),
  );
  return { ...proc, grpcAddress: `127.0.0.1:${grpcPort}`, restUrl: `http://127.0.0.1:${restPort}` };
}

export interface WorkerSpec {
  transport: 'grpc' | 'rest';
  concurrency: number;
}

export function startWorker(
  orchestration: Orchestration,
  configPath: string,
  spec: WorkerSpec,
): Promise<RunningProcess> {
  return launch(
    `worker (${spec.transport})`,
    [
      WORKER_BIN,
      '--handlers',
      BENCH_HANDLERS,
      '--templates',
      BENCH_TEMPLATES,
      '--no-surfaces',
      '--concurrency',
      String(spec.concurrency),
      '--transport',
      spec.transport,
      '--orchestration',
      spec.transport === 'grpc' ? orchestration.grpcAddress : orchestration.restUrl,
    ],
    // info only for the worker: its `worker ready` line says it registered and claims.
    { TASKER_CONFIG_PATH: configPath, TASKER_ENV: 'production', TASKER_LOG_LEVEL: 'info' },
    (out) => out.includes('"worker ready"') || out.includes('"msg":"worker ready"'),
  );
}

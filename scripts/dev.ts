// `npm start`: the whole product on one machine. Starts orchestration (embedded PostgreSQL unless DATABASE_URL
// is set, REST + gRPC, the dev API key), waits until it is ready, starts the example worker over gRPC, prints
// where everything is, and on Ctrl-C stops the worker first (it drains), then orchestration, and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, parseAddress, type Config } from '@tasker/shared/config';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const READY_TIMEOUT_MS = 120_000;

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

/** How a local client reaches a listener bound to `address` (wildcards become loopback). */
function localHostPort(address: string): string {
  const parsed = parseAddress(address);
  if (parsed === undefined) throw new Error(`not host:port: ${address}`);
  const host = parsed.host === '0.0.0.0' || parsed.host === '::' ? 'localhost' : parsed.host;
  return `${host.includes(':') ? `[${host}]` : host}:${parsed.port}`;
}

function prefixLines(name: string, stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream): void {
  let buffered = '';
  stream?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) out.write(`[${name}] ${line}\n`);
  });
  stream?.on('end', () => {
    if (buffered !== '') out.write(`[${name}] ${buffered}\n`);
  });
}

/**
 * Its own process group (detached), so the terminal's Ctrl-C reaches only this script, which then stops the
 * children in order instead of all at once.
 */
function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  prefixLines(name, child.stdout, process.stdout);
  prefixLines(name, child.stderr, process.stderr);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { name, process: child, exited };
}

async function waitReady(url: string, child: Child): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let dead = false;
  void child.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${child.name} exited before it was ready (see its output above)`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${child.name} was not ready within ${READY_TIMEOUT_MS / 1000} s (${url})`);
}

async function stopChild(child: Child | undefined, graceMs: number): Promise<void> {
  if (child === undefined || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

function banner(config: Config, workerTransport: string): string {
  const rest = `http://${localHostPort(config.rest.address)}`;
  const keyFile = config.auth.dev_key_file;
  const auth = config.auth.enabled && keyFile !== null ? ` -H "x-api-key: $(cat ${keyFile})"` : '';
  const body = JSON.stringify({
    namespace: 'linear_workflow',
    name: 'mathematical_sequence',
    version: '1.0.0',
    context: { even_number: 6 },
    initiator: 'me',
    source_system: 'curl',
    reason: 'trying tasker',
  });
  const lines = [
    '',
    'Tasker is running (Ctrl-C stops everything)',
    `  REST API         ${rest}/v1`,
    `  gRPC             ${localHostPort(config.grpc.address)}   (reflection on: grpcurl -plaintext ${localHostPort(config.grpc.address)} list)`,
    `  OpenAPI UI       ${rest}/api-docs/ui`,
    `  Worker (${workerTransport.padEnd(4)})    REST http://${localHostPort(config.worker.rest_address)}/health/ready   gRPC ${localHostPort(config.worker.grpc_address)}`,
    config.auth.enabled
      ? `  Dev API key      ${keyFile === null ? '(auth.dev_key_file is not set: configure an API key)' : `${resolve(ROOT, keyFile)}${existsSync(resolve(ROOT, keyFile)) ? '' : ' (not written yet)'}`}`
      : '  Auth             disabled',
    '',
    'Create a task of the linear example (6^16 at the end), then look at it:',
    `  curl -s -X POST ${rest}/v1/tasks${auth} -H 'content-type: application/json' -d '${body}'`,
    `  curl -s ${rest}/v1/tasks/<task_uuid>/workflow_steps${auth}`,
    '',
  ];
  return lines.join('\n');
}

let orchestration: Child | undefined;
let worker: Child | undefined;
let stopping: Promise<void> | undefined;
let grace = { workerMs: 40_000, orchestrationMs: 25_000 };

function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    // The worker first: it drains its running steps and gives back what it cannot finish, while
    // orchestration is still there to take the results.
    await stopChild(worker, grace.workerMs);
    await stopChild(orchestration, grace.orchestrationMs);
    process.exit(code);
  })();
  return stopping;
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, TASKER_ENV: process.env['TASKER_ENV'] || 'development' };
  const config = loadConfig({ env });
  grace = { workerMs: config.worker.drain_timeout_ms + 10_000, orchestrationMs: config.shutdown.grace_ms + 15_000 };
  const workerTransport = env['TASKER_WORKER_TRANSPORT'] || 'grpc';
  const orchestrationTarget = workerTransport === 'rest' ? config.rest.address : config.grpc.address;

  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      process.stdout.write(
        `\n${signal}: stopping the worker, then orchestration… (Ctrl-C again to skip the worker's drain)\n`,
      );
      void shutdown(0);
      return;
    }
    // tsx and npm relay the terminal's signal, so one Ctrl-C can arrive twice within milliseconds.
    if (now - firstSignalAt < 1_000) return;
    process.stderr.write(`${signal} again: killing the worker (its leases lapse on their own)\n`);
    worker?.process.kill('SIGKILL');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort if this script dies without the orderly stop (the children run in their own groups).
  process.on('exit', () => {
    for (const child of [worker, orchestration]) if (child?.process.exitCode === null) child.process.kill('SIGKILL');
  });

  orchestration = startChild('orchestration', ['--import', 'tsx', 'packages/orchestration/src/main.ts'], env);
  void orchestration.exited.then((code) => {
    if (stopping === undefined) {
      process.stderr.write(`orchestration exited unexpectedly (code ${code}); stopping\n`);
      void shutdown(1);
    }
  });
  await waitReady(`http://${localHostPort(config.rest.address)}/health/ready`, orchestration);
  if (stopping !== undefined) return;

  worker = startChild(
    'worker',
    [
      'packages/worker/bin/tasker-worker.mjs',
      '--handlers',
      './examples/handlers/index.ts',
      '--templates',
      './examples/templates',
    ],
    {
      ...env,
      TASKER_WORKER_TRANSPORT: workerTransport,
      TASKER_ORCHESTRATION_ADDRESSES: env['TASKER_ORCHESTRATION_ADDRESSES'] || localHostPort(orchestrationTarget),
    },
  );
  void worker.exited.then((code) => {
    if (stopping === undefined) {
      process.stderr.write(`worker exited unexpectedly (code ${code}); stopping\n`);
      void shutdown(1);
    }
  });
  await waitReady(`http://${localHostPort(config.worker.rest_address)}/health/ready`, worker);
  if (stopping !== undefined) return;
  process.stdout.write(`${banner(config, workerTransport)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`,
  );
  void shutdown(1);
});

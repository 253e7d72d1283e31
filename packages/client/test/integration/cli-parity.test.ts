// Every read command of the `tasker` CLI, run as a subprocess over REST and over gRPC against the same server
// and the same objects, prints the same JSON. The only allowed differences: values that depend on the moment
// of the call (listed per command).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, type TaskerClient } from '../../src/index.js';
import { bundleCli, cliRunner } from './helpers/cli.js';
import { differingPaths } from './helpers/json-diff.js';
import { LINEAR, LINEAR_YAML, OUTLIVING_YAML, claimStep, completeStep, linearInput } from './helpers/scenario.js';
import { TEST_API_KEY, startTestServers, type TestServers } from './helpers/servers.js';

const TAG = 'cli-parity';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let servers: TestServers;
let script: string;
let sdk: TaskerClient;
/** A completed task that went through error, reset and resume; and one left in error with a pending DLQ entry. */
let done: string;
let failed: string;
const cwd = mkdtempSync(join(tmpdir(), 'tasker-parity-'));

async function failCharge(taskUuid: string): Promise<void> {
  await completeStep(sdk, 'parity', taskUuid, 'load_invoice', { amount: 10 });
  await completeStep(sdk, 'parity', taskUuid, 'compute_tax', { tax: 2 });
  const charge = await claimStep(sdk, 'parity', taskUuid, 'charge_card');
  await sdk.workers.fail({
    workerId: 'parity',
    stepUuid: charge.stepUuid,
    leaseToken: charge.leaseToken,
    executionTimeMs: 1,
    error: {
      message: 'declined',
      errorType: 'Declined',
      retryable: false,
      retryAfterSeconds: null,
      statusCode: 402,
      backtrace: null,
      context: null,
    },
  });
  for (let i = 0; (await sdk.tasks.get(taskUuid)).state !== 'error'; i += 1) {
    if (i > 400) throw new Error('never reached error');
    await sleep(25);
  }
}

beforeAll(async () => {
  [servers, script] = await Promise.all([startTestServers({ auth: true }), bundleCli('parity')]);
  sdk = createClient({ transport: 'rest', address: servers.address.rest, apiKey: TEST_API_KEY });
  await sdk.templates.register([LINEAR_YAML]);
  await sdk.workers.register({
    workerId: 'parity',
    hostname: 'h',
    version: '1',
    namespaces: ['billing'],
    handlers: [],
    metadata: {},
  });
  done = (await sdk.tasks.create(linearInput({ tags: [TAG], idempotencyKey: 'parity-done' }))).taskUuid;
  failed = (await sdk.tasks.create(linearInput({ tags: [TAG] }))).taskUuid;
  await failCharge(done);
  await failCharge(failed);
  const charge = (await sdk.steps.list(done)).find((s) => s.name === 'charge_card')!;
  await sdk.steps.applyManualAction(done, charge.stepUuid, {
    type: 'reset_for_retry',
    reason: 'retry',
    performedBy: 'ops',
  });
  await sdk.tasks.resume(done, { performedBy: 'ops', reason: 'fixed' });
  await completeStep(sdk, 'parity', done, 'charge_card');
  await completeStep(sdk, 'parity', done, 'send_receipt');
  for (let i = 0; (await sdk.tasks.get(done)).state !== 'complete'; i += 1) {
    if (i > 400) throw new Error('never completed');
    await sleep(25);
  }
  writeFileSync(join(cwd, 'linear.yaml'), LINEAR_YAML);
  // Registered once beforehand, so both transports' `template register` answer `unchanged` (with its warnings).
  writeFileSync(join(cwd, 'outliving.yaml'), OUTLIVING_YAML);
  await sdk.templates.register([OUTLIVING_YAML]);
}, 180_000);

afterAll(async () => {
  await sdk?.close();
  await servers?.stop();
  if (script !== undefined) rmSync(script, { force: true });
});

/** Values computed at the moment of the call: two calls a second apart legitimately differ there. */
const MOMENT_OF_CALL: Record<string, string[]> = {
  health: [
    'checks.database.duration_ms',
    'checks.migrations.duration_ms',
    'timestamp',
    // Live pool counters (every query counts; a pulse may be in flight) and when the queues were last counted.
    'info.pool_utilization.database.total_acquires',
    'info.pool_utilization.database.active_connections',
    'info.pool_utilization.database.utilization_percent',
    'info.queue_depth.measured_at',
  ],
  'health live': ['timestamp'],
  config: ['metadata.timestamp'],
  'analytics performance': ['analysis_period_start', 'calculated_at'],
  'dlq queue': ['[].minutes_in_dlq', '[].priority_score', '[].time_in_state_minutes'],
  'dlq staleness': ['[].task_age_minutes', '[].time_in_state_minutes'],
};

const commands = (): Array<[string, string[], string?]> => [
  ['task', ['task', 'get', done]],
  ['task with steps', ['task', 'get', done, '--steps']],
  ['task list', ['task', 'list', '--tag', TAG]],
  ['steps', ['task', 'steps', done]],
  ['step', ['task', 'step', done, 'charge_card']],
  ['step audit', ['task', 'step-audit', done, 'charge_card']],
  ['template list', ['template', 'list']],
  ['template', ['template', 'get', LINEAR.namespace, LINEAR.name, LINEAR.version]],
  ['template validate', ['template', 'validate', join(cwd, 'linear.yaml')]],
  ['template register', ['template', 'register', join(cwd, 'linear.yaml'), join(cwd, 'outliving.yaml')]],
  ['dlq list', ['dlq', 'list']],
  ['dlq get', ['dlq', 'get', failed]],
  ['dlq stats', ['dlq', 'stats']],
  ['dlq queue', ['dlq', 'queue']],
  ['dlq staleness', ['dlq', 'staleness']],
  ['analytics performance', ['analytics', 'performance', '--hours', '0']],
  ['analytics bottlenecks', ['analytics', 'bottlenecks', '--hours', '0', '--min-executions', '1']],
  ['worker list', ['worker', 'list']],
  ['health', ['health']],
  ['health live', ['health', '--probe', 'live']],
  ['config', ['config']],
];

it('every read command prints the same JSON over REST and gRPC', async () => {
  const cli = cliRunner(script, { cwd, env: { TASKER_API_KEY: TEST_API_KEY } });
  const problems: string[] = [];
  for (const [name, args] of commands()) {
    const [viaRest, viaGrpc] = await Promise.all(
      (['rest', 'grpc'] as const).map((t) => cli.json(['--transport', t, '--address', servers.address[t], ...args])),
    );
    const allowed = MOMENT_OF_CALL[name] ?? [];
    const unexpected = differingPaths(viaRest, viaGrpc).filter((p) => !allowed.includes(p));
    if (unexpected.length > 0) problems.push(`${name}: ${unexpected.join(', ')}`);
  }
  expect(problems).toEqual([]);
}, 300_000);

it('task watch prints the same event stream over REST and gRPC', async () => {
  const cli = cliRunner(script, { cwd, env: { TASKER_API_KEY: TEST_API_KEY } });
  const [viaRest, viaGrpc] = await Promise.all(
    (['rest', 'grpc'] as const).map((t) =>
      cli.run(['--transport', t, '--address', servers.address[t], 'task', 'watch', failed, '--output', 'json']),
    ),
  );
  expect(viaRest?.code).toBe(6);
  expect(viaGrpc?.code).toBe(6);
  expect(viaGrpc?.stdout).toBe(viaRest?.stdout);
  expect(viaRest?.stdout.trim().split('\n').length).toBeGreaterThan(10);
}, 120_000);

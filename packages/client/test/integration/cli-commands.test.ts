// The `tasker` CLI as a subprocess against a real orchestration, over each transport: every command that
// changes something, the live watch, exit codes, and where credentials come from. (Reads compared across
// transports: cli-parity.test.ts.)
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineTemplate, runWorkerLoop } from '../../../orchestration/test/integration/helpers/runtime.js';
import { createClient, type TaskerClient } from '../../src/index.js';
import { BIN, bundleCli, cliRunner, runCommand, runNode } from './helpers/cli.js';
import { LINEAR, LINEAR_YAML, MISSING_UUID, OUTLIVING_YAML, claimStep, completeStep } from './helpers/scenario.js';
import { TEST_API_KEY, startTestServers, type TestServers } from './helpers/servers.js';

const JWT_SECRET = 'cli-tests-hs256-secret-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let servers: TestServers;
let script: string;
let sdk: TaskerClient;
const cwd = mkdtempSync(join(tmpdir(), 'tasker-cli-'));

beforeAll(async () => {
  [servers, script] = await Promise.all([
    startTestServers({ auth: true, config: { auth: { jwt: { hs256_secret: JWT_SECRET } } } }),
    bundleCli('commands'),
  ]);
  sdk = createClient({ transport: 'rest', address: servers.address.rest, apiKey: TEST_API_KEY });
  await sdk.templates.register([LINEAR_YAML, DYNAMIC_YAML]);
});
afterAll(async () => {
  await sdk?.close();
  await servers?.stop();
  if (script !== undefined) rmSync(script, { force: true });
});

/** A decision that picks a batch pipeline: the watch view grows as route and split create steps. */
const DYNAMIC_YAML = pipelineTemplate('cli_dyn');
const CREATE_DYNAMIC = ['task', 'create', '--namespace', 'cli_dyn', '--name', 'pick_pipeline', '--version', '1.0.0'];

/** Runs the dynamic template's steps until aborted: route picks split, split makes 3 batches of 25 rows. */
function runDynamicWorker(signal: AbortSignal) {
  return runWorkerLoop(servers.services, {
    signal,
    concurrency: 2,
    namespaces: ['cli_dyn'],
    waitMs: 200,
    handlers: {
      'Pipeline.Route': () => ({ decision_point_outcome: { type: 'create_steps', step_names: ['split'] } }),
      'Pipeline.Split': () => ({ batch_processing_outcome: { type: 'create_batches', total_items: 25 } }),
      '*': async () => (await sleep(50), { ok: true }),
    },
  });
}

const CREATE = ['task', 'create', '--namespace', LINEAR.namespace, '--name', LINEAR.name, '--version', LINEAR.version];

async function waitForState(taskUuid: string, state: string): Promise<void> {
  for (let i = 0; (await sdk.tasks.get(taskUuid)).state !== state; i += 1) {
    if (i > 400) throw new Error(`task never reached ${state}`);
    await sleep(25);
  }
}

describe.each(['rest', 'grpc'] as const)('tasker over %s', { timeout: 240_000 }, (transport) => {
  const global = () => ['--transport', transport, '--address', servers.address[transport]];
  const cli = () =>
    cliRunner(script, {
      cwd,
      env: { TASKER_API_KEY: TEST_API_KEY, TASKER_TOKEN: undefined, TASKER_DATA_DIR: undefined },
    });
  const tag = `cli-${transport}`;
  // util-linux `script` gives the CLI a pseudo-terminal (120 columns); resolves with the run or its failure.
  const onTerminal = (args: string[]): Promise<unknown> => {
    const command = [process.execPath, script, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return runCommand('/usr/bin/script', ['-qec', command, '/dev/null'], {
      cwd,
      env: { TASKER_API_KEY: TEST_API_KEY, COLUMNS: '120' },
    }).catch((e: unknown) => e);
  };

  it('creates a task with --run-at that waits pending for its start time, and refuses a malformed one', async () => {
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const task = (await cli().json([...global(), ...CREATE, '--context', '{"invoice_id": 8}', '--run-at', runAt])) as {
      task_uuid: string;
      status: string;
      run_at: string;
      enqueued_steps: number;
    };
    expect([task.status, task.run_at, task.enqueued_steps]).toEqual(['pending', runAt, 0]);
    await sdk.tasks.cancel(task.task_uuid, { reason: 'cli test' });
    const bad = await cli().run([...global(), ...CREATE, '--context', '{"invoice_id": 8}', '--run-at', 'tomorrow']);
    expect([bad.code, bad.stderr.includes('--run-at must be an ISO 8601 date-time')]).toEqual([2, true]);
  });

  it('creates a task, fixes a failed step through the DLQ, resumes it and watches it complete', async () => {
    const task = (await cli().json([
      ...global(),
      ...CREATE,
      '--context',
      '{"invoice_id": 7}',
      '--tag',
      tag,
      '--tag',
      'first',
      '--priority',
      '3',
      '--initiator',
      'ana',
      '--reason',
      'month end',
    ])) as Record<string, unknown>;
    expect(task).toMatchObject({
      ...LINEAR,
      status: expect.any(String),
      context: { invoice_id: 7 },
      tags: [tag, 'first'],
      priority: 3,
      initiator: 'ana',
      source_system: 'cli',
      reason: 'month end',
    });
    const uuid = task.task_uuid as string;

    await completeStep(sdk, 'cli-worker', uuid, 'load_invoice');
    await completeStep(sdk, 'cli-worker', uuid, 'compute_tax');
    const charge = await claimStep(sdk, 'cli-worker', uuid, 'charge_card');
    await sdk.workers.fail({
      workerId: 'cli-worker',
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
    await waitForState(uuid, 'error');

    const audit = (await cli().json([...global(), 'task', 'step-audit', uuid, 'charge_card'])) as Array<
      Record<string, unknown>
    >;
    expect(audit[0]).toMatchObject({ action: 'worker_result', success: false, step_name: 'charge_card' });
    const entry = (await cli().json([...global(), 'dlq', 'get', uuid])) as Record<string, unknown>;
    expect(entry).toMatchObject({ task_uuid: uuid, dlq_reason: 'max_retries_exceeded', resolution_status: 'pending' });
    const updated = (await cli().json([
      ...global(),
      'dlq',
      'update',
      entry.dlq_entry_uuid as string,
      '--notes',
      'card replaced',
      '--metadata',
      '{"ticket":"OPS-7"}',
    ])) as Record<string, unknown>;
    expect(updated).toMatchObject({ resolution_notes: 'card replaced', metadata: { ticket: 'OPS-7' } });

    const reset = (await cli().json([
      ...global(),
      'task',
      'reset-step',
      uuid,
      'charge_card',
      '--reason',
      'card replaced',
      '--by',
      'ops',
    ])) as Record<string, unknown>;
    expect(reset).toMatchObject({ name: 'charge_card', current_state: 'pending', attempts: 0 });
    const again = await cli().run([...global(), 'task', 'reset-step', uuid, 'charge_card', '--reason', 'twice']);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('INVALID_STATE');
    const resumed = (await cli().json([
      ...global(),
      'task',
      'resume',
      uuid,
      '--reason',
      'fixed',
      '--by',
      'ops',
    ])) as Record<string, unknown>;
    expect(resumed.status).not.toBe('error');

    await completeStep(sdk, 'cli-worker', uuid, 'charge_card');
    const receipt = (await sdk.steps.list(uuid)).find((s) => s.name === 'send_receipt')!;
    for (let i = 0; (await sdk.steps.get(uuid, receipt.stepUuid)).state !== 'enqueued'; i += 1) {
      if (i > 400) throw new Error('send_receipt never enqueued');
      await sleep(25);
    }
    const completed = (await cli().json([
      ...global(),
      'task',
      'complete-step',
      uuid,
      receipt.stepUuid,
      '--result',
      '{"sent":true}',
      '--metadata',
      '{"channel":"mail"}',
      '--reason',
      'sent by hand',
    ])) as Record<string, unknown>;
    expect(completed).toMatchObject({ current_state: 'complete' });

    // One watch replays the resumed task through its superseded `error` to `complete` (exit 0); --after from the
    // error's cursor continues from there.
    const first = await cli().run([...global(), 'task', 'watch', uuid, '--output', 'json']);
    const firstEvents = first.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_id: number; type: string; task_state: string });
    expect(first.code).toBe(0);
    const errorEvent = firstEvents.find((e) => e.type === 'task_error');
    expect(errorEvent?.task_state).toBe('error');
    expect(firstEvents.at(-1)).toMatchObject({ type: 'task_complete', task_state: 'complete' });
    const rest = await cli().run([
      ...global(),
      'task',
      'watch',
      uuid,
      '--after',
      String(errorEvent!.event_id),
      '--output',
      'json',
    ]);
    expect(rest.code).toBe(0);
    const restEvents = rest.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_id: number });
    expect(restEvents.map((e) => e.event_id)).toEqual(
      firstEvents.filter((e) => e.event_id > errorEvent!.event_id).map((e) => e.event_id),
    );
  });

  it('create --watch follows a task live to completion (plain lines off a TTY)', async () => {
    const stop = new AbortController();
    const worker = runWorkerLoop(servers.services, {
      signal: stop.signal,
      concurrency: 1,
      namespaces: ['billing'],
      waitMs: 200,
      handlers: { '*': () => ({ ok: true }) },
    });
    const watched = await cli().run([
      ...global(),
      ...CREATE,
      '--context',
      '{"invoice_id": 8}',
      '--tag',
      tag,
      '--watch',
    ]);
    stop.abort();
    await worker;
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^created task [0-9a-f-]{36}$/);
    for (const step of ['load_invoice', 'compute_tax', 'charge_card', 'send_receipt']) {
      expect(lines.some((l) => l.includes(`step  ${step}  complete  attempt 1`))).toBe(true);
    }
    expect(lines.at(-1)).toMatch(/task {2}complete$/);
  });

  // util-linux `script` gives the CLI a pseudo-terminal, so the live view redraws in place.
  it.runIf(existsSync('/usr/bin/script'))('create --watch on a terminal redraws the DAG view in place', async () => {
    const stop = new AbortController();
    const worker = runWorkerLoop(servers.services, {
      signal: stop.signal,
      concurrency: 1,
      namespaces: ['billing'],
      waitMs: 200,
      handlers: { '*': async () => (await sleep(100), { ok: true }) },
    });
    const tty = await onTerminal([...global(), ...CREATE, '--context', '{"invoice_id": 10}', '--tag', tag, '--watch']);
    stop.abort();
    await worker;
    expect(tty).toMatchObject({ code: 0 });
    const out = (tty as { stdout: string }).stdout;
    expect(out).toContain('\x1b[0J');
    const finalView = out.slice(out.lastIndexOf('\x1b[0J'));
    for (const step of ['load_invoice', 'compute_tax', 'charge_card', 'send_receipt'])
      expect(finalView).toMatch(new RegExp(`✓ ${step}\\s+complete\\s+attempt 1/\\d`));
    expect(finalView).toMatch(/← compute_tax/);
  });

  it('watch prints the expansions of a dynamic task as plain lines', async () => {
    const stop = new AbortController();
    const worker = runDynamicWorker(stop.signal);
    const watched = await cli().run([
      ...global(),
      ...CREATE_DYNAMIC,
      '--context',
      `{"run": "${tag}-plain"}`,
      '--watch',
    ]);
    stop.abort();
    await worker;
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trim().split('\n');
    const decision = lines.findIndex((l) => /#\d+ {2}decision\.branches_created {2}route {2}→ split$/.test(l));
    const batch = lines.findIndex((l) =>
      l.endsWith('batch.workers_created  split  → chunk_001, chunk_002, chunk_003, merge  batches 001, 002, 003'),
    );
    expect(decision).toBeGreaterThan(0);
    expect(batch).toBeGreaterThan(decision);
    expect(lines.findIndex((l) => l.includes('step  chunk_002  complete'))).toBeGreaterThan(batch);
    expect(lines.at(-1)).toMatch(/task {2}complete$/);
  });

  it.runIf(existsSync('/usr/bin/script'))(
    "watch on a terminal draws a dynamic task's steps under the steps that created them",
    async () => {
      const stop = new AbortController();
      const worker = runDynamicWorker(stop.signal);
      const tty = await onTerminal([...global(), ...CREATE_DYNAMIC, '--context', `{"run": "${tag}-tty"}`, '--watch']);
      stop.abort();
      await worker;
      expect(tty).toMatchObject({ code: 0 });
      const out = (tty as { stdout: string }).stdout;
      const finalView = out.slice(out.lastIndexOf('\x1b[0J')).replace(/\r/g, '');
      const rows = finalView
        .split('\n')
        .slice(1)
        .map((l) => /^( *)\S (\S+) +(\S+)/.exec(l))
        .filter((m) => m !== null)
        .map((m) => `${m[1]!.length} ${m[2]} ${m[3]}`);
      expect(rows).toEqual([
        '2 start complete',
        '2 route complete',
        '4 split complete',
        '6 chunk_001 complete',
        '6 chunk_002 complete',
        '6 chunk_003 complete',
        '6 merge complete',
      ]);
    },
  );

  it('resolves a step, cancels, and exits by outcome', async () => {
    const task = (await cli().json([...global(), ...CREATE, '--context', '{"invoice_id": 9}', '--tag', tag])) as {
      task_uuid: string;
    };
    const resolved = (await cli().json([
      ...global(),
      'task',
      'resolve-step',
      task.task_uuid,
      'load_invoice',
      '--reason',
      'done elsewhere',
    ])) as Record<string, unknown>;
    expect(resolved).toMatchObject({ name: 'load_invoice', current_state: 'resolved_manually' });
    const cancelled = (await cli().json([
      ...global(),
      'task',
      'cancel',
      task.task_uuid,
      '--reason',
      'duplicate',
    ])) as Record<string, unknown>;
    expect(cancelled.status).toBe('cancelled');
    expect((await cli().run([...global(), 'task', 'cancel', task.task_uuid])).code).toBe(5);
    const watch = await cli().run([...global(), 'task', 'watch', task.task_uuid]);
    expect(watch.code).toBe(6);
    expect(watch.stdout.trim().split('\n').at(-1)).toMatch(/task {2}cancelled$/);
  });

  it('creates with --options, opens a manual DLQ entry and closes the failed task with task resolve', async () => {
    const task = (await cli().json([
      ...global(),
      ...CREATE,
      '--context',
      '{"invoice_id": 11}',
      '--tag',
      tag,
      '--options',
      '{"channel":"cli","ticket":"OPS-9"}',
    ])) as Record<string, unknown>;
    expect(task.options).toEqual({ channel: 'cli', ticket: 'OPS-9' });
    const uuid = task.task_uuid as string;
    const notStrings = await cli().run([
      ...global(),
      ...CREATE,
      '--context',
      '{"invoice_id": 12}',
      '--options',
      '{"retries":3}',
    ]);
    expect([notStrings.code, notStrings.stderr.includes('--options values must be strings')]).toEqual([2, true]);

    const entry = (await cli().json([
      ...global(),
      'dlq',
      'create',
      uuid,
      '--reason',
      'customer says stuck',
      '--by',
      'ops',
    ])) as Record<string, unknown>;
    expect(entry).toMatchObject({
      task_uuid: uuid,
      dlq_reason: 'manual_dlq',
      resolution_status: 'pending',
      task_snapshot: { manual_dlq: { opened_by: 'ops' } },
    });
    const twice = await cli().run([...global(), 'dlq', 'create', uuid, '--reason', 'again']);
    expect([twice.code, twice.stderr.includes('ALREADY_EXISTS')]).toEqual([5, true]);

    await completeStep(sdk, 'cli-worker', uuid, 'load_invoice');
    await completeStep(sdk, 'cli-worker', uuid, 'compute_tax');
    const charge = await claimStep(sdk, 'cli-worker', uuid, 'charge_card');
    await sdk.workers.fail({
      workerId: 'cli-worker',
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
    await waitForState(uuid, 'error');
    const closed = (await cli().json([
      ...global(),
      'task',
      'resolve',
      uuid,
      '--reason',
      'refunded by hand',
      '--by',
      'ops',
    ])) as Record<string, unknown>;
    expect(closed).toMatchObject({
      status: 'resolved_manually',
      failed_steps: 1,
      cancelled_steps: 1,
      options: { channel: 'cli', ticket: 'OPS-9' },
    });
    expect(await cli().json([...global(), 'dlq', 'get', uuid])).toMatchObject({
      resolution_status: 'manually_resolved',
      resolved_by: 'ops',
      resolution_notes: 'refunded by hand',
    });
    expect((await cli().run([...global(), 'task', 'resolve', uuid, '--reason', 'twice'])).code).toBe(5);
  });

  it('distinguishes usage errors, missing things, refused credentials and invalid input', async () => {
    const missing = await cli().run([...global(), 'task', 'get', MISSING_UUID]);
    expect(missing).toMatchObject({ code: 3 });
    expect(missing.stderr).toContain('NOT_FOUND');
    expect((await cli().run([...global(), ...CREATE, '--context', '{not json'])).code).toBe(2);
    expect((await cli().run([...global(), 'task', 'frobnicate'])).code).toBe(2);
    expect((await cli().run([...global(), 'task', 'list', '--per-page', '1000'])).code).toBe(2);
    const invalid = await cli().run([...global(), ...CREATE, '--context', '{"invoice_id": "seven"}']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('VALIDATION_FAILED');
    expect(invalid.stderr).toContain('context');
    const badKey = await cli().run([...global(), 'task', 'list'], {
      env: { TASKER_API_KEY: 'wrong-key-wrong-key-wrong' },
    });
    expect(badKey.code).toBe(4);
    expect((await cli().run([...global(), 'task', 'list'], { env: { TASKER_API_KEY: undefined } })).code).toBe(4);
    const unreachable = await cli().run([
      '--transport',
      transport,
      '--address',
      '127.0.0.1:1',
      '--timeout',
      '2000',
      'task',
      'list',
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('UNAVAILABLE');
  });

  it('finds the dev key file, validates and registers templates', async () => {
    const dataDir = join(cwd, `data-${transport}`);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'dev-api-key'), `${TEST_API_KEY}\n`, { mode: 0o600 });
    const listed = await cli().run([...global(), 'task', 'list', '--tag', tag, '--output', 'json'], {
      env: { TASKER_API_KEY: undefined, TASKER_DATA_DIR: dataDir },
    });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { tasks: unknown[] }).tasks.length).toBeGreaterThanOrEqual(3);

    const good = join(cwd, 'linear.yaml');
    writeFileSync(good, LINEAR_YAML);
    const bad = join(cwd, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        name: 'x',
        namespace_name: 'billing',
        version: '1.0.0',
        steps: [{ name: 'a', handler: { callable: 'A' }, dependencies: ['ghost'] }],
      }),
    );
    expect(await cli().json([...global(), 'template', 'validate', good])).toEqual({ valid: true, errors: [] });
    const invalid = await cli().run([...global(), 'template', 'validate', bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain('steps[0].dependencies');

    const outliving = join(cwd, 'outliving.yaml');
    writeFileSync(outliving, OUTLIVING_YAML);
    const registered = await cli().run([...global(), 'template', 'register', good, outliving]);
    expect(registered.code).toBe(0);
    expect(registered.stdout).toMatch(
      /^billing\/invoice_settlement@1\.0\.0: unchanged\nbilling\/outliving@1\.0\.0: (created|unchanged)\n  warning: steps\[0\]\.timeout_seconds: 3600 s \(60 min\) is longer than the task's maximum lifetime of 30 min/,
    );
    const json = (await cli().json([...global(), 'template', 'register', outliving])) as {
      registrations: { outcome: string; warnings: { path: string }[] }[];
    };
    expect(json.registrations).toEqual([
      expect.objectContaining({
        outcome: 'unchanged',
        warnings: [expect.objectContaining({ path: 'steps[0].timeout_seconds' })],
      }),
    ]);
    const refused = await cli().run([...global(), 'template', 'register', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('steps[0].dependencies');
  });

  it('generates a token the server accepts and validates it', async () => {
    const generated = (await cli().json([
      'auth',
      'generate-token',
      '--secret',
      JWT_SECRET,
      '--sub',
      'ci',
      '--permissions',
      'tasks:read,tasks:list',
      '--expires-in',
      '10m',
    ])) as { token: string };
    const valid = (await cli().json(['auth', 'validate-token', generated.token, '--secret', JWT_SECRET])) as Record<
      string,
      unknown
    >;
    expect(valid).toMatchObject({
      valid: true,
      subject: 'ci',
      permissions: ['tasks:read', 'tasks:list'],
      issuer: 'tasker',
      audience: 'tasker-api',
    });
    const withToken = await cli().run(
      [...global(), '--token', generated.token, 'task', 'list', '--tag', tag, '--output', 'json'],
      { env: { TASKER_API_KEY: undefined } },
    );
    expect(withToken.code).toBe(0);
    const denied = await cli().run([...global(), '--token', generated.token, 'dlq', 'stats'], {
      env: { TASKER_API_KEY: undefined },
    });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain('PERMISSION_DENIED');
    const tampered = await cli().run([
      'auth',
      'validate-token',
      `${generated.token.slice(0, -3)}abc`,
      '--secret',
      JWT_SECRET,
    ]);
    expect(tampered.code).toBe(4);
    const wrongSecret = await cli().run([
      'auth',
      'validate-token',
      generated.token,
      '--secret',
      'another-secret-another-secret-12345',
    ]);
    expect(wrongSecret.code).toBe(4);
  });
});

it('the bin runs the TypeScript sources inside the workspace', async () => {
  const help = await runNode(BIN, ['--help'], { cwd });
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: tasker');
  for (const group of ['task', 'template', 'dlq', 'analytics', 'worker', 'health', 'config', 'auth'])
    expect(help.stdout).toContain(group);
  const live = await runNode(
    BIN,
    ['--address', servers.address.rest, 'health', '--probe', 'live', '--output', 'json'],
    { cwd },
  );
  expect(live.code).toBe(0);
  expect(JSON.parse(live.stdout)).toMatchObject({ status: 'alive' });
}, 120_000);

// Engine throughput and latency through the service layer (no transport): SQL round trips per created task
// and per completed step, steps/s with batched claims, and create → complete latency of linear and diamond
// tasks run one at a time.
//   npx tsx bench/engine-throughput.ts [--tasks 400] [--latency 100] [--lanes 8] [--batch 32] [--async-commit] [--keep]
//                                      [--result-schema] [--report-elsewhere]
// --async-commit sets synchronous_commit=off on the engine's pool: not durable, but it separates the engine's
// own cost from the machine's commit (fsync) latency, which the output reports first.
// --result-schema gives every step a result_schema (the results pass it); --report-elsewhere reports results
// through a second runtime (another replica on the same pool) than the one that claimed, so none of them is
// known from a claim and result_schema enforcement has to look them up.
// DATABASE_URL (a maintenance database; a scratch database is created on that server) or an embedded server
// with default (durable) settings in a temp dir.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres, { type Sql } from 'postgres';
import { loadConfig } from '@tasker/shared/config';
import { ALL_PERMISSIONS_PRINCIPAL } from '@tasker/shared/permissions';
import type { ClaimedStep } from '@tasker/shared';
import {
  allowPostgresUserToEnter,
  quoteIdentifier,
  startEmbeddedPostgres,
} from '../packages/orchestration/src/db/embedded.js';
import { migrate } from '../packages/orchestration/src/db/migrate.js';
import { createRuntime } from '../packages/orchestration/src/runtime.js';
import type { Services } from '../packages/orchestration/src/services/types.js';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '400' },
    latency: { type: 'string', default: '100' },
    lanes: { type: 'string', default: '8' },
    batch: { type: 'string', default: '32' },
    'async-commit': { type: 'boolean', default: false },
    'result-schema': { type: 'boolean', default: false },
    'report-elsewhere': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const P = ALL_PERMISSIONS_PRINCIPAL;
const TASK = { initiator: 'bench', sourceSystem: 'bench', reason: 'bench' };
const RESULT_SCHEMA = args['result-schema']
  ? { result_schema: { type: 'object', required: ['ok'], properties: { ok: { const: true } } } }
  : {};
const LINEAR = {
  name: 'linear',
  namespace_name: 'bench',
  version: '1.0.0',
  identity_strategy: 'always_unique',
  steps: ['a', 'b', 'c', 'd'].map((name, i, all) => ({
    name,
    handler: { callable: 'Bench.Step' },
    dependencies: i === 0 ? [] : [all[i - 1]],
    ...RESULT_SCHEMA,
  })),
};
const DIAMOND = {
  name: 'diamond',
  namespace_name: 'bench',
  version: '1.0.0',
  identity_strategy: 'always_unique',
  steps: [
    { name: 'a', handler: { callable: 'Bench.Step' }, ...RESULT_SCHEMA },
    { name: 'b', handler: { callable: 'Bench.Step' }, dependencies: ['a'], ...RESULT_SCHEMA },
    { name: 'c', handler: { callable: 'Bench.Step' }, dependencies: ['a'], ...RESULT_SCHEMA },
    { name: 'd', handler: { callable: 'Bench.Step' }, dependencies: ['b', 'c'], ...RESULT_SCHEMA },
  ],
};

/** Same conventions as db/connect.ts's createSql (int8 as number) plus a query counter via `debug`. */
function countingSql(url: string, max: number, asyncCommit: boolean): { sql: Sql; queries: () => number } {
  let count = 0;
  const sql = postgres(url, {
    max,
    ...(asyncCommit ? { connection: { synchronous_commit: 'off' } } : {}),
    onnotice: () => undefined,
    types: { int8: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
    debug: () => {
      count += 1;
    },
  }) as unknown as Sql;
  return { sql, queries: () => count };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Claims through `services`, reports through `reporting` (another replica, or the same). */
async function runWorkers(
  services: Services,
  lanes: number,
  batch: number,
  signal: AbortSignal,
  reporting: Services = services,
): Promise<number> {
  let done = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const workerId = `bench-${lane}`;
      while (!signal.aborted) {
        const steps: ClaimedStep[] = await services.workers.claim(
          P,
          { workerId, namespaces: ['bench'], handlerNames: [], maxSteps: batch, waitMs: 1000 },
          signal,
        );
        for (const s of steps) {
          await reporting.workers.complete(P, {
            workerId,
            stepUuid: s.stepUuid,
            leaseToken: s.leaseToken,
            result: { ok: true },
            executionTimeMs: 0,
            metadata: null,
          });
          done += 1;
        }
      }
    }),
  );
  return done;
}

async function main(): Promise<void> {
  const cleanups: (() => Promise<unknown>)[] = [];
  let adminUrl = process.env['DATABASE_URL'];
  if (adminUrl === undefined || adminUrl === '') {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'tasker-bench-'));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    await allowPostgresUserToEnter(tmp);
    const server = await startEmbeddedPostgres({
      dataDir: path.join(tmp, 'pg'),
      port: 0,
      database: 'postgres',
      settings: { max_connections: '100' },
    });
    cleanups.push(() => server.stop());
    adminUrl = server.adminUrl;
  }
  const dbName = `tasker_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${quoteIdentifier(dbName)}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  cleanups.push(() => admin.end());
  if (!args.keep)
    cleanups.push(async () => admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdentifier(dbName)} WITH (FORCE)`));

  const { sql, queries } = countingSql(url.toString(), 20, args['async-commit'] === true);
  // Progress polling goes through its own pool so it never shows up in the round-trip counts.
  const observer = postgres(url.toString(), { max: 1, onnotice: () => undefined });
  cleanups.push(() => observer.end());
  try {
    await migrate(sql);
    // What one durable commit costs on this machine right now: the floor under every number below.
    await observer`CREATE TABLE commit_probe (id serial PRIMARY KEY)`;
    const probeStart = performance.now();
    for (let i = 0; i < 50; i += 1) await observer`INSERT INTO commit_probe DEFAULT VALUES`;
    const commitMs = (performance.now() - probeStart) / 50;
    const config = loadConfig({ env: { TASKER_ENV: 'development' }, overrides: { logging: { level: 'silent' } } });
    const runtime = await createRuntime({ sql, config });
    await runtime.start();
    const { services } = runtime;
    // A second replica on the same (counted) pool when results are to be reported elsewhere.
    const elsewhere = args['report-elsewhere'] ? await createRuntime({ sql, config }) : undefined;
    await elsewhere?.start();
    const reporting = elsewhere?.services ?? services;
    await services.templates.register(P, [LINEAR, DIAMOND], { force: false });
    await services.tasks.create(P, { ...TASK, namespace: 'bench', name: 'linear', version: '1.0.0', context: {} }); // warms the template cache

    // 1. Round trips per created task (template from the cache).
    const n = Number(args.tasks);
    let before = queries();
    for (let i = 0; i < n; i += 1) {
      await services.tasks.create(P, {
        ...TASK,
        namespace: 'bench',
        name: i % 2 === 0 ? 'linear' : 'diamond',
        version: '1.0.0',
        context: { i },
      });
    }
    const perCreate = (queries() - before) / n;

    // 2. Throughput and round trips per completed step: the tasks above plus the warm-up task.
    const totalSteps = (n + 1) * 4;
    const controller = new AbortController();
    before = queries();
    const started = performance.now();
    const lanes = Number(args.lanes);
    const workers = runWorkers(services, lanes, Number(args.batch), controller.signal, reporting);
    for (;;) {
      const [row] = await observer<
        { open: number }[]
      >`SELECT count(*)::int AS open FROM tasker.steps WHERE state <> 'complete'`;
      if (row?.open === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - started) / 1000;
    const afterSteps = queries();
    controller.abort();
    await workers;
    const perStep = (afterSteps - before) / totalSteps;

    // 3. Latency, one task at a time, workers running (batch 1 as a latency-minded worker would).
    const latency: Record<string, number[]> = { linear: [], diamond: [] };
    const lat = new AbortController();
    const latWorkers = runWorkers(services, 4, 1, lat.signal, reporting);
    for (const name of ['linear', 'diamond'] as const) {
      for (let i = 0; i < Number(args.latency); i += 1) {
        const t0 = performance.now();
        const task = await services.tasks.create(P, {
          ...TASK,
          namespace: 'bench',
          name,
          version: '1.0.0',
          context: { i },
        });
        for await (const event of services.taskEvents.watch(P, task.taskUuid, {})) {
          if (event.taskState === 'complete') break;
        }
        latency[name]?.push(performance.now() - t0);
      }
    }
    lat.abort();
    await latWorkers;
    await elsewhere?.stop();
    await runtime.stop();

    const mode = args['async-commit'] ? 'synchronous_commit=off' : 'durable commits';
    const variant = `${args['result-schema'] ? ', result_schema on every step' : ''}${args['report-elsewhere'] ? ', results reported to another replica' : ''}`;
    console.log(
      `\nengine bench (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'}, ${mode}), ${n} tasks, ${lanes} lanes, claim batch ${args.batch}${variant}`,
    );
    console.log(`  one durable single-row commit: ${commitMs.toFixed(2)} ms`);
    console.log(`  SQL round trips per created task:   ${perCreate.toFixed(2)}`);
    console.log(
      `  SQL round trips per completed step: ${perStep.toFixed(2)} (claims amortised over the batch + 1 complete)`,
    );
    console.log(
      `  throughput: ${(totalSteps / seconds).toFixed(0)} steps/s (${totalSteps} steps in ${seconds.toFixed(2)} s)`,
    );
    for (const [name, values] of Object.entries(latency)) {
      const sorted = [...values].sort((x, y) => x - y);
      console.log(
        `  ${name} (4 steps) create → complete: p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`,
      );
    }
  } finally {
    await sql.end({ timeout: 5 });
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => console.error(err));
  }
}

await main();

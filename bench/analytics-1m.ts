// Analytics and DLQ read queries at scale: seeds N tasks (default 1,000,000; 4 steps each, one attempt per run
// step, a DLQ entry per error task) into a scratch database with generate_series, then times every service
// call and prints the plan of each SQL statement (auto_explain, ANALYZE + BUFFERS) as the services run it.
//   npx tsx bench/analytics-1m.ts [--tasks N] [--keep] [--reuse DATABASE]
// DATABASE_URL (a maintenance database, superuser for LOAD 'auto_explain') or an embedded server in a temp dir.
// The scratch database is dropped afterwards unless --keep; --reuse measures a kept one again without seeding.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Notice, Sql } from 'postgres';
import { loadConfig } from '@tasker/shared/config';
import { ALL_PERMISSIONS_PRINCIPAL } from '@tasker/shared/permissions';
import { createSql } from '../packages/orchestration/src/db/connect.js';
import {
  allowPostgresUserToEnter,
  quoteIdentifier,
  startEmbeddedPostgres,
} from '../packages/orchestration/src/db/embedded.js';
import { migrate } from '../packages/orchestration/src/db/migrate.js';
import { countEnqueuedStepsByNamespace } from '../packages/orchestration/src/repositories/analytics.js';
import { createAnalyticsService } from '../packages/orchestration/src/services/analytics.js';
import { createDlqService } from '../packages/orchestration/src/services/dlq-investigations.js';

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
  },
});
const TASKS = Number(args.tasks);
const RUNS = 5;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const out = await run();
  console.log(`  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

/** Tasks spread evenly over 30 days; those of the last 2 hours still running, the rest 93/5/2 % complete/error/cancelled. */
async function seed(sql: Sql, n: number): Promise<void> {
  await sql`set synchronous_commit = off`;
  await sql`set maintenance_work_mem = '256MB'`;
  await timed(
    'templates',
    () => sql`
    insert into tasker.templates (namespace, name, version, definition, configuration, content_hash)
    select 'ns_' || (g % 5), 'flow_' || (g / 5), '1.0.0', jsonb_build_object('lifecycle', null), '{}', 'sha256:bench' || g
    from generate_series(0, 19) g`,
  );
  await timed(
    `tasks (${n})`,
    () => sql`
    insert into tasker.tasks (template_uuid, namespace, name, version, state, state_entered_at, identity_hash,
      requested_at, created_at, updated_at, completed_at, steps_total, steps_pending, steps_enqueued,
      steps_complete, steps_error, steps_cancelled)
    select tp.template_uuid, tp.namespace, tp.name, tp.version, x.state,
           coalesce(x.done, x.created), 'bench-' || x.i, x.created, x.created, coalesce(x.done, x.created), x.done, 4,
           case when x.state = 'steps_in_process' then 1 else 0 end,
           case when x.state = 'steps_in_process' then 1 else 0 end,
           case x.state when 'complete' then 4 when 'error' then 3 when 'steps_in_process' then 2 else 0 end,
           case when x.state = 'error' then 1 else 0 end,
           case when x.state = 'cancelled' then 4 else 0 end
    from (
      select i, created,
             case when created > now() - interval '2 hours' then 'steps_in_process'
                  when i % 100 < 93 then 'complete' when i % 100 < 98 then 'error' else 'cancelled' end as state,
             case when created > now() - interval '2 hours' then null
                  else created + make_interval(secs => 10 + i % 290) end as done
      from (select i, now() - (i::float8 / ${n}) * interval '30 days' as created from generate_series(1, ${n}) i) c
    ) x
    join (select template_uuid, namespace, name, version, row_number() over (order by namespace, name) - 1 as k
          from tasker.templates) tp on tp.k = x.i % 20`,
  );
  await timed(
    `steps (${n * 4})`,
    () => sql`
    insert into tasker.steps (task_uuid, name, state, namespace, handler_callable, attempts, created_at, updated_at,
      completed_at, last_failure_at, last_attempted_at, enqueued_at)
    select t.task_uuid, 'step_' || k, s.state, t.namespace, 'Bench.Step' || k,
           case when s.state in ('complete', 'error') then 1 else 0 end, t.created_at, coalesce(s.ended, t.created_at),
           case when s.state in ('complete', 'cancelled') then coalesce(s.ended, t.completed_at) end,
           case when s.state = 'error' then s.ended end,
           case when s.state in ('complete', 'error') then s.started end,
           case when s.state = 'enqueued' then t.created_at end
    from tasker.tasks t
    cross join generate_series(1, 4) k
    cross join lateral (
      select case t.state
               when 'complete' then 'complete'
               when 'cancelled' then 'cancelled'
               when 'error' then case when k = 4 then 'error' else 'complete' end
               else case when k <= 2 then 'complete' when k = 3 then 'enqueued' else 'pending' end end as state,
             t.created_at + (k - 1) * coalesce(t.completed_at - t.created_at, interval '1 minute') / 4 as started,
             t.created_at + k * coalesce(t.completed_at - t.created_at, interval '1 minute') / 4 as ended
    ) s`,
  );
  await timed(
    'attempts',
    () => sql`
    insert into tasker.step_attempts (lease_token, task_uuid, step_uuid, attempt, worker_id, claimed_at, finished_at,
      outcome, execution_time_ms)
    select gen_random_uuid(), s.task_uuid, s.step_uuid, 1, 'bench-worker', s.last_attempted_at,
           coalesce(s.completed_at, s.last_failure_at), case when s.state = 'complete' then 'completed' else 'failed' end,
           (extract(epoch from coalesce(s.completed_at, s.last_failure_at) - s.last_attempted_at) * 1000)::int
    from tasker.steps s where s.state in ('complete', 'error')`,
  );
  await timed(
    'dlq entries',
    () => sql`
    insert into tasker.dlq_entries (task_uuid, original_state, reason, dlq_timestamp, resolution_status,
      resolution_timestamp, resolved_by, created_at, updated_at)
    select t.task_uuid, 'blocked_by_failures', 'max_retries_exceeded', t.completed_at,
           case when t.created_at > now() - interval '3 days' then 'pending' else 'manually_resolved' end,
           case when t.created_at > now() - interval '3 days' then null else t.completed_at + interval '25 minutes' end,
           case when t.created_at > now() - interval '3 days' then null else 'bench-operator' end,
           t.completed_at, t.completed_at
    from tasker.tasks t where t.state = 'error'`,
  );
  await timed('vacuum analyze', async () => {
    for (const table of ['templates', 'tasks', 'steps', 'step_attempts', 'dlq_entries']) {
      await sql.unsafe(`vacuum (analyze) tasker.${table}`);
    }
  });
}

async function main(): Promise<void> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    let adminUrl = process.env['DATABASE_URL'];
    if (adminUrl === undefined || adminUrl === '') {
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'tasker-bench-pg-'));
      cleanups.push(() => rm(tmp, { recursive: true, force: true }));
      await allowPostgresUserToEnter(tmp);
      const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: 0, database: 'postgres' });
      cleanups.push(() => server.stop());
      adminUrl = server.adminUrl;
    }
    const name = args.reuse ?? `tasker_bench_${randomBytes(4).toString('hex')}`;
    if (args.reuse === undefined) {
      const admin = createSql(adminUrl, { max: 1 });
      await admin.unsafe(`create database ${quoteIdentifier(name)}`);
      await admin.end();
    }
    if (!args.keep && args.reuse === undefined) {
      cleanups.push(async () => {
        const a = createSql(adminUrl as string, { max: 1 });
        await a.unsafe(`drop database if exists ${quoteIdentifier(name)} with (force)`).finally(() => a.end());
      });
    } else if (args.reuse === undefined) console.log(`keeping database ${name}`);

    const url = withDatabase(adminUrl, name);
    const sql = createSql(url, { max: 4 });
    cleanups.push(() => sql.end());
    if (args.reuse === undefined) {
      await migrate(sql);
      console.log(`seeding ${TASKS} tasks into ${name}`);
      await seed(sql, TASKS);
    }
    const [size] = await sql<{ size: string; tasks: number; steps: number }[]>`
      select pg_size_pretty(pg_database_size(current_database())) as size,
             (select count(*) from tasker.tasks) as tasks, (select count(*) from tasker.steps) as steps`;
    console.log(`database ${name}: ${size?.tasks} tasks, ${size?.steps} steps, ${size?.size}`);

    const config = loadConfig({ env: { TASKER_ENV: 'test' }, overrides: { analytics: { cache_ttl_ms: 0 } } });
    const calls = (s: Sql): [string, () => Promise<unknown>][] => {
      const analytics = createAnalyticsService({ sql: s, config });
      const dlq = createDlqService({ sql: s, config });
      const p = ALL_PERMISSIONS_PRINCIPAL;
      return [
        ['performance(hours=1)', () => analytics.performance(p, 1)],
        ['performance(hours=24)', () => analytics.performance(p, 24)],
        ['performance(hours=0, all time)', () => analytics.performance(p, 0)],
        ['bottlenecks(hours=24)', () => analytics.bottlenecks(p, { hours: 24, limit: 10, minExecutions: 5 })],
        ['bottlenecks(hours=0, all time)', () => analytics.bottlenecks(p, { hours: 0, limit: 10, minExecutions: 5 })],
        ['dlq.list(pending, 50)', () => dlq.list(p, { resolutionStatus: 'pending', limit: 50, offset: 0 })],
        ['dlq.stats', () => dlq.stats(p)],
        ['dlq.investigationQueue(100)', () => dlq.investigationQueue(p, 100)],
        ['dlq.staleness(100)', () => dlq.staleness(p, 100)],
        ['metrics queue depth', () => countEnqueuedStepsByNamespace(s)],
      ];
    };

    console.log(`\n## Timings (ms over ${RUNS} runs, cache off)\n\n| call | min | median | max |\n|---|---|---|---|`);
    for (const [label, run] of calls(sql)) {
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i += 1) {
        const started = performance.now();
        await run();
        ms.push(performance.now() - started);
      }
      ms.sort((a, b) => a - b);
      const f = (x: number | undefined) => (x ?? 0).toFixed(1);
      console.log(`| ${label} | ${f(ms[0])} | ${f(ms[Math.floor(RUNS / 2)])} | ${f(ms[RUNS - 1])} |`);
    }

    // One connection with auto_explain: the server reports each statement's plan to us as a LOG notice.
    const plans: string[] = [];
    const explained = createSql(url, {
      max: 1,
      onNotice: (n: Notice) => {
        if (typeof n['message'] === 'string' && n['message'].startsWith('duration')) plans.push(n['message']);
      },
    });
    cleanups.push(() => explained.end());
    await explained.unsafe(`load 'auto_explain'`);
    await explained.unsafe(`set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on;
      set auto_explain.log_buffers = on; set auto_explain.log_timing = on; set auto_explain.log_nested_statements = off;
      set client_min_messages = log`);
    console.log('\n## Plans (auto_explain: ANALYZE, BUFFERS)');
    for (const [label, run] of calls(explained)) {
      plans.length = 0;
      await run();
      console.log(`\n### ${label}\n`);
      for (const plan of plans.filter((p) => !/Query Text: select now\(\) as now/.test(p))) {
        console.log('```\n' + plan + '\n```');
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => console.error('cleanup:', e));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

// The suites `npm run bench` runs, in this order, one at a time (WAL and PostgreSQL CPU are server-wide).
//
// Figure ids are stable: a suite compares its figures to another's by id (Figure.baseline, ratio =
// value / baseline value, p50 / p50 for distributions), so renaming one breaks those comparisons.
//
// floor (postgres.js, claim … FOR UPDATE SKIP LOCKED + one complete statement, durable commits)
//   floor.chain4.latency                      ms, distribution: INSERT of job 1 → completing UPDATE of job 4 returned
//   floor.throughput.default                  per_s: 1 lane, claim 1, one UPDATE per job
//   floor.throughput.batched                  per_s: 4 lanes, claim 32, one UPDATE per batch
// graphile (graphile-worker 0.18.0)
//   graphile.chain4.latency                   ms: addJob of job 1 → job 4's row deleted; defaults (concurrency 1)
//   graphile.throughput.default               per_s: library defaults (concurrency 1, no local queue)
//   graphile.throughput.tuned                 per_s: concurrency 10, localQueue.size 32, completeJobBatchDelay 0
// pgboss (pg-boss 12.38.0)
//   pgboss.chain4.latency                     ms: send of job 1 → job 4 state 'completed'; LISTEN/NOTIFY on (opt-in)
//   pgboss.throughput.default                 per_s: defaults (batchSize 1, 2 s polling): steady rate in a window
//   pgboss.throughput.tuned                   per_s: batchSize 32, localConcurrency 4, burstWhenBatchFull
// per job, for every throughput run above (<variant> = default | batched | tuned), over that run's window:
//   <suite>.per_job.<variant>.rows            rows: pg_stat_user_tables n_tup_ins+n_tup_upd+n_tup_del
//   <suite>.per_job.<variant>.wal_bytes       bytes: pg_current_wal_insert_lsn() delta
//   <suite>.per_job.<variant>.xacts           count: pg_stat_database xact_commit+xact_rollback
//   <suite>.per_job.<variant>.cpu_ms.bench    ms_cpu: process.cpuUsage() of the bench process
//   <suite>.per_job.<variant>.cpu_ms.postgres ms_cpu: the PostgreSQL server's processes (/proc)
//   <suite>.per_job.<variant>.cpu_ms.<name>   ms_cpu: a process the suite started (EndWindowOptions.processCpuMs)
//   e.g. floor.per_job.batched.wal_bytes, graphile.per_job.tuned.xacts, pgboss.per_job.default.rows
//
// tasker (real orchestration + tasker-worker processes, no-op handlers, auth on, durable commits)
//   tasker.<shape>.latency.<grpc|rest>       ms: SDK create → task_complete on its event stream, shapes linear4,
//                                             diamond4, dag7, tree8, conditional (a decision at amount 500: 4 of
//                                             6 steps run), batch1000 (1000 rows: analyzer, 5 workers, aggregator),
//                                             through a gRPC or REST worker (linear4 vs graphile.chain4.latency and
//                                             floor.chain4.latency; conditional and batch1000 vs reference.*)
//   tasker.create.latency.<grpc|rest>.c<1|10> ms: one create call, 1 or 10 concurrent clients (grpc vs rest)
//   tasker.events.latency.<grpc|sse>         ms: event timestamp → receipt by 100 watchers
//   tasker.throughput.<transport>.w<n>.<single|linear4>[.tuned]   per_s: steps/s, n worker processes
//   tasker.per_step.<same suffix>.<rows|wal_bytes|xacts|cpu_ms.*> per completed step of that run, with
//                                             cpu_ms.orchestration and cpu_ms.workers besides bench and postgres
//
// reference (quoted from tasker-core's published benchmark, not measured; value = that P50 in ms)
//   reference.conditional.p50.<low|high>     ms: conditional approval, amount 500 (251–262 ms)
//   reference.batch1000.p50.<low|high>       ms: batch CSV 1000 rows, 5 workers + aggregator (358–368 ms)
//
// graphile.* and pgboss.* declare the floor's figure of the same kind as baseline (default → floor default,
// tuned → floor batched). pgboss.per_job.default.* covers only the few jobs its 2 s poll completes in the
// window, so its start and idle polling dominate it. tasker.* names these ids as its baselines; a new suite goes
// into SUITES below and does the same.
import type { Suite } from '../lib/suite.js';
import { floorSuite } from './floor.js';
import { graphileWorkerSuite } from './graphile-worker.js';
import { pgBossSuite } from './pg-boss.js';
import { referenceSuite } from './reference.js';
import { taskerSuite } from './tasker.js';

export const SUITES: readonly Suite[] = [floorSuite, graphileWorkerSuite, pgBossSuite, referenceSuite, taskerSuite];

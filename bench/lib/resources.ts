// Per-job resource figures of one processing window. A window opens when every connection to the peer's
// database is closed (so pg_stat_* is exact, see waitForNoClientBackends) and closes after the suite has
// stopped the peer and its connections are gone again: it covers the peer's start, all processing and
// its shutdown. Reads are ordered so the harness's own observer transactions fall outside the window.
import type { Sql } from 'postgres';
import {
  diffWalBytes,
  readDatabaseCounters,
  readDatabaseName,
  readForeignXacts,
  readTableWrites,
  readWalLsn,
  waitForNoClientBackends,
} from './pg.js';
import { readProcessTreeCpuMs } from './proc-cpu.js';
import type { EndWindowOptions, Figure, ResourceMeter, ResourceUsage, ResourceWindow } from './suite.js';

interface ServerReading {
  xacts: number;
  foreignXacts: number;
  wal: string;
  cpuPostgresMs: number | undefined;
}

export function createResourceMeter(admin: Sql, postmasterPid: number | undefined): ResourceMeter {
  const readServer = async (database: string): Promise<ServerReading> => {
    const [{ xacts }, foreignXacts, wal, cpuPostgresMs] = await Promise.all([
      readDatabaseCounters(admin, database),
      readForeignXacts(admin, database),
      readWalLsn(admin),
      postmasterPid === undefined ? Promise.resolve(undefined) : readProcessTreeCpuMs(postmasterPid),
    ]);
    return { xacts, foreignXacts, wal, cpuPostgresMs };
  };

  return {
    async begin(databaseUrl) {
      const database = readDatabaseName(databaseUrl);
      await waitForNoClientBackends(admin, database);
      // Rows first: the reading connection's own transaction is flushed when it exits, before `before`.
      const rowsBefore = await readTableWrites(databaseUrl);
      await waitForNoClientBackends(admin, database);
      const before = await readServer(database);
      const benchBefore = process.cpuUsage();
      const started = performance.now();

      return {
        async end({ jobs, observerXacts = 0, processCpuMs = {} }) {
          const elapsedMs = performance.now() - started;
          await waitForNoClientBackends(admin, database);
          const benchCpu = process.cpuUsage(benchBefore);
          const after = await readServer(database);
          // Rows last: this reading's transaction happens after `after.xacts` was taken.
          const rowsAfter = await readTableWrites(databaseUrl);
          const cpuPostgresMs =
            before.cpuPostgresMs === undefined || after.cpuPostgresMs === undefined
              ? undefined
              : after.cpuPostgresMs - before.cpuPostgresMs;
          return {
            jobs,
            elapsedMs,
            rows: rowsAfter - rowsBefore,
            walBytes: await diffWalBytes(admin, before.wal, after.wal),
            xacts: after.xacts - before.xacts - observerXacts,
            cpuBenchMs: (benchCpu.user + benchCpu.system) / 1000,
            cpuPostgresMs,
            foreignXacts: after.foreignXacts - before.foreignXacts,
            processCpuMs,
          };
        },
      };
    },
  };
}

/** How every `.per_job.` figure is measured, printed once under the report's table. */
export const PER_JOB_METHOD =
  'per-job figures: totals over one throughput window divided by the jobs it completed. The window opens with no ' +
  'connection to the database left (backends flush their statistics on exit) and closes after the system under ' +
  'test is stopped and its connections are gone, so it includes its start and stop. rows = pg_stat_user_tables ' +
  'n_tup_ins+n_tup_upd+n_tup_del of the database; wal_bytes = pg_current_wal_insert_lsn() delta (server-wide: ' +
  'suites run one at a time); xacts = pg_stat_database xact_commit+xact_rollback of the database, minus the ' +
  "harness's own completion polls; cpu_ms.bench = process.cpuUsage() of the bench process (library + harness); " +
  'cpu_ms.postgres = /proc utime+stime of the postmaster and all its children, live and exited (10 ms ticks).';

/**
 * `<prefix>.rows`, `.wal_bytes`, `.xacts`, `.cpu_ms.bench`, `.cpu_ms.postgres` (and `.cpu_ms.<process>`), each
 * per job; with `baselinePrefix` every figure is compared to the same figure under that prefix.
 */
export function buildPerJobFigures(
  prefix: string,
  run: string,
  usage: ResourceUsage,
  baselinePrefix?: string,
): Figure[] {
  const foreign =
    usage.foreignXacts > 0
      ? `; WARNING: other databases ran ${usage.foreignXacts} transactions meanwhile (WAL, PostgreSQL CPU)`
      : '';
  const span = usage.elapsedMs < 1000 ? `${usage.elapsedMs.toFixed(0)} ms` : `${(usage.elapsedMs / 1000).toFixed(1)} s`;
  const notes = `${usage.jobs} jobs, ${span} window${foreign}`;
  const figure = (suffix: string, label: string, unit: Figure['unit'], total: number): Figure => ({
    id: `${prefix}.${suffix}`,
    label: `${run}: ${label} per job`,
    unit,
    value: total / usage.jobs,
    ...(baselinePrefix === undefined ? {} : { baseline: `${baselinePrefix}.${suffix}` }),
    notes,
  });
  const figures = [
    figure('rows', 'rows written', 'rows', usage.rows),
    figure('wal_bytes', 'WAL', 'bytes', usage.walBytes),
    figure('xacts', 'transactions', 'count', usage.xacts),
    figure('cpu_ms.bench', 'CPU of the bench process', 'ms_cpu', usage.cpuBenchMs),
  ];
  if (usage.cpuPostgresMs !== undefined)
    figures.push(figure('cpu_ms.postgres', 'CPU of PostgreSQL', 'ms_cpu', usage.cpuPostgresMs));
  for (const [name, ms] of Object.entries(usage.processCpuMs)) {
    figures.push(figure(`cpu_ms.${name}`, `CPU of the ${name} process tree`, 'ms_cpu', ms));
  }
  return figures;
}

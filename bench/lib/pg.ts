// Server-level helpers on a postgres.js admin connection (a maintenance database such as `postgres`):
// scratch databases, and the cumulative statistics the per-job figures are computed from.
import postgres, { type Sql } from 'postgres';
import { quoteIdentifier } from '../../packages/orchestration/src/db/embedded.js';

export interface DatabaseCounters {
  /** pg_stat_database.xact_commit + xact_rollback of one database. */
  xacts: number;
}

/** A small pool that drops notices; int8 and numeric come back as strings and are converted by callers. */
export function openSql(url: string, max = 1): Sql {
  return postgres(url, { max, onnotice: () => undefined });
}

/** The same server URL pointing at another database. */
export function buildDatabaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export function readDatabaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

export async function createScratchDatabase(admin: Sql, name: string): Promise<void> {
  await admin.unsafe(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE template0`);
}

export async function dropScratchDatabase(admin: Sql, name: string): Promise<void> {
  await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
}

/**
 * Waits until no client connection to `database` is left. A backend flushes its pending statistics when it
 * exits, while an idle one may hold them for up to 10 s (PGSTAT_IDLE_INTERVAL), so "every connection gone"
 * is the point where pg_stat_* is exact for everything that ran before. Autovacuum workers are not waited for.
 */
export async function waitForNoClientBackends(admin: Sql, database: string, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [row] = await admin<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = ${database} AND backend_type = 'client backend' AND pid <> pg_backend_pid()`;
    if (row?.n === 0) return;
    if (performance.now() > deadline) {
      throw new Error(`${row?.n ?? '?'} connection(s) to ${database} still open after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function readDatabaseCounters(admin: Sql, database: string): Promise<DatabaseCounters> {
  const [row] = await admin<{ xacts: string }[]>`
    SELECT (xact_commit + xact_rollback)::text AS xacts FROM pg_stat_database WHERE datname = ${database}`;
  if (row === undefined) throw new Error(`no pg_stat_database row for ${database}`);
  return { xacts: Number(row.xacts) };
}

/**
 * Transactions of every other database except the admin connection's own: activity that would leak into
 * the server-wide figures (WAL, PostgreSQL CPU). Approximate (other backends flush their counts lazily),
 * meant for a warning, not a correction.
 */
export async function readForeignXacts(admin: Sql, database: string): Promise<number> {
  const [row] = await admin<{ xacts: string }[]>`
    SELECT coalesce(sum(xact_commit + xact_rollback), 0)::text AS xacts FROM pg_stat_database
    WHERE datname IS NOT NULL AND datname <> ${database} AND datname <> current_database()`;
  return Number(row?.xacts ?? 0);
}

/**
 * Rows inserted + updated + deleted in the user tables of the database at `url`, through a connection of
 * its own (pg_stat_user_tables only shows the current database). Reading writes no rows, so it does not
 * disturb the figure; its one transaction is accounted for by the caller's order of reads.
 */
export async function readTableWrites(url: string): Promise<number> {
  const sql = openSql(url);
  try {
    const [row] = await sql<{ writes: string }[]>`
      SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text AS writes FROM pg_stat_user_tables`;
    return Number(row?.writes ?? Number.NaN);
  } finally {
    await sql.end();
  }
}

/**
 * Current WAL insert position. The insert LSN, not pg_current_wal_lsn() (the write position): that one lags
 * by whatever still sits in WAL buffers, which with asynchronous commit can be the whole window. WAL is
 * server-wide, so nothing else may run while a window is open.
 */
export async function readWalLsn(admin: Sql): Promise<string> {
  const [row] = await admin<{ lsn: string }[]>`SELECT pg_current_wal_insert_lsn()::text AS lsn`;
  if (row === undefined) throw new Error('pg_current_wal_insert_lsn() returned no row');
  return row.lsn;
}

export async function diffWalBytes(admin: Sql, from: string, to: string): Promise<number> {
  const [row] = await admin<{ bytes: string }[]>`SELECT pg_wal_lsn_diff(${to}::pg_lsn, ${from}::pg_lsn)::text AS bytes`;
  return Number(row?.bytes ?? Number.NaN);
}

export interface Observer {
  sql: Sql;
  /** Transactions it has run on its database: one per statement, plus one for the connection's start-up. */
  transactions(): number;
  end(): Promise<void>;
}

/**
 * One connection for completion polls inside a resource window, which counts what it runs so the window
 * can subtract it. Backend start-up runs one transaction (InitPostgres reads the catalogs); fetch_types is
 * off so postgres.js adds no query of its own.
 */
export function openObserver(url: string): Observer {
  let statements = 0;
  const sql = postgres(url, {
    max: 1,
    fetch_types: false,
    onnotice: () => undefined,
    debug: () => {
      statements += 1;
    },
  });
  return {
    sql,
    transactions: () => (statements === 0 ? 0 : statements + 1),
    end: () => sql.end(),
  };
}

/** Resolves once `check` is true, polling every `intervalMs`; returns how many checks ran. */
export async function pollUntil(
  check: () => Promise<boolean>,
  intervalMs: number,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (let polls = 1; ; polls += 1) {
    if (await check()) return polls;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    // 0: back to back, yielding to the event loop only, for the tightest completion timestamp.
    await new Promise((resolve) => (intervalMs === 0 ? setImmediate(resolve) : setTimeout(resolve, intervalMs)));
  }
}

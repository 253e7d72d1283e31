// Forward-only migration runner: migrations/NNNN_name.sql applied in order, each in its own transaction,
// recorded in tasker.schema_migrations with a checksum. Replicas starting together serialise on one
// session advisory lock; whoever comes second finds nothing to do.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReservedSql, Sql } from 'postgres';
import { isPgError, SQLSTATE } from './pg-errors.js';

/** The repository's `migrations/` directory. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../../migrations/', import.meta.url));

/** pg_advisory_lock key of the runner (an arbitrary constant: "tasker" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x7461736b6572;

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  /** File name without `.sql`, e.g. `0001_init`: how migrations are named in results and errors. */
  id: string;
  /** SHA-256 (hex) of the file with line endings normalised to \n. */
  checksum: string;
  sql: string;
}

export interface MigrateOptions {
  /** Directory of the NNNN_name.sql files. Default {@link DEFAULT_MIGRATIONS_DIR}. */
  dir?: string;
  /** How long to wait for another process's run to finish. Default 10 minutes. */
  lockTimeoutMs?: number;
  /** Told about each migration as it is applied. */
  log?: (message: string) => void;
}

export interface MigrateResult {
  /** Ids of the migrations this call applied, in order; [] when the schema was current. */
  applied: string[];
}

/** A migration problem that needs a human: changed files, bad names, a lock that never came. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Reads and checks the migration files of `dir`, in version order. */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new MigrationError(`migration file ${file} in ${dir} is not named NNNN_lowercase_name.sql`);
    const version = Number(match[1]);
    const previous = migrations.at(-1);
    if (previous?.version === version) {
      throw new MigrationError(`migrations ${previous.id} and ${file} share version ${match[1]}`);
    }
    const text = (await readFile(path.join(dir, file), 'utf8')).replaceAll('\r\n', '\n');
    migrations.push({
      version,
      id: file.slice(0, -'.sql'.length),
      checksum: createHash('sha256').update(text).digest('hex'),
      sql: text,
    });
  }
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies every pending migration of `dir` in order and returns their ids. Takes a session advisory lock
 * first, creates schema `tasker` and `tasker.schema_migrations` when missing, and refuses to run (before
 * applying anything) when a file that was already applied has changed. Each file runs in its own
 * transaction together with its bookkeeping row, so a failing file leaves no trace and the ones before it
 * stay applied. Applied versions unknown to `dir` are tolerated (an older build during a rolling deploy).
 */
export async function migrate(sql: Sql, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = await readMigrations(options.dir);
  const lockTimeoutMs = options.lockTimeoutMs ?? 600_000;
  const conn = await sql.reserve();
  try {
    await acquireLock(conn, lockTimeoutMs);
    try {
      // Not CREATE SCHEMA IF NOT EXISTS: it demands CREATE on the database even when the schema exists,
      // which a least-privilege role using a DBA-created schema does not have.
      await conn.unsafe(`
        DO $$ BEGIN
          IF to_regnamespace('tasker') IS NULL THEN CREATE SCHEMA tasker; END IF;
        END $$;
        CREATE TABLE IF NOT EXISTS tasker.schema_migrations (
          version    integer PRIMARY KEY,
          name       text NOT NULL,
          checksum   text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        );`);
      const pending = selectPending(migrations, await readApplied(conn));
      const applied: string[] = [];
      for (const migration of pending) {
        await applyOne(conn, migration);
        applied.push(migration.id);
        options.log?.(`applied ${migration.id}`);
      }
      return { applied };
    } finally {
      // A dead session has already dropped the lock; don't let that mask the real error.
      await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`.catch(() => undefined);
    }
  } finally {
    conn.release();
  }
}

/**
 * Ids of the migrations in `dir` (or of migrations already read with {@link readMigrations}) the database has
 * not applied ([] = current); for readiness checks. Throws {@link MigrationError} when an applied migration's
 * file has changed.
 */
export async function pendingMigrations(
  sql: Sql,
  dir: string | readonly Migration[] = DEFAULT_MIGRATIONS_DIR,
): Promise<string[]> {
  const migrations = typeof dir === 'string' ? await readMigrations(dir) : [...dir];
  const [table] = await sql<
    { exists: boolean }[]
  >`SELECT to_regclass('tasker.schema_migrations') IS NOT NULL AS exists`;
  if (!table?.exists) return migrations.map((m) => m.id);
  return selectPending(migrations, await readApplied(sql)).map((m) => m.id);
}

async function acquireLock(conn: ReservedSql, timeoutMs: number): Promise<void> {
  // lock_timeout bounds the wait; reset right after so it never applies to the migrations themselves.
  await conn`SELECT set_config('lock_timeout', ${`${timeoutMs}ms`}, false)`;
  try {
    await conn`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
  } catch (err) {
    if (isPgError(err, SQLSTATE.lockNotAvailable)) {
      throw new MigrationError(`timed out after ${timeoutMs} ms waiting for another process to finish migrating`, {
        cause: err,
      });
    }
    throw err;
  } finally {
    await conn`RESET lock_timeout`;
  }
}

async function readApplied(sql: Sql): Promise<AppliedRow[]> {
  return sql<AppliedRow[]>`SELECT version, name, checksum FROM tasker.schema_migrations ORDER BY version`;
}

function selectPending(migrations: Migration[], applied: AppliedRow[]): Migration[] {
  const byVersion = new Map(applied.map((row) => [row.version, row]));
  const changed = migrations.filter((m) => {
    const row = byVersion.get(m.version);
    return row !== undefined && (row.checksum !== m.checksum || row.name !== m.id);
  });
  if (changed.length > 0) {
    const list = changed.map((m) => `${m.id} (applied as ${byVersion.get(m.version)?.name})`).join(', ');
    throw new MigrationError(
      `applied migration files were changed: ${list}. Migrations are forward-only: restore the applied ` +
        'file and put the change in a new migration',
    );
  }
  return migrations.filter((m) => !byVersion.has(m.version));
}

async function applyOne(conn: ReservedSql, migration: Migration): Promise<void> {
  await conn.unsafe('BEGIN');
  try {
    await conn.unsafe(migration.sql);
    await conn`
      INSERT INTO tasker.schema_migrations (version, name, checksum)
      VALUES (${migration.version}, ${migration.id}, ${migration.checksum})`;
    await conn.unsafe('COMMIT');
  } catch (err) {
    await conn.unsafe('ROLLBACK').catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    throw new MigrationError(`migration ${migration.id} failed and was rolled back: ${message}`, { cause: err });
  }
}

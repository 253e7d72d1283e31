import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql } from '../../src/db/connect.js';
import {
  DEFAULT_MIGRATIONS_DIR,
  MIGRATION_LOCK_KEY,
  migrate,
  MigrationError,
  pendingMigrations,
  readMigrations,
} from '../../src/db/migrate.js';
import { snapshotCatalog } from './helpers/catalog.js';
import { useTestDatabase } from './helpers/test-db.js';

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tasker-migrations-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function copyOfRealMigrations(): Promise<string> {
  const files: Record<string, string> = {};
  for (const name of await readdir(DEFAULT_MIGRATIONS_DIR)) {
    files[name] = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, name), 'utf8');
  }
  return migrationsDir(files);
}

async function tableExists(sql: ReturnType<typeof createSql>, name: string): Promise<boolean> {
  const [row] = await sql<{ exists: boolean }[]>`SELECT to_regclass(${name}) IS NOT NULL AS exists`;
  return row?.exists === true;
}

describe('the template database the tests clone', () => {
  const db = useTestDatabase();

  it('is current: migrating it again applies nothing and leaves the catalog as it was', async () => {
    expect(await pendingMigrations(db.sql)).toEqual([]);
    const before = await snapshotCatalog(db.sql);
    expect(await migrate(db.sql)).toEqual({ applied: [] });
    expect(await snapshotCatalog(db.sql)).toEqual(before);
  });
});

describe('an empty database', () => {
  const db = useTestDatabase({ migrated: false });

  it('gets every migration in order with its checksum, and a second run changes nothing', async () => {
    const files = await readMigrations();
    const ids = files.map((f) => f.id);
    expect(ids[0]).toBe('0001_init');
    expect(await pendingMigrations(db.sql)).toEqual(ids);

    expect((await migrate(db.sql)).applied).toEqual(ids);
    const rows = await db.sql`SELECT version, name, checksum FROM tasker.schema_migrations ORDER BY version`;
    expect([...rows]).toEqual(files.map((f) => ({ version: f.version, name: f.id, checksum: f.checksum })));
    expect(await pendingMigrations(db.sql)).toEqual([]);

    const before = await snapshotCatalog(db.sql);
    expect((await migrate(db.sql)).applied).toEqual([]);
    expect(await snapshotCatalog(db.sql)).toEqual(before);
  });
});

describe('concurrent runners', () => {
  const db = useTestDatabase({ migrated: false });
  const slow = useTestDatabase({ migrated: false });

  it('two pools migrating at once apply each migration exactly once', async () => {
    const a = createSql(db.url, { max: 1 });
    const b = createSql(db.url, { max: 1 });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const ids = (await readMigrations()).map((f) => f.id);
      expect([...ra.applied, ...rb.applied].sort()).toEqual(ids);
      // The lock covers a whole run: one runner applied everything, the other found it done.
      expect([ra.applied.length, rb.applied.length].sort()).toEqual([0, ids.length]);
      const [row] = await a<{ n: number }[]>`SELECT count(*) AS n FROM tasker.schema_migrations`;
      expect(row?.n).toBe(ids.length);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('a runner that arrives during a slow run waits for it and then has nothing to do', async () => {
    const dir = await migrationsDir({
      '0001_slow.sql': 'CREATE TABLE tasker.slow_one (id int);\nSELECT pg_sleep(0.6);\n',
      '0002_after.sql': 'CREATE TABLE tasker.slow_two (id int);\n',
    });
    const a = createSql(slow.url, { max: 1 });
    const b = createSql(slow.url, { max: 1 });
    try {
      const first = migrate(a, { dir });
      await new Promise((resolve) => setTimeout(resolve, 150));
      const second = migrate(b, { dir });
      expect(await first).toEqual({ applied: ['0001_slow', '0002_after'] });
      expect(await second).toEqual({ applied: [] });
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('gives up with a clear error when the lock never comes', async () => {
    const holder = await slow.sql.reserve();
    try {
      await holder`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
      await expect(migrate(slow.sql, { lockTimeoutMs: 200 })).rejects.toThrow(/timed out after 200 ms/);
    } finally {
      await holder`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
      holder.release();
    }
  });
});

describe('changed or broken migrations', () => {
  const edited = useTestDatabase({ migrated: false });
  const broken = useTestDatabase({ migrated: false });
  const atomic = useTestDatabase({ migrated: false });

  it('refuses to run when an applied file changed, before applying anything new', async () => {
    const dir = await copyOfRealMigrations();
    await migrate(edited.sql, { dir });
    await writeFile(path.join(dir, '0002_history.sql'), '-- an innocent-looking edit\n', { flag: 'a' });
    await writeFile(path.join(dir, '9999_new.sql'), 'CREATE TABLE tasker.brand_new (id int);\n');

    const attempt = migrate(edited.sql, { dir });
    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(attempt).rejects.toThrow(/0002_history/);
    await expect(pendingMigrations(edited.sql, dir)).rejects.toThrow(/0002_history/);
    expect(await tableExists(edited.sql, 'tasker.brand_new')).toBe(false);
  });

  it('rolls a failing file back completely, keeps the ones before it, and retries it next time', async () => {
    const dir = await migrationsDir({
      '0001_ok.sql': 'CREATE TABLE tasker.ok_table (id int);\n',
      '0002_broken.sql': 'CREATE TABLE tasker.half_done (id int);\nSELECT 1 / 0;\n',
    });
    await expect(migrate(broken.sql, { dir })).rejects.toThrow(
      /0002_broken failed and was rolled back: division by zero/,
    );
    expect(await tableExists(broken.sql, 'tasker.ok_table')).toBe(true);
    expect(await tableExists(broken.sql, 'tasker.half_done')).toBe(false);
    expect(await pendingMigrations(broken.sql, dir)).toEqual(['0002_broken']);

    await writeFile(path.join(dir, '0002_broken.sql'), 'CREATE TABLE tasker.half_done (id int);\n');
    expect(await migrate(broken.sql, { dir })).toEqual({ applied: ['0002_broken'] });
    expect(await tableExists(broken.sql, 'tasker.half_done')).toBe(true);
  });

  it('commits a file and its bookkeeping row together or not at all', async () => {
    // The file succeeds but recording it fails (its version is already taken): the file must be undone too.
    const dir = await migrationsDir({
      '0001_sneaky.sql':
        "CREATE TABLE tasker.sneaky (id int);\nINSERT INTO tasker.schema_migrations (version, name, checksum) VALUES (1, 'x', 'y');\n",
    });
    await expect(migrate(atomic.sql, { dir })).rejects.toThrow(/0001_sneaky failed and was rolled back/);
    expect(await tableExists(atomic.sql, 'tasker.sneaky')).toBe(false);
    const rows = await atomic.sql`SELECT version FROM tasker.schema_migrations`;
    expect(rows.length).toBe(0);
  });

  it('rejects badly named and duplicate-version files', async () => {
    await expect(readMigrations(await migrationsDir({ 'init.sql': 'SELECT 1;' }))).rejects.toThrow(
      /NNNN_lowercase_name/,
    );
    await expect(
      readMigrations(await migrationsDir({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 1;' })),
    ).rejects.toThrow(/share version 0001/);
  });
});

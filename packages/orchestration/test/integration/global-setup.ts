// Integration global setup (once per run): DATABASE_URL if set, else one embedded PostgreSQL on a free port
// with a throwaway data dir; then a template database migrated once, which every test file clones
// (helpers/test-db.ts). Anything that fails here fails the run: a missing database is never a skip.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createSql } from '../../src/db/connect.js';
import { allowPostgresUserToEnter, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createDatabase, dropDatabase, uniqueDatabaseName, withDatabase } from './helpers/test-db.js';

// A throwaway cluster: durability off (much faster DDL and CREATE DATABASE), room for parallel files' pools.
const TEST_SERVER_SETTINGS = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '300',
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cleanups: (() => Promise<unknown>)[] = [];
  // Every cleanup runs (the server must stop even if a drop fails); the first failure is reported after.
  const teardown = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((err: unknown) => failures.push(err));
    }
    if (failures.length > 0) throw failures[0];
  };

  try {
    let adminUrl = process.env['DATABASE_URL'];
    if (adminUrl === undefined || adminUrl === '') {
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'tasker-test-pg-'));
      cleanups.push(() => rm(tmp, { recursive: true, force: true }));
      await allowPostgresUserToEnter(tmp);
      const server = await startEmbeddedPostgres({
        dataDir: path.join(tmp, 'pg'),
        port: 0,
        database: 'postgres',
        settings: TEST_SERVER_SETTINGS,
      });
      cleanups.push(() => server.stop());
      adminUrl = server.adminUrl;
    }

    const template = uniqueDatabaseName('template');
    await createDatabase(adminUrl, template);
    const serverUrl = adminUrl;
    cleanups.push(() => dropDatabase(serverUrl, template));

    // The pool must be gone before files clone the template: CREATE DATABASE … TEMPLATE refuses a source
    // database that has open connections.
    const sql = createSql(withDatabase(adminUrl, template), { max: 1 });
    try {
      await migrate(sql);
    } finally {
      await sql.end();
    }

    project.provide('databaseUrl', adminUrl);
    project.provide('templateDatabase', template);
  } catch (err) {
    await teardown().catch(() => undefined);
    throw err;
  }
  return teardown;
}

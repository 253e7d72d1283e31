// One database per test file, cloned from the template database the global setup migrated once:
//   const db = useTestDatabase();          // in the file's top-level scope or a describe block
//   it('…', async () => { await db.sql`…`; });
// The clone is created in beforeAll and dropped (connections forced out) in afterAll.
import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { createSql } from '../../../src/db/connect.js';
import { quoteIdentifier } from '../../../src/db/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a maintenance database on the test server, for CREATE/DROP DATABASE. */
    databaseUrl: string;
    /** The migrated database every test file clones. */
    templateDatabase: string;
  }
}

export interface TestDatabaseOptions {
  /** false: start from an empty database (template0) instead of the migrated template. Default true. */
  migrated?: boolean;
  /** Pool size of `sql`. Default 5. */
  max?: number;
}

export interface TestDatabase {
  /** Pool on this file's database; available from beforeAll on. */
  readonly sql: Sql;
  /** URL of this file's database, for extra pools (a second engine instance, a concurrent migrator…). */
  readonly url: string;
  readonly name: string;
}

/** `tasker_<prefix>_<12 hex>`: unique per run, so parallel runs on one shared server never collide. */
export function uniqueDatabaseName(prefix: string): string {
  return `tasker_${prefix}_${randomBytes(6).toString('hex')}`;
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** Creates `name` on the server of `adminUrl`, empty (template0) or as a copy of `template`. */
export async function createDatabase(adminUrl: string, name: string, template = 'template0'): Promise<void> {
  const admin = createSql(adminUrl, { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(template)}`);
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = createSql(adminUrl, { max: 1 });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function provided(key: 'databaseUrl' | 'templateDatabase'): string {
  const value = inject(key);
  if (typeof value !== 'string' || value === '') {
    throw new Error(`integration global setup did not provide ${key}: run with --project integration`);
  }
  return value;
}

/** Registers beforeAll/afterAll hooks that give the calling file (or describe block) its own database. */
export function useTestDatabase(options: TestDatabaseOptions = {}): TestDatabase {
  let current: { sql: Sql; url: string; name: string; adminUrl: string } | undefined;

  beforeAll(async () => {
    const adminUrl = provided('databaseUrl');
    const name = uniqueDatabaseName('t');
    await createDatabase(adminUrl, name, options.migrated === false ? 'template0' : provided('templateDatabase'));
    const url = withDatabase(adminUrl, name);
    current = { sql: createSql(url, { max: options.max ?? 5 }), url, name, adminUrl };
  });

  afterAll(async () => {
    if (current === undefined) return;
    const { sql, adminUrl, name } = current;
    current = undefined;
    await sql.end({ timeout: 5 });
    await dropDatabase(adminUrl, name);
  });

  const get = (): NonNullable<typeof current> => {
    if (current === undefined)
      throw new Error('useTestDatabase(): the database exists only between beforeAll and afterAll');
    return current;
  };
  return {
    get sql() {
      return get().sql;
    },
    get url() {
      return get().url;
    },
    get name() {
      return get().name;
    },
  };
}

#!/usr/bin/env -S npx tsx
// `npm run schema`: migrates a fresh database and writes docs/schema.sql from its catalogs
// (test/integration/helpers/schema-dump.ts). With DATABASE_URL (a maintenance database, e.g.
// postgres://postgres@127.0.0.1:5432/postgres) a throwaway database is created there and dropped after;
// without it an embedded PostgreSQL runs in a temporary directory.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSql } from '../packages/orchestration/src/db/connect.js';
import {
  allowPostgresUserToEnter,
  quoteIdentifier,
  startEmbeddedPostgres,
} from '../packages/orchestration/src/db/embedded.js';
import { migrate } from '../packages/orchestration/src/db/migrate.js';
import {
  dumpSchema,
  SCHEMA_SQL_NAME,
  SCHEMA_SQL_PATH,
} from '../packages/orchestration/test/integration/helpers/schema-dump.js';

async function dumpFreshDatabase(serverUrl: string): Promise<string> {
  const name = `tasker_schema_${randomBytes(6).toString('hex')}`;
  const admin = createSql(serverUrl, { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE template0`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const sql = createSql(url.toString(), { max: 1, applicationName: 'tasker-schema-dump' });
    try {
      await migrate(sql);
      return await dumpSchema(sql);
    } finally {
      await sql.end();
    }
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  let text: string;
  if (url !== undefined && url !== '') {
    text = await dumpFreshDatabase(url);
  } else {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'tasker-schema-'));
    try {
      await allowPostgresUserToEnter(tmp);
      const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: 0, database: 'postgres' });
      try {
        text = await dumpFreshDatabase(server.adminUrl);
      } finally {
        await server.stop();
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  await writeFile(SCHEMA_SQL_PATH, text);
  process.stdout.write(`wrote ${SCHEMA_SQL_NAME} (${text.split('\n').length - 1} lines)\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

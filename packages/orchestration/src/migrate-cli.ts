// `npm run migrate [-- --status]`: applies pending migrations to the configured database (DATABASE_URL /
// database.url), or to the embedded server when none is configured, then exits. `--status` only lists
// what is pending.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@tasker/shared/config';
import { createSql } from './db/connect.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.js';
import { migrate, MigrationError, pendingMigrations } from './db/migrate.js';
import { isConnectionError } from './db/pg-errors.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { status: { type: 'boolean', default: false } } });
  const config = loadConfig({ env: process.env });

  let embedded: EmbeddedPostgres | undefined;
  let url = config.database.url;
  if (url === null) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.database.embedded.data_dir,
      port: config.database.embedded.port,
    });
    url = embedded.url;
    console.log(`embedded PostgreSQL on 127.0.0.1:${embedded.port} (data dir ${embedded.dataDir})`);
  }

  // No statement_timeout here: a migration may legitimately run for a long time.
  const sql = createSql(url, {
    max: 1,
    connectTimeoutSeconds: config.database.connect_timeout_s,
    applicationName: 'tasker-migrate',
  });
  try {
    if (values.status) {
      const pending = await pendingMigrations(sql);
      console.log(pending.length === 0 ? 'schema is up to date' : `pending: ${pending.join(', ')}`);
      return;
    }
    const { applied } = await migrate(sql, { log: (message) => console.log(message) });
    console.log(
      applied.length === 0 ? 'schema is up to date; nothing applied' : `applied ${applied.length} migration(s)`,
    );
  } finally {
    await sql.end();
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  // Config, migration and connection errors are written for humans; anything else keeps its stack.
  if (err instanceof ConfigError || err instanceof MigrationError) console.error(err.message);
  else if (isConnectionError(err))
    console.error(`cannot reach PostgreSQL: ${err instanceof Error ? err.message : String(err)}`);
  else console.error(err);
  process.exitCode = 1;
});

// Worker registry rows. Claims and heartbeats refresh last_seen_at inside their own SQL functions.
import type { RegisterWorkerInput, WorkerInfo } from '@tasker/shared';
import type { JSONValue } from 'postgres';
import { workerFromRow, type WorkerRow } from './rows.js';
import type { Db } from './tasks.js';

/** `livenessSeconds` (engine.worker_liveness_seconds) decides each worker's `live`. */
export async function upsertWorker(sql: Db, input: RegisterWorkerInput, livenessSeconds: number): Promise<WorkerInfo> {
  const [row] = await sql<WorkerRow[]>`
    INSERT INTO tasker.workers (worker_id, hostname, version, namespaces, handlers, metadata)
    VALUES (${input.workerId}, ${input.hostname}, ${input.version}, ${input.namespaces}::text[], ${input.handlers}::text[],
            ${sql.json(input.metadata as JSONValue)})
    ON CONFLICT (worker_id) DO UPDATE SET
      hostname = excluded.hostname, version = excluded.version, namespaces = excluded.namespaces,
      handlers = excluded.handlers, metadata = excluded.metadata, last_seen_at = now()
    RETURNING *`;
  if (row === undefined) throw new Error('worker upsert returned no row');
  return workerFromRow(row, livenessSeconds);
}

/** Workers serving any namespace of `scope` (null = every worker), most recently seen first. */
export async function listWorkers(
  sql: Db,
  scope: readonly string[] | null,
  livenessSeconds: number,
): Promise<WorkerInfo[]> {
  const rows = await sql<WorkerRow[]>`
    SELECT * FROM tasker.workers
    WHERE ${scope === null ? sql`true` : sql`namespaces && ${scope as string[]}::text[]`}
    ORDER BY last_seen_at DESC, worker_id`;
  const now = new Date();
  return rows.map((r) => workerFromRow(r, livenessSeconds, now));
}

/** Refreshes a claiming worker's last_seen_at (creating its row if it never registered). */
export async function touchWorker(
  sql: Db,
  workerId: string,
  namespaces: readonly string[] | null,
  handlers: readonly string[] | null,
): Promise<void> {
  await sql`SELECT tasker.touch_worker(${workerId}, ${namespaces as string[] | null}::text[], ${handlers as string[] | null}::text[])`;
}

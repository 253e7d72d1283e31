// A comparable snapshot of everything schema `tasker` defines, for "migrating again changes nothing".
import type { Sql } from 'postgres';

export interface CatalogSnapshot {
  relations: unknown;
  columns: unknown;
  constraints: unknown;
  indexes: unknown;
  functions: unknown;
  sequences: unknown;
  triggers: unknown;
  migrations: unknown;
}

export async function snapshotCatalog(sql: Sql): Promise<CatalogSnapshot> {
  const [row] = await sql<{ snapshot: CatalogSnapshot }[]>`
    SELECT jsonb_build_object(
      'relations', (SELECT jsonb_agg(jsonb_build_array(c.relname, c.relkind, c.reloptions) ORDER BY c.relname)
                    FROM pg_class c WHERE c.relnamespace = 'tasker'::regnamespace),
      'columns', (SELECT jsonb_agg(jsonb_build_array(table_name, column_name, ordinal_position, data_type,
                                                     is_nullable, column_default)
                                   ORDER BY table_name, ordinal_position)
                  FROM information_schema.columns WHERE table_schema = 'tasker'),
      'constraints', (SELECT jsonb_agg(jsonb_build_array(conrelid::regclass::text, conname, pg_get_constraintdef(oid))
                                       ORDER BY conrelid::regclass::text, conname)
                      FROM pg_constraint WHERE connamespace = 'tasker'::regnamespace),
      'indexes', (SELECT jsonb_agg(indexdef ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'tasker'),
      'functions', (SELECT jsonb_agg(pg_get_functiondef(p.oid) ORDER BY p.proname)
                    FROM pg_proc p WHERE p.pronamespace = 'tasker'::regnamespace),
      'sequences', (SELECT jsonb_agg(jsonb_build_array(sequencename, data_type, start_value, increment_by, last_value)
                                     ORDER BY sequencename)
                    FROM pg_sequences WHERE schemaname = 'tasker'),
      'triggers', (SELECT jsonb_agg(jsonb_build_array(c.relname, t.tgname) ORDER BY c.relname, t.tgname)
                   FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   WHERE c.relnamespace = 'tasker'::regnamespace AND NOT t.tgisinternal),
      'migrations', (SELECT jsonb_agg(jsonb_build_array(version, name, checksum, applied_at) ORDER BY version)
                     FROM tasker.schema_migrations)
    ) AS snapshot`;
  if (row === undefined) throw new Error('catalog snapshot returned no row');
  return row.snapshot;
}

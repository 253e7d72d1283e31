// docs/schema.sql is what the migrations build: regenerated from this file's migrated clone and compared. The
// call graphs of docs/engine.md name every SQL function each operation reaches.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dumpSchema, SCHEMA_SQL_NAME, SCHEMA_SQL_PATH } from './helpers/schema-dump.js';
import { useTestDatabase } from './helpers/test-db.js';

/** 1-based number and both texts of the first line where `a` and `b` differ; undefined when equal. */
function firstDifference(a: string, b: string): { line: number; committed: string; migrated: string } | undefined {
  const left = a.split('\n');
  const right = b.split('\n');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (left[i] !== right[i])
      return { line: i + 1, committed: left[i] ?? '(end of file)', migrated: right[i] ?? '(end of file)' };
  }
  return undefined;
}

describe('docs/schema.sql', () => {
  const db = useTestDatabase();

  it('is current with the migrations', async () => {
    const committed = await readFile(SCHEMA_SQL_PATH, 'utf8').catch(() => '');
    const diff = firstDifference(committed, await dumpSchema(db.sql));
    const message =
      diff === undefined
        ? ''
        : `${SCHEMA_SQL_NAME} is stale: run \`npm run schema\` and commit it. First difference at line ${diff.line}:\n` +
          `  committed: ${diff.committed}\n  migrations: ${diff.migrated}`;
    expect(diff, message).toBeUndefined();
  });
});

describe('dumpSchema', () => {
  const db = useTestDatabase();

  it('prints every kind of object it covers, each with its comment', async () => {
    await db.sql.unsafe(`
      CREATE TYPE tasker.zz_mood AS ENUM ('calm', 'busy');
      CREATE DOMAIN tasker.zz_positive AS integer CHECK (VALUE > 0);
      CREATE SEQUENCE tasker.zz_seq AS integer START WITH 5;
      CREATE TABLE tasker.zz_probe (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, mood tasker.zz_mood NOT NULL,
                                    n tasker.zz_positive DEFAULT 1, CONSTRAINT zz_probe_n_check CHECK (n < 10))
        WITH (fillfactor = 90);
      CREATE INDEX zz_probe_mood_idx ON tasker.zz_probe (mood) WHERE n > 1;
      CREATE VIEW tasker.zz_view AS SELECT z.id FROM tasker.zz_probe z JOIN tasker.zz_probe y ON y.id = z.id;
      CREATE FUNCTION tasker.zz_double(p integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT p * 2 -- twice
      $$;
      COMMENT ON TABLE tasker.zz_probe IS 'probe table';
      COMMENT ON COLUMN tasker.zz_probe.mood IS 'how it feels';
      COMMENT ON FUNCTION tasker.zz_double(integer) IS 'it''s doubled';`);
    const dump = await dumpSchema(db.sql);
    for (const expected of [
      "CREATE TYPE tasker.zz_mood AS ENUM ('calm', 'busy');",
      'CREATE DOMAIN tasker.zz_positive AS integer\n  CONSTRAINT zz_positive_check CHECK ((VALUE > 0));',
      'CREATE SEQUENCE tasker.zz_seq AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 5 CACHE 1;',
      'CREATE TABLE tasker.zz_probe (\n' +
        '  id integer GENERATED ALWAYS AS IDENTITY NOT NULL,\n' +
        '  mood tasker.zz_mood NOT NULL,\n' +
        '  n tasker.zz_positive DEFAULT 1,\n' +
        '  CONSTRAINT zz_probe_pkey PRIMARY KEY (id),\n' +
        '  CONSTRAINT zz_probe_n_check CHECK (((n)::integer < 10))\n' +
        ') WITH (fillfactor=90);\n' +
        "COMMENT ON TABLE tasker.zz_probe IS 'probe table';\n" +
        "COMMENT ON COLUMN tasker.zz_probe.mood IS 'how it feels';\n" +
        'CREATE INDEX zz_probe_mood_idx ON tasker.zz_probe USING btree (mood) WHERE ((n)::integer > 1);',
      // Two relations: from PostgreSQL 16 on, a column of a single-relation view is printed unqualified.
      'CREATE VIEW tasker.zz_view AS\n SELECT z.id\n   FROM tasker.zz_probe z\n     JOIN tasker.zz_probe y ON y.id = z.id;',
      'CREATE OR REPLACE FUNCTION tasker.zz_double(p integer)\n RETURNS integer\n LANGUAGE sql\n IMMUTABLE\n' +
        "AS $function$ SELECT p * 2 -- twice\n      $function$;\nCOMMENT ON FUNCTION tasker.zz_double(p integer) IS 'it''s doubled';",
    ]) {
      expect(dump).toContain(expected);
    }
    // The identity's sequence belongs to its column, not to the sequences section.
    expect(dump).not.toContain('zz_probe_id_seq');
  });
});

const ENGINE_DOC = fileURLToPath(new URL('../../../../docs/engine.md', import.meta.url));

/** Each `### operation` of the "Call graphs" section: its SQL function and the names in its "SQL calls" row. */
function callGraphsOf(doc: string): { operation: string; entry: string; calls: string[] }[] {
  const section = doc.split('\n## Call graphs\n')[1]?.split('\n## ')[0] ?? '';
  const row = (block: string, label: string): string | undefined =>
    block.split('\n').find((l) => l.startsWith(`| ${label} |`));
  const names = (line: string | undefined): string[] =>
    [...(line ?? '').matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1] ?? '');
  return section
    .split('\n### ')
    .slice(1)
    .map((block) => ({
      operation: block.split('\n')[0] ?? '',
      entry: names(row(block, 'SQL function'))[0] ?? '',
      calls: names(row(block, 'SQL calls')),
    }));
}

describe('docs/engine.md call graphs', () => {
  const db = useTestDatabase();

  it('list every tasker function each operation reaches, and no other', async () => {
    const rows = await db.sql<{ name: string; body: string }[]>`
      SELECT p.proname AS name, pg_get_functiondef(p.oid) AS body
      FROM pg_proc p WHERE p.pronamespace = 'tasker'::regnamespace AND p.prokind = 'f'`;
    const functions = new Set(rows.map((r) => r.name));
    const direct = new Map(
      rows.map((r) => [
        r.name,
        [...r.body.matchAll(/tasker\.([a-z_0-9]+)\(/g)]
          .map((m) => m[1] ?? '')
          .filter((n) => functions.has(n) && n !== r.name),
      ]),
    );
    const reached = (entry: string): string[] => {
      const seen = new Set<string>();
      const visit = (f: string): void => {
        for (const c of direct.get(f) ?? []) {
          if (seen.has(c)) continue;
          seen.add(c);
          visit(c);
        }
      };
      visit(entry);
      return [...seen].sort();
    };
    const graphs = callGraphsOf(await readFile(ENGINE_DOC, 'utf8'));
    expect(graphs.length).toBeGreaterThanOrEqual(15);
    for (const g of graphs) {
      expect(functions.has(g.entry), `${g.operation}: SQL function ${g.entry}`).toBe(true);
      const listed = [...new Set(g.calls.filter((c) => functions.has(c)))].sort();
      expect(listed, `docs/engine.md, call graph "${g.operation}" (${g.entry})`).toEqual(reached(g.entry));
    }
  });
});

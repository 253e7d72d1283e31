// Template rows: (namespace, name, version) → normalised definition, the configuration as registered, and
// the content hash that tells identical re-registrations from changes.
import type { IdentityStrategy, JsonObject, Template, TemplateDefinition, TemplateSummary } from '@tasker/shared';
import type { JSONValue } from 'postgres';
import { templateFromRow, type TemplateRow } from './rows.js';
import type { Db } from './tasks.js';

export async function findTemplate(
  sql: Db,
  namespace: string,
  name: string,
  version: string,
): Promise<Template | undefined> {
  const [row] = await sql<TemplateRow[]>`
    SELECT template_uuid, namespace, name, version, description, definition, configuration, content_hash,
           created_at, updated_at
    FROM tasker.templates WHERE namespace = ${namespace} AND name = ${name} AND version = ${version}`;
  return row === undefined ? undefined : templateFromRow(row);
}

/** Same as {@link findTemplate} but locks the row (registration decides created/unchanged/updated under it). */
export async function lockTemplate(
  sql: Db,
  namespace: string,
  name: string,
  version: string,
): Promise<{ templateUuid: string; contentHash: string } | undefined> {
  const [row] = await sql<{ template_uuid: string; content_hash: string }[]>`
    SELECT template_uuid, content_hash FROM tasker.templates
    WHERE namespace = ${namespace} AND name = ${name} AND version = ${version} FOR UPDATE`;
  return row === undefined ? undefined : { templateUuid: row.template_uuid, contentHash: row.content_hash };
}

export interface TemplateWrite {
  definition: TemplateDefinition;
  configuration: JsonObject;
  contentHash: string;
  identityStrategy: IdentityStrategy;
  registeredBy: string;
}

export async function insertTemplate(sql: Db, t: TemplateWrite): Promise<void> {
  const d = t.definition;
  await sql`
    INSERT INTO tasker.templates (namespace, name, version, description, definition, configuration, content_hash,
                                  identity_strategy, registered_by)
    VALUES (${d.namespace}, ${d.name}, ${d.version}, ${d.description}, ${sql.json(d as unknown as JSONValue)},
            ${sql.json(t.configuration as JSONValue)}, ${t.contentHash}, ${t.identityStrategy}, ${t.registeredBy})`;
}

export async function updateTemplate(sql: Db, templateUuid: string, t: TemplateWrite): Promise<void> {
  const d = t.definition;
  await sql`
    UPDATE tasker.templates SET description = ${d.description}, definition = ${sql.json(d as unknown as JSONValue)},
      configuration = ${sql.json(t.configuration as JSONValue)}, content_hash = ${t.contentHash},
      identity_strategy = ${t.identityStrategy}, registered_by = ${t.registeredBy}, updated_at = now()
    WHERE template_uuid = ${templateUuid}`;
}

export async function listTemplateSummaries(
  sql: Db,
  namespace: string | undefined,
  scope: readonly string[] | null,
): Promise<TemplateSummary[]> {
  const rows = await sql<
    { namespace: string; name: string; version: string; description: string | null; step_count: number }[]
  >`
    SELECT namespace, name, version, description, jsonb_array_length(definition->'steps')::int AS step_count
    FROM tasker.templates
    WHERE true
      ${namespace === undefined ? sql`` : sql`AND namespace = ${namespace}`}
      ${scope === null ? sql`` : sql`AND namespace = ANY (${scope as string[]}::text[])`}
    ORDER BY namespace, name, version`;
  return rows.map((r) => ({
    namespace: r.namespace,
    name: r.name,
    version: r.version,
    description: r.description,
    stepCount: r.step_count,
  }));
}

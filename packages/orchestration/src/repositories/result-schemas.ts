// What result_schema enforcement needs from the database when its in-process knowledge runs out
// (engine/result-schemas.ts): whether any template declares a result_schema at all, and which template step a
// reported step was created from.
import type { Db } from './tasks.js';

/** true when some registered template has a step with a `result_schema` (a scan of the templates table). */
export async function anyTemplateDeclaresResultSchema(sql: Db): Promise<boolean> {
  const [row] = await sql<{ found: boolean }[]>`
    SELECT EXISTS (
      SELECT 1 FROM tasker.templates
      WHERE jsonb_path_exists(definition, '$.steps[*].resultSchema ? (@.type() == "object")')
    ) AS found`;
  return row?.found === true;
}

export interface StepTemplateRef {
  stepUuid: string;
  stepName: string;
  namespace: string;
  name: string;
  version: string;
}

/** The template (namespace, name, version) and template step name of each step that exists. */
export async function findStepTemplates(sql: Db, stepUuids: readonly string[]): Promise<StepTemplateRef[]> {
  const rows = await sql<{ step_uuid: string; step_name: string; namespace: string; name: string; version: string }[]>`
    SELECT s.step_uuid, s.name AS step_name, t.namespace, t.name, t.version
    FROM tasker.steps s JOIN tasker.tasks t ON t.task_uuid = s.task_uuid
    WHERE s.step_uuid = ANY (${stepUuids as string[]}::uuid[])`;
  return rows.map((r) => ({
    stepUuid: r.step_uuid,
    stepName: r.step_name,
    namespace: r.namespace,
    name: r.name,
    version: r.version,
  }));
}

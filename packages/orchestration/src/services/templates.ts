// Templates: validate, register (from the configured directory and from workers), list, get.
import type {
  JsonValue,
  NamespaceSummary,
  Template,
  TemplateDefinition,
  TemplateProblem,
  TemplateRegistration,
} from '@tasker/shared';
import { AppError, validationError, type FieldProblem } from '@tasker/shared/errors';
import { canonicalJson, sha256Hex } from '@tasker/shared/domain/identity';
import { templateStalenessWarnings, type StalenessSettings } from '@tasker/shared/domain/staleness';
import { parseTemplate, type TemplateDefaults } from '@tasker/shared/domain/template-parse';
import { canAccessNamespace, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import { CONSTRAINTS, isUniqueViolation } from '../db/pg-errors.js';
import type { TemplateCache } from '../engine/template-cache.js';
import { notifyTemplateChanged } from '../repositories/notifications.js';
import {
  findTemplate,
  insertTemplate,
  listTemplateSummaries,
  lockTemplate,
  updateTemplate,
  type TemplateWrite,
} from '../repositories/templates.js';
import { scopeOf, templateNotFound } from './access.js';
import type { TemplateService } from './types.js';

export interface TemplateServiceDeps {
  sql: Sql;
  cache: TemplateCache;
  /** config.environment: `environments.<env>` overrides must be valid for it too. */
  environment: string;
  /** config.backoff defaults for retry keys a template leaves out (what its steps run with). */
  defaults: Partial<TemplateDefaults>;
  /** What registration warnings are judged against (config.staleness). */
  staleness: StalenessSettings;
}

/** Lifecycle keys added after templates were first hashed: absent (null) they are left out of the hash. */
const LATER_LIFECYCLE_KEYS = ['stalenessAction', 'autoFailOnTimeout', 'autoDlqOnTimeout'] as const;

/**
 * SHA-256 of the canonical JSON of the normalised definition: aliases and key order do not count as changes.
 * Lifecycle keys a template does not use are left out, so a template registered before they existed keeps its
 * hash (re-registering it unchanged stays `unchanged`).
 */
export function templateContentHash(definition: TemplateDefinition): string {
  let hashed: unknown = definition;
  if (definition.lifecycle !== null) {
    const lifecycle: Record<string, unknown> = { ...definition.lifecycle };
    for (const key of LATER_LIFECYCLE_KEYS) if (lifecycle[key] === null) delete lifecycle[key];
    hashed = { ...definition, lifecycle };
  }
  return sha256Hex(canonicalJson(hashed as JsonValue));
}

interface PreparedTemplate extends TemplateWrite {
  warnings: TemplateProblem[];
}

export function createTemplateService(deps: TemplateServiceDeps): TemplateService {
  const { sql, cache } = deps;

  /** Warnings for the definition the template runs with here (this process's defaults and environment). */
  function warningsFor(raw: unknown, fallback: TemplateDefinition): TemplateProblem[] {
    const running = parseTemplate(raw, { defaults: deps.defaults, environment: deps.environment });
    return templateStalenessWarnings(running.ok ? running.definition : fallback, deps.staleness);
  }

  function prepare(principal: Principal, raws: unknown[]): PreparedTemplate[] {
    const problems: FieldProblem[] = [];
    const writes: PreparedTemplate[] = [];
    const prefix = (i: number, path: string): string =>
      raws.length === 1 ? path : `templates[${i}]${path === '' ? '' : `.${path}`}`;
    raws.forEach((raw, i) => {
      const parsed = parseTemplate(raw);
      const withEnv = parseTemplate(raw, { environment: deps.environment });
      if (!parsed.ok) {
        problems.push(...parsed.errors.map((e) => ({ path: prefix(i, e.path), message: e.message })));
        return;
      }
      if (!withEnv.ok) {
        problems.push(...withEnv.errors.map((e) => ({ path: prefix(i, e.path), message: e.message })));
        return;
      }
      const d = parsed.definition;
      if (!canAccessNamespace(principal, d.namespace)) {
        throw new AppError('PERMISSION_DENIED', `Not allowed to register templates in namespace ${d.namespace}`, {
          details: { namespace: d.namespace },
        });
      }
      const duplicate = writes.findIndex(
        (w) =>
          w.definition.namespace === d.namespace && w.definition.name === d.name && w.definition.version === d.version,
      );
      if (duplicate >= 0) {
        problems.push({
          path: prefix(i, ''),
          message: `registers ${d.namespace}/${d.name}/${d.version} a second time`,
        });
        return;
      }
      writes.push({
        definition: d,
        configuration: parsed.configuration,
        contentHash: templateContentHash(d),
        identityStrategy: d.identityStrategy,
        registeredBy: principal.subject,
        warnings: warningsFor(raw, withEnv.definition),
      });
    });
    if (problems.length > 0) throw validationError(problems, 'Invalid template');
    return writes;
  }

  async function store(writes: PreparedTemplate[], force: boolean): Promise<TemplateRegistration[]> {
    return sql.begin(async (tx) => {
      const outcomes: TemplateRegistration[] = [];
      const conflicts: string[] = [];
      for (const w of writes) {
        const d = w.definition;
        const existing = await lockTemplate(tx, d.namespace, d.name, d.version);
        let outcome: TemplateRegistration['outcome'];
        if (existing === undefined) {
          await insertTemplate(tx, w);
          outcome = 'created';
        } else if (existing.contentHash === w.contentHash) {
          outcome = 'unchanged';
        } else if (force) {
          await updateTemplate(tx, existing.templateUuid, w);
          outcome = 'updated';
        } else {
          conflicts.push(`${d.namespace}/${d.name}/${d.version}`);
          continue;
        }
        if (outcome !== 'unchanged') await notifyTemplateChanged(tx, d.namespace, d.name, d.version);
        outcomes.push({ namespace: d.namespace, name: d.name, version: d.version, outcome, warnings: w.warnings });
      }
      if (conflicts.length > 0) {
        throw new AppError(
          'INVALID_STATE',
          `Template content differs from the registered version (register a new version, or force): ${conflicts.join(', ')}`,
          { details: { templates: conflicts } },
        );
      }
      return outcomes;
    }) as Promise<TemplateRegistration[]>;
  }

  return {
    async list(principal, filter) {
      const templates = await listTemplateSummaries(sql, filter.namespace, scopeOf(principal));
      const namespaces = new Map<string, NamespaceSummary>();
      for (const t of templates) {
        const ns = namespaces.get(t.namespace) ?? { name: t.namespace, description: null, templateCount: 0 };
        ns.templateCount += 1;
        namespaces.set(t.namespace, ns);
      }
      return { namespaces: [...namespaces.values()], templates, totalCount: templates.length };
    },

    async get(principal, namespace, name, version): Promise<Template> {
      if (!canAccessNamespace(principal, namespace)) throw templateNotFound(namespace, name, version);
      const template = await findTemplate(sql, namespace, name, version);
      if (template === undefined) throw templateNotFound(namespace, name, version);
      return template;
    },

    async validate(_principal, raw) {
      const parsed = parseTemplate(raw, { environment: deps.environment });
      return parsed.ok ? { valid: true, errors: [] } : { valid: false, errors: parsed.errors };
    },

    async register(principal, raws, options) {
      const writes = prepare(principal, raws);
      let outcomes: TemplateRegistration[];
      try {
        outcomes = await store(writes, options.force);
      } catch (err) {
        // Two registrations of a new template raced: the loser re-reads and sees the winner's row.
        if (!isUniqueViolation(err, CONSTRAINTS.templateIdentity)) throw err;
        outcomes = await store(writes, options.force);
      }
      for (const w of writes) cache.invalidate(w.definition.namespace, w.definition.name, w.definition.version);
      return outcomes;
    },
  };
}

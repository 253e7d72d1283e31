// In-process template cache for task creation: (namespace, name, version) → the registered template, its
// compiled input schema (compiled once per content hash) and the step rows a task gets. Entries live
// `templates.cache_ttl_ms` (0 = no cache) and are dropped when this process registers the template. Another
// replica's forced update is caught at creation anyway: create_task compares the cached content hash with the
// row and raises TK001 on a mismatch, and the caller reloads (so a stale entry never creates a task).
import { parseTemplate, type TemplateDefaults } from '@tasker/shared/domain/template-parse';
import { compileJsonSchema, type CompiledSchema } from '@tasker/shared/domain/template-schema';
import type { Template, TemplateDefinition } from '@tasker/shared';
import { stepInsertsOf, type Db, type StepInsert } from '../repositories/tasks.js';
import { taskShapeOf, type DynamicLimits, type TaskPlan } from './dynamic-plan.js';
import { findTemplate } from '../repositories/templates.js';

export interface ResolvedTemplate {
  template: Template;
  /** The definition with this process's config defaults and environment overrides applied. */
  effective: TemplateDefinition;
  /** The steps a task starts with (all of them unless the template has dynamic steps). */
  steps: StepInsert[];
  /** What SQL needs to create the other steps later; null without dynamic steps. */
  plan: TaskPlan | null;
  validateInput: CompiledSchema | null;
}

export interface TemplateCacheOptions {
  ttlMs: number;
  defaults: Partial<TemplateDefaults>;
  environment: string;
  /** config.dynamic. */
  dynamicLimits: DynamicLimits;
}

function key(namespace: string, name: string, version: string): string {
  return `${namespace}\u0000${name}\u0000${version}`;
}

export interface TemplateCache {
  /** undefined when no such template is registered. */
  resolve(namespace: string, name: string, version: string): Promise<ResolvedTemplate | undefined>;
  /** The cached entry while it is fresh; never loads (undefined = not cached here). */
  peek(namespace: string, name: string, version: string): ResolvedTemplate | undefined;
  invalidate(namespace: string, name: string, version: string): void;
}

export function createTemplateCache(sql: Db, options: TemplateCacheOptions): TemplateCache {
  const entries = new Map<string, { value: ResolvedTemplate; loadedAt: number }>();
  const validators = new Map<string, CompiledSchema | null>();

  const build = (template: Template): ResolvedTemplate => {
    // Re-parse what was registered with this process's defaults for the keys the template left out; the
    // stored definition was normalised with the reference defaults so its content hash never depends on config.
    const parsed = parseTemplate(template.configuration, {
      defaults: options.defaults,
      environment: options.environment,
    });
    const effective = parsed.ok ? parsed.definition : template.definition;
    let validateInput = validators.get(template.contentHash);
    if (validateInput === undefined) {
      const schema = effective.inputSchema;
      const compiled = schema === null ? undefined : compileJsonSchema(schema);
      validateInput = compiled?.ok ? compiled.validate : null;
      validators.set(template.contentHash, validateInput);
    }
    const shape = taskShapeOf(effective, stepInsertsOf(effective), options.dynamicLimits);
    return { template, effective, steps: shape.steps, plan: shape.plan, validateInput };
  };

  return {
    async resolve(namespace, name, version) {
      const k = key(namespace, name, version);
      const hit = entries.get(k);
      if (hit !== undefined && Date.now() - hit.loadedAt < options.ttlMs) return hit.value;
      const template = await findTemplate(sql, namespace, name, version);
      if (template === undefined) {
        entries.delete(k);
        return undefined;
      }
      const value = build(template);
      if (options.ttlMs > 0) entries.set(k, { value, loadedAt: Date.now() });
      return value;
    },
    peek(namespace, name, version) {
      const hit = entries.get(key(namespace, name, version));
      return hit !== undefined && Date.now() - hit.loadedAt < options.ttlMs ? hit.value : undefined;
    },
    invalidate(namespace, name, version) {
      entries.delete(key(namespace, name, version));
    },
  };
}

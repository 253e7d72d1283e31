// Enforcement of a step's `result_schema` on reported results, before they reach SQL: a completion whose result
// fails its schema is replaced by a permanent failure (`result_schema_violation`), so REST and gRPC workers,
// single results and batches all get the same outcome from the one place every result passes through.
//
// Finding a step's schema costs nothing on the usual path: a claim tells us each step's template, and the
// template cache (peeked, never loaded on the claim path) gives its schema, remembered per step until its
// result arrives. A result this process did not hand out (the claim went to another replica, or this one
// restarted) is a miss. Misses are looked up in one query per batch — but only when some template declares a
// result_schema at all, which is known from one query per `templates.cache_ttl_ms` and re-checked at once when
// any replica registers a template (NOTIFY tasker_templates) or this process learns of a schema from a claim.
// An install without result schemas therefore pays a map lookup per result and one tiny query per TTL.
import { isUuid, type ClaimedStep, type StepResultReport } from '@tasker/shared';
import { resultSchemaFailure, resultSchemaViolations } from '@tasker/shared/domain/result-schema';
import { compileJsonSchema, type CompiledSchema } from '@tasker/shared/domain/template-schema';
import { anyTemplateDeclaresResultSchema, findStepTemplates } from '../repositories/result-schemas.js';
import type { Db } from '../repositories/tasks.js';
import type { ResolvedTemplate, TemplateCache } from './template-cache.js';

export interface ResultSchemaOptions {
  /** How long "no template declares a result_schema" is believed without asking again (templates.cache_ttl_ms). */
  ttlMs: number;
  /** Steps remembered from claims at most (oldest forgotten first: their results become lookups). */
  maxRemembered?: number;
}

/** Counters for tests and the bench: what enforcement cost. */
export interface ResultSchemaStats {
  /** Completions whose schema was known from a claim made here. */
  remembered: number;
  /** Completions this process knew nothing about. */
  missed: number;
  /** Queries asking whether any template declares a result_schema. */
  gateQueries: number;
  /** Queries finding the template steps of missed completions. */
  lookups: number;
  /** Completions replaced by a result_schema_violation failure. */
  violations: number;
}

export interface ResultSchemaEnforcer {
  /** Remembers the schemas of steps this process just handed out (nothing is loaded). */
  noteClaimed(steps: readonly ClaimedStep[]): void;
  /** `results` with every completion that fails its step's result_schema turned into a permanent failure. */
  enforce(results: readonly StepResultReport[]): Promise<StepResultReport[]>;
  /** A template was registered or changed (here or on another replica): believe nothing cached about it. */
  templateChanged(): void;
  stats(): ResultSchemaStats;
}

const MAX_VALIDATORS = 10_000;

export function createResultSchemaEnforcer(
  sql: Db,
  cache: TemplateCache,
  options: ResultSchemaOptions,
): ResultSchemaEnforcer {
  const maxRemembered = options.maxRemembered ?? 50_000;
  /** step uuid → its compiled result_schema (null: the step has none), from claims made here. */
  const claimed = new Map<string, CompiledSchema | null>();
  /** content hash + step name → compiled result_schema (null: none). */
  const validators = new Map<string, CompiledSchema | null>();
  const counters: ResultSchemaStats = { remembered: 0, missed: 0, gateQueries: 0, lookups: 0, violations: 0 };
  // Whether any template declares a result_schema: undefined = unknown. `generation` moves on every template
  // change, so an answer computed across a change is not kept; `learned` moves when a claim shows a schema.
  let declared: boolean | undefined;
  let declaredAt = 0;
  let generation = 0;
  let learned = 0;
  let asking: Promise<boolean> | undefined;

  function validatorFor(resolved: ResolvedTemplate, stepName: string): CompiledSchema | null {
    const key = `${resolved.template.contentHash}\u0000${stepName}`;
    const known = validators.get(key);
    if (known !== undefined) return known;
    const schema = resolved.effective.steps.find((s) => s.name === stepName)?.resultSchema ?? null;
    // Registration refuses a schema that does not compile, so `ok: false` only meets rows written before that.
    const compiled = schema === null ? undefined : compileJsonSchema(schema);
    const validate = compiled?.ok ? compiled.validate : null;
    if (validators.size >= MAX_VALIDATORS) validators.clear();
    validators.set(key, validate);
    return validate;
  }

  function learnDeclared(): void {
    learned += 1;
    declared = true;
    declaredAt = Date.now();
  }

  async function askDeclared(): Promise<boolean> {
    for (;;) {
      const [startedGeneration, startedLearned] = [generation, learned];
      counters.gateQueries += 1;
      const found = await anyTemplateDeclaresResultSchema(sql);
      if (startedGeneration !== generation) continue;
      declared = found || startedLearned !== learned;
      declaredAt = Date.now();
      return declared;
    }
  }

  /** Whether a completion nobody here knows about may need checking. */
  function mayBeDeclared(): Promise<boolean> | boolean {
    if (declared !== undefined && Date.now() - declaredAt < options.ttlMs) return declared;
    asking ??= askDeclared().finally(() => {
      asking = undefined;
    });
    return asking;
  }

  async function lookUp(stepUuids: readonly string[]): Promise<Map<string, CompiledSchema | null>> {
    const found = new Map<string, CompiledSchema | null>();
    const wellFormed = stepUuids.filter(isUuid);
    if (wellFormed.length === 0) return found;
    counters.lookups += 1;
    const refs = await findStepTemplates(sql, wellFormed);
    const templates = new Map<string, Promise<ResolvedTemplate | undefined>>();
    for (const ref of refs) {
      const key = `${ref.namespace}\u0000${ref.name}\u0000${ref.version}`;
      if (!templates.has(key)) templates.set(key, cache.resolve(ref.namespace, ref.name, ref.version));
    }
    for (const ref of refs) {
      const resolved = await templates.get(`${ref.namespace}\u0000${ref.name}\u0000${ref.version}`);
      found.set(ref.stepUuid, resolved === undefined ? null : validatorFor(resolved, ref.stepName));
    }
    return found;
  }

  return {
    noteClaimed(steps) {
      for (const step of steps) {
        const resolved = cache.peek(step.namespace, step.taskName, step.taskVersion);
        if (resolved === undefined) continue;
        const validate = validatorFor(resolved, step.stepName);
        if (validate !== null) learnDeclared();
        claimed.delete(step.stepUuid);
        claimed.set(step.stepUuid, validate);
        if (claimed.size > maxRemembered) {
          const oldest = claimed.keys().next();
          if (!oldest.done) claimed.delete(oldest.value);
        }
      }
    },

    async enforce(results) {
      const checks: { index: number; validate: CompiledSchema }[] = [];
      const misses: { index: number; stepUuid: string }[] = [];
      results.forEach((r, index) => {
        if (r.kind !== 'completed') return;
        const stepUuid = r.stepUuid.toLowerCase();
        const validate = claimed.get(stepUuid);
        if (validate === undefined) {
          misses.push({ index, stepUuid });
          return;
        }
        counters.remembered += 1;
        claimed.delete(stepUuid);
        if (validate !== null) checks.push({ index, validate });
      });
      counters.missed += misses.length;
      if (misses.length > 0 && (await mayBeDeclared())) {
        const found = await lookUp(misses.map((m) => m.stepUuid));
        for (const m of misses) {
          const validate = found.get(m.stepUuid);
          if (validate !== undefined && validate !== null) checks.push({ index: m.index, validate });
        }
      }
      if (checks.length === 0) return results as StepResultReport[];
      const out = [...results];
      for (const { index, validate } of checks) {
        const r = results[index];
        if (r === undefined || r.kind !== 'completed') continue;
        const violations = resultSchemaViolations(validate, r.result);
        if (violations.length === 0) continue;
        counters.violations += 1;
        out[index] = {
          kind: 'failed',
          stepUuid: r.stepUuid,
          leaseToken: r.leaseToken,
          error: resultSchemaFailure(violations),
          executionTimeMs: r.executionTimeMs,
        };
      }
      return out;
    },

    templateChanged() {
      // Validators are keyed by content hash: a changed template gets new ones, the old stay right for the old.
      generation += 1;
      declared = undefined;
    },

    stats: () => ({ ...counters }),
  };
}

// Template parsing and validation (the reference's format, docs/engine.md *Templates*): raw YAML text or an
// already-parsed object in, a normalised TemplateDefinition out, or every problem at once. Pure: the worker
// validates with the same code.
import { parse as parseYaml } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { dynamicGraphProblems } from './template-dynamic.js';
import { findDependencyCycle } from './template-graph.js';
import {
  aliased,
  join,
  optionalInt,
  optionalObject,
  optionalString,
  parseSchemaKey,
  parseStep,
  Problems,
  TEMPLATE_LIMITS,
  type TemplateDefaults,
} from './template-step.js';
import { lifecycleContradictions } from './staleness.js';
import {
  IDENTITY_STRATEGIES,
  STALENESS_ACTIONS,
  type IdentityStrategy,
  type StalenessAction,
  type TemplateDefinition,
  type TemplateLifecycle,
  type TemplateProblem,
  type TemplateStep,
} from './template.js';

export { TEMPLATE_LIMITS, type TemplateDefaults } from './template-step.js';

/**
 * The reference's defaults (docs/engine.md, *Retries*): 3 runs, exponential from 1 s, capped at 1 h, ±15 %.
 * Registration normalises with these so a stored definition (and its content hash) never depends on process
 * config; orchestration re-applies its configured `backoff.*` defaults to the keys the template left out.
 */
export const REFERENCE_TEMPLATE_DEFAULTS: Readonly<TemplateDefaults> = Object.freeze({
  retryable: true,
  maxAttempts: 3,
  backoff: 'exponential',
  backoffBaseMs: 1000,
  maxBackoffMs: 3_600_000,
  jitter: 0.15,
});

export interface ParseTemplateOptions {
  /** Default {@link REFERENCE_TEMPLATE_DEFAULTS}; any subset overrides it. */
  defaults?: Partial<TemplateDefaults>;
  /** Merge `environments.<environment>.steps[]` overrides (by step name) before validating. */
  environment?: string;
}

export type ParseTemplateResult =
  { ok: true; definition: TemplateDefinition; configuration: JsonObject } | { ok: false; errors: TemplateProblem[] };

const LIFECYCLE_KEYS = [
  'max_duration_minutes',
  'max_waiting_for_dependencies_minutes',
  'max_waiting_for_retry_minutes',
  'max_steps_in_process_minutes',
  'staleness_action',
  'auto_fail_on_timeout',
  'auto_dlq_on_timeout',
] as const;

function optionalBoolean(obj: JsonObject, key: string, path: string, p: Problems): boolean | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') {
    p.add(join(path, key), 'must be a boolean');
    return null;
  }
  return value;
}

/**
 * The reference's seven lifecycle keys; any other key is refused (a misspelt override silently dropped would
 * leave the default in force), and so are action keys that contradict each other.
 */
function parseLifecycle(raw: JsonObject | null, p: Problems): TemplateLifecycle | null {
  if (raw === null) return null;
  const max = TEMPLATE_LIMITS.maxLifecycleMinutes;
  for (const key of Object.keys(raw)) {
    if (!(LIFECYCLE_KEYS as readonly string[]).includes(key))
      p.add(join('lifecycle', key), `is not a lifecycle key (known: ${LIFECYCLE_KEYS.join(', ')})`);
  }
  const action = raw['staleness_action'];
  let stalenessAction: StalenessAction | null = null;
  if (action !== undefined && action !== null) {
    if (typeof action === 'string' && (STALENESS_ACTIONS as readonly string[]).includes(action))
      stalenessAction = action as StalenessAction;
    else p.add('lifecycle.staleness_action', `must be one of ${STALENESS_ACTIONS.join(', ')}`);
  }
  const lifecycle: TemplateLifecycle = {
    maxDurationMinutes: optionalInt(raw, 'max_duration_minutes', 'lifecycle', p, 1, max),
    maxWaitingForDependenciesMinutes: optionalInt(raw, 'max_waiting_for_dependencies_minutes', 'lifecycle', p, 1, max),
    maxWaitingForRetryMinutes: optionalInt(raw, 'max_waiting_for_retry_minutes', 'lifecycle', p, 1, max),
    maxStepsInProcessMinutes: optionalInt(raw, 'max_steps_in_process_minutes', 'lifecycle', p, 1, max),
    stalenessAction,
    autoFailOnTimeout: optionalBoolean(raw, 'auto_fail_on_timeout', 'lifecycle', p),
    autoDlqOnTimeout: optionalBoolean(raw, 'auto_dlq_on_timeout', 'lifecycle', p),
  };
  for (const problem of lifecycleContradictions(lifecycle)) p.add(problem.path, problem.message);
  return lifecycle;
}

/** Applies `environments.<env>.steps[]` entries onto the steps with the same name (shallow per key). */
function mergeEnvironment(raw: JsonObject, environment: string | undefined, p: Problems): JsonObject {
  if (environment === undefined) return raw;
  const envs = raw['environments'];
  if (!isJsonObject(envs)) return raw;
  const env = envs[environment];
  if (!isJsonObject(env) || !Array.isArray(env['steps']) || !Array.isArray(raw['steps'])) return raw;
  const steps = raw['steps'].map((s) => (isJsonObject(s) ? { ...s } : s));
  env['steps'].forEach((override, i) => {
    const path = `environments.${environment}.steps[${i}]`;
    if (!isJsonObject(override) || typeof override['name'] !== 'string') {
      p.add(path, 'must be an object with the name of a step');
      return;
    }
    const target = steps.find((s) => isJsonObject(s) && s['name'] === override['name']);
    if (!isJsonObject(target)) {
      p.add(join(path, 'name'), `no step named '${override['name']}'`);
      return;
    }
    for (const key of ['timeout_seconds', 'retry'] as const) {
      if (override[key] !== undefined) target[key] = override[key] as JsonValue;
    }
    const handler = override['handler'];
    if (isJsonObject(handler) && handler['initialization'] !== undefined) {
      const base = isJsonObject(target['handler']) ? target['handler'] : {};
      target['handler'] = { ...base, initialization: handler['initialization'] as JsonValue };
    }
  });
  return { ...raw, steps };
}

/** Reads YAML text or an object; `undefined` with a problem when it is neither. */
function readRaw(raw: unknown, p: Problems): JsonObject | undefined {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = parseYaml(raw, { prettyErrors: true, uniqueKeys: true });
    } catch (err) {
      p.add('', `is not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
  if (!isJsonObject(value as JsonValue)) {
    p.add('', 'must be a mapping (YAML object) with name, namespace_name, version and steps');
    return undefined;
  }
  // Round-trip through JSON: drops YAML-only values (dates, undefined) so configuration is plain JSON.
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/**
 * Parses and validates a template, reporting every problem at once (each with the path of the key).
 * Accepts the reference format: `namespace_name` (or `namespace`), aliases `step_type` and `depends_on`.
 */
export function parseTemplate(raw: unknown, options: ParseTemplateOptions = {}): ParseTemplateResult {
  const p = new Problems();
  const read = readRaw(raw, p);
  if (read === undefined) return { ok: false, errors: p.list };
  const configuration = read;
  const source = mergeEnvironment(read, options.environment, p);
  const defaults: TemplateDefaults = { ...REFERENCE_TEMPLATE_DEFAULTS, ...options.defaults };

  const namespace = aliased(source, 'namespace_name', 'namespace', '', p);
  if (typeof namespace !== 'string' || !TEMPLATE_LIMITS.namespace.test(namespace)) {
    p.add('namespace_name', 'is required: 1-29 characters of letters, digits and _');
  }
  const name = source['name'];
  if (typeof name !== 'string' || !TEMPLATE_LIMITS.name.test(name)) {
    p.add('name', 'is required: 1-128 characters of letters, digits, _ . - (not starting with . or -)');
  }
  const version = source['version'];
  if (
    typeof version !== 'string' ||
    version.length > TEMPLATE_LIMITS.versionMaxLength ||
    !TEMPLATE_LIMITS.version.test(version)
  ) {
    p.add('version', 'is required: a version like 1.0.0 (MAJOR[.MINOR[.PATCH]][-pre][+build])');
  }
  const identityRaw = source['identity_strategy'] ?? 'strict';
  let identityStrategy: IdentityStrategy = 'strict';
  if (typeof identityRaw === 'string' && (IDENTITY_STRATEGIES as readonly string[]).includes(identityRaw)) {
    identityStrategy = identityRaw as IdentityStrategy;
  } else {
    p.add('identity_strategy', `must be one of ${IDENTITY_STRATEGIES.join(', ')}`);
  }

  const steps: TemplateStep[] = [];
  const stepsRaw = source['steps'];
  if (!Array.isArray(stepsRaw) || stepsRaw.length === 0) {
    p.add('steps', 'is required: a non-empty list of steps');
  } else if (stepsRaw.length > TEMPLATE_LIMITS.maxSteps) {
    p.add('steps', `must have at most ${TEMPLATE_LIMITS.maxSteps} steps`);
  } else {
    const parsed: { index: number; step: TemplateStep }[] = [];
    stepsRaw.forEach((s, index) => {
      const step = parseStep(s, index, defaults, p);
      if (step !== null) parsed.push({ index, step });
    });
    checkGraph(parsed, p);
    steps.push(...parsed.map((e) => e.step));
  }

  const definition: TemplateDefinition = {
    namespace: typeof namespace === 'string' ? namespace : '',
    name: typeof name === 'string' ? name : '',
    version: typeof version === 'string' ? version : '',
    description: optionalString(source, 'description', '', p),
    identityStrategy,
    inputSchema: parseSchemaKey(source, 'input_schema', '', p),
    lifecycle: parseLifecycle(optionalObject(source, 'lifecycle', '', p), p),
    metadata: optionalObject(source, 'metadata', '', p),
    steps,
  };
  if (p.list.length > 0) return { ok: false, errors: p.list };
  return { ok: true, definition, configuration };
}

/** Unique names, known dependencies, no self-dependency, no cycle (reported as its path), the dynamic-step rules. */
function checkGraph(parsed: readonly { index: number; step: TemplateStep }[], p: Problems): void {
  const indexByName = new Map<string, number>();
  for (const { index, step } of parsed) {
    if (step.name === '') continue;
    const first = indexByName.get(step.name);
    if (first !== undefined) p.add(`steps[${index}].name`, `duplicates the name of steps[${first}] ('${step.name}')`);
    else indexByName.set(step.name, index);
  }
  for (const { index, step } of parsed) {
    step.dependencies.forEach((dep, d) => {
      if (dep === step.name) p.add(`steps[${index}].dependencies[${d}]`, 'a step cannot depend on itself');
      else if (!indexByName.has(dep)) p.add(`steps[${index}].dependencies[${d}]`, `unknown step '${dep}'`);
    });
  }
  const cycle = findDependencyCycle(
    parsed.map(({ step }) => ({ name: step.name, dependencies: step.dependencies.filter((d) => d !== step.name) })),
  );
  if (cycle !== null) p.add('steps', `dependency cycle (each step depends on the next): ${cycle.join(' -> ')}`);
  const steps = parsed.map((e) => e.step);
  for (const problem of dynamicGraphProblems(steps, (name) => indexByName.get(name) ?? -1))
    p.add(problem.path, problem.message);
}

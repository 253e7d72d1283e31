// Step-level template parsing: each key of a step (and its retry policy) checked, defaults applied, every
// problem recorded with its path. Used by template-parse.ts.
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { TEXT_LIMITS } from './limits.js';
import { compileJsonSchema } from './template-schema.js';
import {
  BACKOFF_KINDS,
  FAILURE_STRATEGIES,
  STEP_TYPES,
  type BackoffKind,
  type BatchConfig,
  type FailureStrategy,
  type StepType,
  type TemplateProblem,
  type TemplateStep,
} from './template.js';

/** Values for retry keys a template leaves out. */
export interface TemplateDefaults {
  retryable: boolean;
  maxAttempts: number;
  backoff: BackoffKind;
  backoffBaseMs: number;
  maxBackoffMs: number;
  jitter: number;
}

export const TEMPLATE_LIMITS = {
  namespace: /^[A-Za-z0-9_]{1,29}$/,
  name: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
  version: /^\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$/,
  /** The same bound as a requested version (TEXT_LIMITS.version). */
  versionMaxLength: TEXT_LIMITS.version.max,
  stepName: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
  /** A handler's callable, method and resolver: the bound of a handler name a worker registers. */
  handlerMaxLength: TEXT_LIMITS.workerName.max,
  maxSteps: 1000,
  maxAttempts: 100,
  maxBackoffMs: 86_400_000,
  maxTimeoutSeconds: 86_400,
  maxLifecycleMinutes: 525_600,
  maxBatchSize: 100_000,
  maxParallelism: 1000,
} as const;

const BATCH_CONFIG_KEYS = ['batch_size', 'parallelism', 'cursor_field', 'worker_template', 'failure_strategy'] as const;

/**
 * A batch_worker's `batch_config`: the reference's five keys (any other is refused), defaults batch_size 1000,
 * parallelism 10, cursor_field `id`, failure_strategy continue_on_failure; worker_template is required.
 */
export function parseBatchConfig(
  raw: JsonValue | undefined,
  stepName: string,
  path: string,
  p: Problems,
): BatchConfig | null {
  if (raw === undefined || raw === null) {
    p.add(path, 'is required on a batch_worker step: an object with at least worker_template');
    return null;
  }
  if (!isJsonObject(raw)) {
    p.add(path, 'must be an object');
    return null;
  }
  for (const key of Object.keys(raw)) {
    if (!(BATCH_CONFIG_KEYS as readonly string[]).includes(key))
      p.add(join(path, key), `is not a batch_config key (known: ${BATCH_CONFIG_KEYS.join(', ')})`);
  }
  const workerTemplate = raw['worker_template'];
  if (typeof workerTemplate !== 'string' || workerTemplate === '' || workerTemplate.length > 255) {
    p.add(join(path, 'worker_template'), 'is required: the name of this batch_worker step (1-255 characters)');
  } else if (workerTemplate !== stepName) {
    p.add(join(path, 'worker_template'), `must name this batch_worker step ('${stepName}'), not '${workerTemplate}'`);
  }
  const strategy = raw['failure_strategy'];
  let failureStrategy: FailureStrategy = 'continue_on_failure';
  if (strategy !== undefined && strategy !== null) {
    if (typeof strategy === 'string' && (FAILURE_STRATEGIES as readonly string[]).includes(strategy))
      failureStrategy = strategy as FailureStrategy;
    else p.add(join(path, 'failure_strategy'), `must be one of ${FAILURE_STRATEGIES.join(', ')}`);
  }
  return {
    batchSize: optionalInt(raw, 'batch_size', path, p, 1, TEMPLATE_LIMITS.maxBatchSize) ?? 1000,
    parallelism: optionalInt(raw, 'parallelism', path, p, 1, TEMPLATE_LIMITS.maxParallelism) ?? 10,
    cursorField: optionalString(raw, 'cursor_field', path, p, 255) ?? 'id',
    workerTemplate: typeof workerTemplate === 'string' ? workerTemplate : stepName,
    failureStrategy,
  };
}

/** Collects every problem of a template, each with the path of the offending key. */
export class Problems {
  readonly list: TemplateProblem[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

export function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
}

export function optionalString(obj: JsonObject, key: string, path: string, p: Problems, max = 10_000): string | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    p.add(join(path, key), 'must be a string');
    return null;
  }
  if (value.length > max) p.add(join(path, key), `must be at most ${max} characters`);
  return value;
}

export function optionalObject(obj: JsonObject, key: string, path: string, p: Problems): JsonObject | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (!isJsonObject(value)) {
    p.add(join(path, key), 'must be an object');
    return null;
  }
  return value;
}

export function optionalInt(
  obj: JsonObject,
  key: string,
  path: string,
  p: Problems,
  min: number,
  max: number,
): number | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    p.add(join(path, key), 'must be an integer');
    return null;
  }
  if (value < min || value > max) {
    p.add(join(path, key), `must be between ${min} and ${max}`);
    return null;
  }
  return value;
}

/** `a` or its alias `b` (e.g. `dependencies` / `depends_on`); both present with different values is a problem. */
export function aliased(obj: JsonObject, a: string, b: string, path: string, p: Problems): JsonValue | undefined {
  const first = obj[a];
  const second = obj[b];
  if (first !== undefined && second !== undefined && JSON.stringify(first) !== JSON.stringify(second)) {
    p.add(join(path, b), `conflicts with ${a}; give only one of them`);
  }
  return first ?? second;
}

function parseRetry(
  raw: JsonValue | undefined,
  path: string,
  defaults: TemplateDefaults,
  p: Problems,
): TemplateStep['retry'] {
  const retry: TemplateStep['retry'] = {
    retryable: defaults.retryable,
    maxAttempts: defaults.maxAttempts,
    backoff: defaults.backoff,
    backoffBaseMs: defaults.backoffBaseMs,
    maxBackoffMs: defaults.maxBackoffMs,
    jitter: defaults.jitter,
  };
  if (raw === undefined || raw === null) return retry;
  if (!isJsonObject(raw)) {
    p.add(path, 'must be an object');
    return retry;
  }
  if (raw['retryable'] !== undefined) {
    if (typeof raw['retryable'] === 'boolean') retry.retryable = raw['retryable'];
    else p.add(join(path, 'retryable'), 'must be a boolean');
  }
  retry.maxAttempts = optionalInt(raw, 'max_attempts', path, p, 0, TEMPLATE_LIMITS.maxAttempts) ?? retry.maxAttempts;
  const backoff = raw['backoff'];
  if (backoff !== undefined && backoff !== null) {
    if (typeof backoff === 'string' && (BACKOFF_KINDS as readonly string[]).includes(backoff)) {
      retry.backoff = backoff as BackoffKind;
    } else {
      p.add(join(path, 'backoff'), `must be one of ${BACKOFF_KINDS.join(', ')}`);
    }
  }
  const base = optionalInt(raw, 'backoff_base_ms', path, p, 1, TEMPLATE_LIMITS.maxBackoffMs);
  const cap = optionalInt(raw, 'max_backoff_ms', path, p, 1, TEMPLATE_LIMITS.maxBackoffMs);
  if (base !== null) retry.backoffBaseMs = base;
  if (cap !== null) retry.maxBackoffMs = cap;
  if (base !== null && cap !== null && cap < base) {
    p.add(join(path, 'max_backoff_ms'), 'must be at least backoff_base_ms');
  } else if (cap === null && retry.maxBackoffMs < retry.backoffBaseMs) {
    // Only the base was raised above the default cap: the cap follows it.
    retry.maxBackoffMs = retry.backoffBaseMs;
  } else if (base === null && retry.maxBackoffMs < retry.backoffBaseMs) {
    retry.backoffBaseMs = retry.maxBackoffMs;
  }
  const jitter = raw['jitter'];
  if (jitter !== undefined && jitter !== null) {
    if (typeof jitter === 'number' && jitter >= 0 && jitter <= 1) retry.jitter = jitter;
    else p.add(join(path, 'jitter'), 'must be a number between 0 and 1');
  }
  return retry;
}

export function parseSchemaKey(obj: JsonObject, key: string, path: string, p: Problems): JsonObject | null {
  const schema = optionalObject(obj, key, path, p);
  if (schema === null) return null;
  const compiled = compileJsonSchema(schema);
  if (!compiled.ok) p.add(join(path, key), `is not a valid JSON Schema: ${compiled.message}`);
  return schema;
}

export function parseStep(raw: JsonValue, index: number, defaults: TemplateDefaults, p: Problems): TemplateStep | null {
  const path = `steps[${index}]`;
  if (!isJsonObject(raw)) {
    p.add(path, 'must be an object');
    return null;
  }
  const name = raw['name'];
  if (typeof name !== 'string' || !TEMPLATE_LIMITS.stepName.test(name)) {
    p.add(join(path, 'name'), 'is required: 1-128 characters of letters, digits, _ . - (not starting with . or -)');
  }
  const typeRaw = aliased(raw, 'type', 'step_type', path, p) ?? 'standard';
  let type: StepType = 'standard';
  if (typeof typeRaw !== 'string' || !(STEP_TYPES as readonly string[]).includes(typeRaw)) {
    p.add(join(path, 'type'), `must be one of ${STEP_TYPES.join(', ')}`);
  } else {
    type = typeRaw as StepType;
  }

  const handlerRaw = raw['handler'];
  let handler: TemplateStep['handler'] = { callable: '', method: null, resolver: null, initialization: {} };
  if (!isJsonObject(handlerRaw)) {
    p.add(join(path, 'handler'), 'is required: an object with a callable');
  } else {
    const hPath = join(path, 'handler');
    const callable = handlerRaw['callable'];
    const max = TEMPLATE_LIMITS.handlerMaxLength;
    if (typeof callable !== 'string' || callable.trim() === '' || callable.length > max) {
      p.add(join(hPath, 'callable'), `is required: a non-empty string of at most ${max} characters`);
    }
    handler = {
      callable: typeof callable === 'string' ? callable : '',
      method: optionalString(handlerRaw, 'method', hPath, p, max),
      resolver: optionalString(handlerRaw, 'resolver', hPath, p, max),
      initialization: optionalObject(handlerRaw, 'initialization', hPath, p) ?? {},
    };
  }

  const depsRaw = aliased(raw, 'dependencies', 'depends_on', path, p) ?? [];
  const dependencies: string[] = [];
  if (!Array.isArray(depsRaw)) {
    p.add(join(path, 'dependencies'), 'must be a list of step names');
  } else {
    depsRaw.forEach((dep, i) => {
      if (typeof dep !== 'string' || dep === '') p.add(`${join(path, 'dependencies')}[${i}]`, 'must be a step name');
      else if (dependencies.includes(dep)) p.add(`${join(path, 'dependencies')}[${i}]`, `lists '${dep}' twice`);
      else dependencies.push(dep);
    });
  }

  const step: TemplateStep = {
    name: typeof name === 'string' ? name : '',
    description: optionalString(raw, 'description', path, p),
    type,
    handler,
    dependencies,
    retry: parseRetry(raw['retry'], join(path, 'retry'), defaults, p),
    timeoutSeconds: optionalInt(raw, 'timeout_seconds', path, p, 1, TEMPLATE_LIMITS.maxTimeoutSeconds),
    resultSchema: parseSchemaKey(raw, 'result_schema', path, p),
  };
  const batchConfig = raw['batch_config'];
  if (type === 'batch_worker') {
    const parsedConfig = parseBatchConfig(batchConfig, step.name, join(path, 'batch_config'), p);
    if (parsedConfig !== null) step.batchConfig = parsedConfig;
  } else if (batchConfig !== undefined && batchConfig !== null) {
    p.add(join(path, 'batch_config'), 'belongs on a batch_worker step (it configures that worker template)');
  }
  return step;
}

import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, type Config, type ConfigInput } from './config-schema.js';

/** One thing wrong with the configuration. `source` names the file or env var that set the value, when known. */
export interface ConfigProblem {
  path: string;
  message: string;
  source?: string;
}

/** Thrown by {@link loadConfig}; its message lists every problem, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) =>
      p.path === '' && p.source
        ? `  - ${p.source}: ${p.message}`
        : `  - ${p.path || '(root)'}: ${p.message}${p.source ? ` (${p.source})` : ''}`,
    );
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.problems = problems;
  }
}

type EnvKind = 'string' | 'int' | 'bool' | 'list';

/** The env allow-list: only these variables change config (besides TASKER_CONFIG_PATH / TASKER_CONFIG_DIR). */
export const CONFIG_ENV_VARS: readonly { name: string; path: string; kind: EnvKind }[] = [
  { name: 'TASKER_ENV', path: 'environment', kind: 'string' },
  { name: 'TASKER_DATA_DIR', path: 'data_dir', kind: 'string' },
  { name: 'DATABASE_URL', path: 'database.url', kind: 'string' },
  { name: 'TASKER_EMBEDDED_PG_PORT', path: 'database.embedded.port', kind: 'int' },
  { name: 'TASKER_REST_ADDRESS', path: 'rest.address', kind: 'string' },
  { name: 'TASKER_GRPC_ADDRESS', path: 'grpc.address', kind: 'string' },
  { name: 'TASKER_GRPC_REFLECTION', path: 'grpc.reflection.enabled', kind: 'bool' },
  { name: 'TASKER_TEMPLATE_PATH', path: 'templates.dir', kind: 'string' },
  { name: 'TASKER_LOG_LEVEL', path: 'logging.level', kind: 'string' },
  { name: 'TASKER_AUTH_ENABLED', path: 'auth.enabled', kind: 'bool' },
  { name: 'TASKER_JWT_ISSUER', path: 'auth.jwt.issuer', kind: 'string' },
  { name: 'TASKER_JWT_AUDIENCE', path: 'auth.jwt.audience', kind: 'string' },
  { name: 'TASKER_JWT_HS256_SECRET', path: 'auth.jwt.hs256_secret', kind: 'string' },
  { name: 'TASKER_JWT_PUBLIC_KEY_PATH', path: 'auth.jwt.public_key_path', kind: 'string' },
  { name: 'TASKER_JWT_PUBLIC_KEY', path: 'auth.jwt.public_key_pem', kind: 'string' },
  { name: 'TASKER_JWT_JWKS_URL', path: 'auth.jwt.jwks_url', kind: 'string' },
  { name: 'TASKER_WORKER_REST_ADDRESS', path: 'worker.rest_address', kind: 'string' },
  { name: 'TASKER_WORKER_GRPC_ADDRESS', path: 'worker.grpc_address', kind: 'string' },
  { name: 'TASKER_WORKER_CONCURRENCY', path: 'worker.concurrency', kind: 'int' },
  { name: 'TASKER_WORKER_TRANSPORT', path: 'worker.orchestration.transport', kind: 'string' },
  { name: 'TASKER_ORCHESTRATION_ADDRESSES', path: 'worker.orchestration.addresses', kind: 'list' },
  { name: 'TASKER_WORKER_API_KEY', path: 'worker.orchestration.api_key', kind: 'string' },
];

type DeepPartial<T> = T extends readonly (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
/** Values applied after files and env (tests, embedding): same shape as the YAML, any subset. */
export type ConfigOverrides = DeepPartial<ConfigInput>;

export interface LoadConfigOptions {
  /** Environment to read the allow-list from (pass `process.env` from an entry point). Default: none. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory of default.yaml and the overlays. Default: TASKER_CONFIG_DIR, else the repository's `config/`. */
  configDir?: string;
  overrides?: ConfigOverrides;
}

const REPO_CONFIG_DIR = fileURLToPath(new URL('../../../config/', import.meta.url));
const ENV_NAME = /^[a-z][a-z0-9_-]*$/;

type Tree = Record<string, unknown>;

/**
 * Loads the configuration: `default.yaml` → `<TASKER_ENV>.yaml` (TASKER_ENV, else the `environment` of
 * default.yaml; a missing overlay is an error only when TASKER_ENV names it) → allow-listed env vars →
 * `overrides` → {@link ConfigSchema} → deep-frozen. `TASKER_CONFIG_PATH` names one complete file used
 * instead of default.yaml and the overlay.
 * @throws ConfigError listing every problem found (files, env values and schema) at once.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? {};
  const problems: ConfigProblem[] = [];
  const origins = new Map<string, string>();
  let merged: Tree = {};

  const configPath = envValue(env, 'TASKER_CONFIG_PATH');
  if (configPath !== undefined) {
    merged = readYamlFile(resolve(configPath), `TASKER_CONFIG_PATH ${configPath}`, problems) ?? {};
    recordOrigins(merged, '', configPath, origins);
  } else {
    const dir = options.configDir ?? envValue(env, 'TASKER_CONFIG_DIR') ?? REPO_CONFIG_DIR;
    const base = readYamlFile(join(dir, 'default.yaml'), 'default.yaml', problems) ?? {};
    recordOrigins(base, '', 'default.yaml', origins);
    merged = base;
    const explicitEnv = envValue(env, 'TASKER_ENV');
    const envName = explicitEnv ?? (typeof base['environment'] === 'string' ? base['environment'] : undefined);
    // A malformed name is not used as a file name; the schema reports it under `environment`.
    if (envName !== undefined && ENV_NAME.test(envName)) {
      const file = `${envName}.yaml`;
      const hint = ` (TASKER_ENV=${envName} needs this overlay; it may be empty)`;
      const overlay = readYamlFile(join(dir, file), file, problems, explicitEnv === undefined, hint);
      if (overlay) {
        recordOrigins(overlay, '', file, origins);
        merged = deepMerge(merged, overlay);
      }
    }
  }

  const fromEnv: Tree = {};
  for (const binding of CONFIG_ENV_VARS) {
    const raw = envValue(env, binding.name);
    if (raw === undefined) continue;
    const parsed = parseEnvValue(binding.kind, raw);
    if ('error' in parsed) {
      problems.push({ path: binding.path, message: parsed.error, source: `env ${binding.name}` });
      continue;
    }
    setPath(fromEnv, binding.path, parsed.value);
    origins.set(binding.path, `env ${binding.name}`);
  }
  merged = deepMerge(merged, fromEnv);
  if (options.overrides) {
    recordOrigins(options.overrides as Tree, '', 'overrides', origins);
    merged = deepMerge(merged, options.overrides as Tree);
  }

  const result = ConfigSchema.safeParse(merged);
  if (!result.success) problems.push(...describeIssues(result.error.issues, origins));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze((result as { data: Config }).data);
}

const defaultConfigs = new Map<string, Config>();

/**
 * The configuration of `default.yaml` alone (no overlay, no env): the documented defaults, for code that takes
 * options and falls back to them (createWorker). Read and validated once per directory.
 * @param configDir Directory of default.yaml. Default: the repository's `config/`.
 * @throws ConfigError when default.yaml is missing or invalid.
 */
export function defaultConfig(configDir: string = REPO_CONFIG_DIR): Config {
  let config = defaultConfigs.get(configDir);
  if (config === undefined) {
    // TASKER_CONFIG_PATH: exactly this one file, without the overlay its `environment` would pick.
    config = loadConfig({ env: { TASKER_CONFIG_PATH: join(configDir, 'default.yaml') } });
    defaultConfigs.set(configDir, config);
  }
  return config;
}

function envValue(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name];
  // An empty variable (common in compose files and CI) means unset, not "the empty string".
  return value === undefined || value.trim() === '' ? undefined : value;
}

function parseEnvValue(kind: EnvKind, raw: string): { value: unknown } | { error: string } {
  const text = raw.trim();
  switch (kind) {
    case 'string':
      return { value: text };
    case 'int':
      return /^-?\d+$/.test(text) ? { value: Number(text) } : { error: `expected an integer, got "${text}"` };
    case 'bool': {
      const lower = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return { value: true };
      if (['false', '0', 'no', 'off'].includes(lower)) return { value: false };
      return { error: `expected true or false, got "${text}"` };
    }
    case 'list':
      return {
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      };
  }
}

function readYamlFile(
  file: string,
  label: string,
  problems: ConfigProblem[],
  optional = false,
  hint = '',
): Tree | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing && optional) return undefined;
    const message = missing ? `file not found: ${file}${hint}` : `cannot read ${file}: ${String(error)}`;
    problems.push({ path: '', message, source: label });
    return undefined;
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      problems.push({ path: '', message: `YAML: ${e.message.split('\n')[0]}`, source: label });
    return undefined;
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isTree(value)) {
    problems.push({ path: '', message: 'expected a mapping at the top of the file', source: label });
    return undefined;
  }
  return value;
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Mappings merge key by key; anything else (scalars, null, lists) replaces. */
function deepMerge(base: Tree, overlay: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function setPath(tree: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = isTree(next) ? next : (node[key] = {});
  }
  node[keys[keys.length - 1] as string] = value;
}

function recordOrigins(tree: Tree, prefix: string, source: string, origins: Map<string, string>): void {
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    origins.set(path, source);
    if (isTree(value)) recordOrigins(value, path, source, origins);
  }
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>(
    (acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${String(s)}` : String(s)),
    '',
  );
}

/** The source that set `path` or its nearest ancestor (a list replaced whole carries its items' origin). */
function originOf(path: string, origins: Map<string, string>): string | undefined {
  for (let p = path.replace(/\[\d+\]/g, ''); p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const origin = origins.get(p);
    if (origin) return origin;
  }
  return undefined;
}

function describeIssues(issues: readonly z.core.$ZodIssue[], origins: Map<string, string>): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const base = formatPath(issue.path);
    // One problem per unknown key, so each misspelling is named on its own line.
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (base ? `${base}.${k}` : k)) : [base];
    const message = issue.code === 'unrecognized_keys' ? 'unknown key' : describeMessage(issue);
    return paths.map((path) => {
      const source = originOf(path, origins);
      return source === undefined ? { path, message } : { path, message, source };
    });
  });
}

function describeMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return 'missing (required)';
  return issue.message;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  ConfigError,
  SafeConfigSchema,
  defaultConfig,
  loadConfig,
  parseAddress,
  toSafeConfig,
  type Config,
} from './config.js';

const CONFIG_DIR = fileURLToPath(new URL('../../../config/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'tasker-config-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A config dir holding the real default.yaml plus the given overlay files. */
function configDirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, 'dir-'));
  copyFileSync(join(CONFIG_DIR, 'default.yaml'), join(dir, 'default.yaml'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function loadError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: files', () => {
  it('loads the defaults (development overlay when TASKER_ENV is unset) and deep-freezes them', () => {
    const config = loadConfig({ env: {} });
    expect(config.environment).toBe('development');
    expect(config.rest.address).toBe('0.0.0.0:8080');
    expect(config.grpc.address).toBe('0.0.0.0:9190');
    expect(config.worker.rest_address).toBe('0.0.0.0:8081');
    expect(config.worker.grpc_address).toBe('0.0.0.0:9191');
    expect(config.data_dir).toBe('.tasker');
    expect(config.database.url).toBeNull();
    expect(config.database.embedded).toEqual({ port: 5433, data_dir: join('.tasker', 'pg') });
    expect(config.auth.enabled).toBe(true);
    // Reflection is a development convenience: on and public there, off by default everywhere else.
    expect(config.grpc.reflection).toEqual({ enabled: true, public: true });
    expect(loadConfig({ env: { TASKER_ENV: 'test' } }).grpc.reflection).toEqual({ enabled: false, public: false });
    expect(config.backoff).toEqual({
      default_base_ms: 1000,
      multiplier: 2,
      max_backoff_ms: 3_600_000,
      jitter_ratio: 0.15,
    });
    expect(config.staleness.thresholds).toEqual({
      waiting_for_dependencies_minutes: 15,
      waiting_for_retry_minutes: 10,
      steps_in_process_minutes: 15,
      task_max_lifetime_hours: 4,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.auth.jwt.algorithms)).toBe(true);
    expect(() => {
      (config.rest as { address: string }).address = 'x';
    }).toThrow(TypeError);
  });

  it('applies the test overlay: fast timings, base values elsewhere', () => {
    const config = loadConfig({ env: { TASKER_ENV: 'test' } });
    expect(config.environment).toBe('test');
    expect(config.backoff.default_base_ms).toBe(50);
    expect(config.backoff.max_backoff_ms).toBe(10_000);
    expect(config.engine.lease_seconds).toBe(2);
    expect(config.engine.poll_fallback_ms).toBeLessThanOrEqual(250);
    expect(config.rest.address).toBe('127.0.0.1:0');
    expect(config.database.embedded.data_dir).toBe(join('.tasker', 'test', 'pg'));
    expect(config.staleness.thresholds).toEqual({
      waiting_for_dependencies_minutes: 5,
      waiting_for_retry_minutes: 2,
      steps_in_process_minutes: 5,
      task_max_lifetime_hours: 1,
    });
    expect(config.backoff.multiplier).toBe(2);
    expect(config.auth.jwt.issuer).toBe('tasker');
  });

  it('applies the production overlay', () => {
    const config = loadConfig({ env: { TASKER_ENV: 'production' } });
    expect(config.grpc.reflection).toEqual({ enabled: false, public: false });
    expect(config.grpc.max_concurrent_streams).toBe(500);
    expect(config.database.pool_max).toBe(50);
    expect(config.auth.dev_key_file).toBeNull();
    expect(config.staleness.thresholds).toEqual({
      waiting_for_dependencies_minutes: 120,
      waiting_for_retry_minutes: 60,
      steps_in_process_minutes: 60,
      task_max_lifetime_hours: 48,
    });
  });

  it('names every wrong key of a bad file in one error', () => {
    const dir = configDirWith({
      'bad.yaml': 'rest:\n  adress: 0.0.0.0:1\ngrpc:\n  reflection: "yes"\nengine:\n  lease_seconds: -5\n',
    });
    const error = loadError(() => loadConfig({ env: { TASKER_ENV: 'bad' }, configDir: dir }));
    expect(error.problems.map((p) => p.path).sort()).toEqual([
      'engine.lease_seconds',
      'grpc.reflection',
      'rest.adress',
    ]);
    expect(error.problems.every((p) => p.source === 'bad.yaml')).toBe(true);
    expect(error.message).toContain('3 problems');
    for (const path of ['rest.adress', 'grpc.reflection', 'engine.lease_seconds'])
      expect(error.message).toContain(path);
  });

  it('validates per-namespace backpressure limits and the circuit breaker, naming each bad key', () => {
    const dir = configDirWith({
      'bp.yaml': stringify({
        backpressure: { namespaces: { billing: 50000, 'bad-name': 10, payments: 0 } },
        database: { circuit_breaker: { failure_threshold: 0, open_seconds: 1.5, half_open_probs: 2 } },
        engine: { pulse_interval_ms: 120000 },
      }),
    });
    const error = loadError(() => loadConfig({ env: { TASKER_ENV: 'bp' }, configDir: dir }));
    expect(error.problems.map((p) => p.path).sort()).toEqual([
      'backpressure.namespaces.bad-name',
      'backpressure.namespaces.payments',
      'database.circuit_breaker.failure_threshold',
      'database.circuit_breaker.half_open_probs',
      'database.circuit_breaker.open_seconds',
      'engine.pulse_interval_ms',
    ]);
    const ok = loadConfig({
      env: { TASKER_ENV: 'test' },
      overrides: { backpressure: { namespaces: { billing: 50000 } } },
    });
    expect(ok.backpressure).toEqual({
      max_pending_steps: 1000,
      namespaces: { billing: 50000 },
      retry_after_seconds: 5,
    });
    expect(loadConfig({ env: {} }).database.circuit_breaker).toEqual({
      enabled: true,
      failure_threshold: 5,
      open_seconds: 30,
      half_open_probes: 2,
    });
  });

  it('requires the overlay TASKER_ENV names, but not the implicit development one', () => {
    const dir = configDirWith({});
    const error = loadError(() => loadConfig({ env: { TASKER_ENV: 'staging' }, configDir: dir }));
    expect(error.message).toMatch(/staging\.yaml.*file not found/);
    expect(loadConfig({ env: {}, configDir: dir }).staleness.thresholds.waiting_for_retry_minutes).toBe(30);
    expect(
      loadConfig({ env: { TASKER_ENV: 'empty' }, configDir: configDirWith({ 'empty.yaml': '' }) }).environment,
    ).toBe('empty');
  });

  it('reports YAML syntax errors and a non-mapping file', () => {
    const dir = configDirWith({ 'broken.yaml': 'rest: [unclosed\n', 'list.yaml': '- a\n- b\n' });
    expect(loadError(() => loadConfig({ env: { TASKER_ENV: 'broken' }, configDir: dir })).message).toMatch(
      /broken\.yaml: YAML/,
    );
    expect(loadError(() => loadConfig({ env: { TASKER_ENV: 'list' }, configDir: dir })).message).toMatch(
      /list\.yaml: expected a mapping/,
    );
  });

  it('checks cross-field rules: TLS paths, one JWT key source, one form per API key', () => {
    const dir = configDirWith({
      'x.yaml': stringify({
        grpc: { tls: { enabled: true } },
        auth: {
          jwt: { hs256_secret: 'x'.repeat(32), jwks_url: 'https://idp.example/jwks' },
          api_keys: {
            keys: [{ key: 'k'.repeat(20), key_sha256: 'a'.repeat(64), permissions: [], description: 'both' }],
          },
        },
      }),
    });
    const error = loadError(() => loadConfig({ env: { TASKER_ENV: 'x' }, configDir: dir }));
    const paths = error.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['grpc.tls.cert_path', 'grpc.tls.key_path', 'auth.jwt.jwks_url', 'auth.api_keys.keys[0]']),
    );
  });

  it('TASKER_CONFIG_PATH uses one complete file instead of default + overlay', () => {
    const full = structuredClone(loadConfig({ env: { TASKER_ENV: 'production' } })) as Record<string, unknown>;
    const file = join(scratch, 'merged.yaml');
    writeFileSync(file, stringify({ ...full, logging: { level: 'debug' } }));
    const config = loadConfig({ env: { TASKER_CONFIG_PATH: file, TASKER_ENV: 'test' } });
    expect(config.logging.level).toBe('debug');
    expect(config.grpc.reflection.enabled).toBe(false);
    expect(config.environment).toBe('test');
    expect(config.backoff.default_base_ms).toBe(1000);

    const partial = join(scratch, 'partial.yaml');
    writeFileSync(partial, stringify({ environment: 'production', data_dir: '/var/lib/tasker' }));
    const error = loadError(() => loadConfig({ env: { TASKER_CONFIG_PATH: partial } }));
    expect(error.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['rest', 'grpc', 'database', 'worker']));
    expect(error.problems.find((p) => p.path === 'rest')?.message).toBe('missing (required)');
  });
});

describe('defaultConfig', () => {
  it('is default.yaml alone: no overlay, no environment, read once', () => {
    const defaults = defaultConfig();
    // The implicit development overlay turns reflection on; default.yaml alone does not.
    expect(loadConfig().grpc.reflection.enabled).toBe(true);
    expect(defaults.grpc.reflection.enabled).toBe(false);
    expect(defaults.environment).toBe('development');
    expect(defaults.worker).toMatchObject({
      concurrency: 10,
      handler_timeout_ms: 30000,
      result_batch_max: 64,
      result_batch_window_ms: 0,
    });
    expect(defaultConfig()).toBe(defaults);
    expect(Object.isFrozen(defaults.worker)).toBe(true);
  });

  it('reads another directory on request and fails loudly without a default.yaml', () => {
    const dir = configDirWith({});
    writeFileSync(
      join(dir, 'default.yaml'),
      readFileSync(join(CONFIG_DIR, 'default.yaml'), 'utf8').replace('concurrency: 10', 'concurrency: 3'),
    );
    expect(defaultConfig(dir).worker.concurrency).toBe(3);
    expect(loadError(() => defaultConfig(join(scratch, 'nowhere'))).message).toMatch(/file not found/);
  });
});

describe('loadConfig: environment variables', () => {
  it('applies the allow-list and ignores everything else', () => {
    const config = loadConfig({
      env: {
        DATABASE_URL: 'postgres://u:p@db:5432/tasker',
        TASKER_REST_ADDRESS: '127.0.0.1:18080',
        TASKER_GRPC_ADDRESS: '[::1]:19190',
        TASKER_AUTH_ENABLED: 'false',
        TASKER_DATA_DIR: '/var/lib/tasker',
        TASKER_EMBEDDED_PG_PORT: '6543',
        TASKER_TEMPLATE_PATH: 'examples/templates',
        TASKER_LOG_LEVEL: 'debug',
        TASKER_ORCHESTRATION_ADDRESSES: 'a:9190, b:9190,',
        TASKER_WORKER_CONCURRENCY: '4',
        NODE_ENV: 'production',
        TASKER_REST_BODY_LIMIT: '1',
        TASKER_LEASE_SECONDS: 'abc',
      },
    });
    expect(config.database.url).toBe('postgres://u:p@db:5432/tasker');
    expect(config.rest.address).toBe('127.0.0.1:18080');
    expect(config.grpc.address).toBe('[::1]:19190');
    expect(config.auth.enabled).toBe(false);
    expect(config.data_dir).toBe('/var/lib/tasker');
    expect(config.database.embedded).toEqual({ port: 6543, data_dir: '/var/lib/tasker/pg' });
    expect(config.templates.dir).toBe('examples/templates');
    expect(config.logging.level).toBe('debug');
    expect(config.worker.orchestration.addresses).toEqual(['a:9190', 'b:9190']);
    expect(config.worker.concurrency).toBe(4);
    expect(config.environment).toBe('development');
    expect(config.rest.body_limit_bytes).toBe(1_048_576);
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ env: { DATABASE_URL: '', TASKER_AUTH_ENABLED: ' ', TASKER_ENV: '' } });
    expect(config.database.url).toBeNull();
    expect(config.auth.enabled).toBe(true);
    expect(config.environment).toBe('development');
  });

  it('names every bad variable in one error', () => {
    const error = loadError(() =>
      loadConfig({
        env: {
          TASKER_EMBEDDED_PG_PORT: 'abc',
          TASKER_AUTH_ENABLED: 'maybe',
          TASKER_REST_ADDRESS: 'no-port',
          TASKER_GRPC_ADDRESS: '0.0.0.0:70000',
          DATABASE_URL: 'mysql://x',
          TASKER_LOG_LEVEL: 'loud',
        },
      }),
    );
    const sources = error.problems.map((p) => p.source).sort();
    expect(sources).toEqual([
      'env DATABASE_URL',
      'env TASKER_AUTH_ENABLED',
      'env TASKER_EMBEDDED_PG_PORT',
      'env TASKER_GRPC_ADDRESS',
      'env TASKER_LOG_LEVEL',
      'env TASKER_REST_ADDRESS',
    ]);
    expect(error.message).toContain('expected an integer, got "abc"');
    expect(error.message).toContain('expected true or false, got "maybe"');
  });

  it('applies overrides last', () => {
    const config = loadConfig({
      env: { TASKER_ENV: 'test', DATABASE_URL: 'postgres://a/b' },
      overrides: { database: { url: 'postgres://c/d' }, auth: { enabled: false } },
    });
    expect(config.database.url).toBe('postgres://c/d');
    expect(config.auth.enabled).toBe(false);
  });
});

describe('config files', () => {
  it('default.yaml comments every key', () => {
    const lines = readFileSync(join(CONFIG_DIR, 'default.yaml'), 'utf8').split('\n');
    const uncommented = lines.filter((l) => /^\s*[a-z0-9_]+:/.test(l) && !l.includes(' # '));
    expect(uncommented).toEqual([]);
  });

  it('parseAddress splits host and port, IPv6 included', () => {
    expect(parseAddress('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseAddress('[::]:9190')).toEqual({ host: '::', port: 9190 });
    expect(parseAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseAddress('localhost')).toBeUndefined();
    expect(parseAddress('h:65536')).toBeUndefined();
  });
});

describe('toSafeConfig', () => {
  const secrets = {
    dbPassword: 'db-pass-5f1c',
    hs256: 'hs256-secret-0123456789abcdef0123456789',
    pem: '-----BEGIN PUBLIC KEY-----MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsecretpem',
    keyPath: '/etc/tasker/keys/jwt-public.pem',
    jwks: 'https://idp.internal.example/.well-known/jwks.json',
    apiKey: 'api-key-value-7e3a9b1c',
    apiKeyDigest: 'b'.repeat(64),
    workerKey: 'worker-key-value-44aa',
    tlsKey: '/etc/tasker/tls/server.key',
    host: '10.20.30.40',
  };
  const base = {
    database: { url: `postgres://tasker:${secrets.dbPassword}@db.internal:5432/tasker` },
    rest: { address: `${secrets.host}:8080` },
    grpc: {
      address: `${secrets.host}:9190`,
      tls: { enabled: true, cert_path: '/etc/tasker/tls/server.crt', key_path: secrets.tlsKey },
    },
    auth: {
      api_keys: {
        keys: [
          { key: secrets.apiKey, permissions: ['tasks:*'], description: 'ci' },
          { key_sha256: secrets.apiKeyDigest, permissions: ['dlq:read'], description: 'ops' },
        ],
      },
    },
    worker: { orchestration: { api_key: secrets.workerKey, addresses: ['https://orchestration.internal:9190'] } },
  };
  const jwtVariants = [
    { jwt: { hs256_secret: secrets.hs256 }, method: 'shared_secret' },
    { jwt: { public_key_pem: secrets.pem }, method: 'public_key' },
    { jwt: { public_key_path: secrets.keyPath }, method: 'public_key' },
    { jwt: { jwks_url: secrets.jwks }, method: 'jwks' },
  ] as const;

  it.each(jwtVariants)('never exposes URLs, secrets, keys or paths ($method)', ({ jwt, method }) => {
    const config: Config = loadConfig({
      env: { TASKER_ENV: 'production' },
      overrides: { ...base, auth: { ...base.auth, jwt } },
    });
    const safe = toSafeConfig(config, { version: '1.2.3', now: new Date('2030-01-01T00:00:00Z') });
    const json = JSON.stringify(safe);
    for (const value of Object.values(secrets)) expect(json).not.toContain(value);
    expect(json).not.toMatch(/postgres:|https?:|BEGIN|\/etc\//);
    expect(json).not.toContain('tasks:*');
    expect(SafeConfigSchema.parse(safe)).toEqual(safe);
    expect(safe.auth.verification_method).toBe(method);
    expect(safe.auth.api_key_count).toBe(2);
    expect(safe.metadata).toEqual({
      timestamp: '2030-01-01T00:00:00.000Z',
      environment: 'production',
      version: '1.2.3',
    });
    expect(safe.rest.port).toBe(8080);
    expect(safe.grpc).toMatchObject({ port: 9190, reflection: false, reflection_public: false, tls_enabled: true });
    expect(safe.database_pools.max_connections).toBe(50);
  });

  it('counts the stored API keys with the config ones, and none while API keys are off', () => {
    const config = loadConfig({ env: { TASKER_ENV: 'test' }, overrides: base });
    expect(toSafeConfig(config).auth.api_key_count).toBe(2);
    expect(toSafeConfig(config, { storedApiKeys: 3 }).auth.api_key_count).toBe(5);
    const off = loadConfig({ env: { TASKER_ENV: 'test' }, overrides: { auth: { api_keys: { enabled: false } } } });
    expect(toSafeConfig(off, { storedApiKeys: 3 }).auth.api_key_count).toBe(0);
  });

  it('reports no verification method when no JWT key is configured', () => {
    expect(toSafeConfig(loadConfig({ env: {} })).auth.verification_method).toBe('none');
  });
});

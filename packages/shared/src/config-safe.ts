import { createRequire } from 'node:module';
import { z } from 'zod';
import { parseAddress, type Config } from './config-schema.js';

const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * What `GET /config` and `GetConfig` may show: an allow-list (the reference's "Safe config", adapted to our keys:
 * docs/compatibility.md §12). Built field by field, never by copying and deleting, so a key added to Config stays
 * private until it is added here. Never URLs (database, JWKS, orchestration), secrets, key material or paths, API
 * keys or their permissions. Bind hosts are left out too (they reveal network layout); the ports are enough for a
 * client to check it reached the right listener.
 */
export const SafeConfigSchema = z.strictObject({
  metadata: z.strictObject({ timestamp: z.string(), environment: z.string(), version: z.string() }),
  auth: z.strictObject({
    enabled: z.boolean(),
    verification_method: z.enum(['jwks', 'public_key', 'shared_secret', 'none']),
    jwt_issuer: z.string(),
    jwt_audience: z.string(),
    api_key_header: z.string(),
    api_key_count: z.number().int(),
    strict_validation: z.boolean(),
    allowed_algorithms: z.array(z.string()),
  }),
  database_pools: z.strictObject({ max_connections: z.number().int() }),
  circuit_breaker: z.strictObject({
    enabled: z.boolean(),
    failure_threshold: z.number().int(),
    open_seconds: z.number().int(),
    half_open_probes: z.number().int(),
  }),
  rest: z.strictObject({
    port: z.number().int(),
    body_limit_bytes: z.number().int(),
    request_timeout_ms: z.number().int(),
  }),
  grpc: z.strictObject({
    port: z.number().int(),
    reflection: z.boolean(),
    reflection_public: z.boolean(),
    tls_enabled: z.boolean(),
    max_concurrent_streams: z.number().int(),
  }),
  engine: z.strictObject({
    lease_seconds: z.number().int(),
    heartbeat_interval_hint_ms: z.number().int(),
    pulse_interval_ms: z.number().int(),
    poll_fallback_ms: z.number().int(),
    max_claim_wait_ms: z.number().int(),
    max_claim_batch: z.number().int(),
    worker_liveness_seconds: z.number().int(),
  }),
  backoff: z.strictObject({
    default_base_ms: z.number().int(),
    multiplier: z.number(),
    max_backoff_ms: z.number().int(),
    jitter_ratio: z.number(),
  }),
  staleness: z.strictObject({
    enabled: z.boolean(),
    interval_ms: z.number().int(),
    batch_size: z.number().int(),
    dry_run: z.boolean(),
    thresholds: z.strictObject({
      waiting_for_dependencies_minutes: z.number().int(),
      waiting_for_retry_minutes: z.number().int(),
      steps_in_process_minutes: z.number().int(),
      task_max_lifetime_hours: z.number().int(),
    }),
  }),
  backpressure: z.strictObject({
    max_pending_steps: z.number().int(),
    namespaces: z.record(z.string(), z.number().int()),
  }),
});
export type SafeConfig = z.infer<typeof SafeConfigSchema>;

export interface SafeConfigOptions {
  /** Reported as metadata.version; default: the @tasker/shared package version. */
  version?: string;
  /** Reported as metadata.timestamp; default: now. */
  now?: Date;
  /**
   * Usable API keys stored in the database (created through the API: not revoked, not expired); counted with
   * the config file's keys in `auth.api_key_count`. Default 0.
   */
  storedApiKeys?: number;
}

function verificationMethod(jwt: Config['auth']['jwt']): SafeConfig['auth']['verification_method'] {
  if (jwt.jwks_url !== null) return 'jwks';
  if (jwt.public_key_path !== null || jwt.public_key_pem !== null) return 'public_key';
  if (jwt.hs256_secret !== null) return 'shared_secret';
  return 'none';
}

/** The allow-listed view of `config` for `/config` and GetConfig. */
export function toSafeConfig(config: Config, options: SafeConfigOptions = {}): SafeConfig {
  const { auth, engine, backoff, staleness } = config;
  return {
    metadata: {
      timestamp: (options.now ?? new Date()).toISOString(),
      environment: config.environment,
      version: options.version ?? PACKAGE_VERSION,
    },
    auth: {
      enabled: auth.enabled,
      verification_method: verificationMethod(auth.jwt),
      jwt_issuer: auth.jwt.issuer,
      jwt_audience: auth.jwt.audience,
      api_key_header: auth.api_keys.header,
      // Keys that can authenticate: none while API keys are off, else the config's and the stored ones.
      api_key_count: auth.api_keys.enabled ? auth.api_keys.keys.length + (options.storedApiKeys ?? 0) : 0,
      strict_validation: auth.strict_validation,
      allowed_algorithms: [...auth.jwt.algorithms],
    },
    database_pools: { max_connections: config.database.pool_max },
    circuit_breaker: { ...config.database.circuit_breaker },
    rest: {
      port: parseAddress(config.rest.address)?.port ?? 0,
      body_limit_bytes: config.rest.body_limit_bytes,
      request_timeout_ms: config.rest.request_timeout_ms,
    },
    grpc: {
      port: parseAddress(config.grpc.address)?.port ?? 0,
      reflection: config.grpc.reflection.enabled,
      reflection_public: config.grpc.reflection.public,
      tls_enabled: config.grpc.tls.enabled,
      max_concurrent_streams: config.grpc.max_concurrent_streams,
    },
    engine: {
      lease_seconds: engine.lease_seconds,
      heartbeat_interval_hint_ms: engine.heartbeat_interval_hint_ms,
      pulse_interval_ms: engine.pulse_interval_ms,
      poll_fallback_ms: engine.poll_fallback_ms,
      max_claim_wait_ms: engine.max_claim_wait_ms,
      max_claim_batch: engine.max_claim_batch,
      worker_liveness_seconds: engine.worker_liveness_seconds,
    },
    backoff: {
      default_base_ms: backoff.default_base_ms,
      multiplier: backoff.multiplier,
      max_backoff_ms: backoff.max_backoff_ms,
      jitter_ratio: backoff.jitter_ratio,
    },
    staleness: {
      enabled: staleness.enabled,
      interval_ms: staleness.interval_ms,
      batch_size: staleness.batch_size,
      dry_run: staleness.dry_run,
      thresholds: { ...staleness.thresholds },
    },
    backpressure: {
      max_pending_steps: config.backpressure.max_pending_steps,
      namespaces: { ...config.backpressure.namespaces },
    },
  };
}

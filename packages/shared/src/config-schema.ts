import { join } from 'node:path';
import { z } from 'zod';

// Defaults live in config/default.yaml only (one place, every key commented); this schema has none, so a
// key missing from a config file is reported instead of silently defaulted. Objects are strict: an unknown
// or misspelled key is an error.

/** A template namespace (`namespace_name`), as template parsing accepts it. */
const NAMESPACE = /^[A-Za-z0-9_]{1,29}$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Splits `host:port` (`[::1]:9190` for IPv6). Returns `undefined` when malformed or the port is out of range. */
export function parseAddress(address: string): { host: string; port: number } | undefined {
  const match = ADDRESS.exec(address);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  const host = (match[1] as string).replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

const address = z.string().refine((v) => parseAddress(v) !== undefined, {
  message: 'expected host:port (port 0-65535), e.g. 0.0.0.0:8080',
});
const orchestrationAddress = z
  .string()
  .refine((v) => parseAddress(v) !== undefined || /^https?:\/\/[^\s/]+(:\d{1,5})?\/?$/.test(v), {
    message: 'expected host:port or http(s)://host:port',
  });
const millis = z.number().int().min(1);
const seconds = z.number().int().min(1);
const count = z.number().int().min(1);
const nonNegative = z.number().int().min(0);
const path = z.string().min(1);
const port = z.number().int().min(0).max(65535);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const tls = z
  .strictObject({ enabled: z.boolean(), cert_path: path.nullable(), key_path: path.nullable() })
  .superRefine((v, ctx) => {
    if (!v.enabled) return;
    if (v.cert_path === null)
      ctx.addIssue({ code: 'custom', path: ['cert_path'], message: 'required when tls.enabled' });
    if (v.key_path === null) ctx.addIssue({ code: 'custom', path: ['key_path'], message: 'required when tls.enabled' });
  });

const jwt = z
  .strictObject({
    issuer: z.string().min(1),
    audience: z.string().min(1),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1),
    hs256_secret: z.string().min(32, 'must be at least 32 characters').nullable(),
    public_key_path: path.nullable(),
    public_key_pem: z.string().min(1).nullable(),
    jwks_url: z.url({ protocol: /^https?$/ }).nullable(),
    jwks_cache_max_age_s: seconds,
    permissions_claim: z.string().min(1),
    namespaces_claim: z.string().min(1),
    clock_tolerance_s: nonNegative,
  })
  .superRefine((v, ctx) => {
    const sources = (['hs256_secret', 'public_key_path', 'public_key_pem', 'jwks_url'] as const).filter(
      (k) => v[k] !== null,
    );
    if (sources.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [sources[1] as string],
        message: `set at most one JWT key source (found ${sources.join(', ')})`,
      });
    }
  });

const apiKey = z
  .strictObject({
    key_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters')
      .optional(),
    key: z.string().min(16, 'must be at least 16 characters').optional(),
    permissions: z.array(z.string().min(1)),
    description: z.string().min(1),
    namespaces: z.array(z.string().min(1)).nullable().optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.key === undefined) === (v.key_sha256 === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'set exactly one of key or key_sha256' });
    }
  });

/** The config file format (after merging default.yaml, the overlay and env), before derived values are filled. */
export const ConfigInputSchema = z.strictObject({
  environment: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a lowercase name like production'),
  data_dir: path,
  rest: z.strictObject({
    address,
    body_limit_bytes: count,
    request_timeout_ms: millis,
    cors_origins: z.array(z.string().min(1)),
  }),
  grpc: z.strictObject({
    address,
    reflection: z.strictObject({ enabled: z.boolean(), public: z.boolean() }),
    keepalive_time_ms: millis,
    keepalive_timeout_ms: millis,
    max_concurrent_streams: count,
    max_message_bytes: count,
    tls,
  }),
  database: z.strictObject({
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
      .nullable(),
    pool_max: count,
    connect_timeout_s: seconds,
    idle_timeout_s: seconds,
    max_lifetime_s: seconds,
    statement_timeout_ms: nonNegative,
    embedded: z.strictObject({ port, data_dir: path.nullable() }),
    circuit_breaker: z.strictObject({
      enabled: z.boolean(),
      failure_threshold: count,
      open_seconds: seconds,
      half_open_probes: count,
    }),
  }),
  engine: z.strictObject({
    lease_seconds: seconds,
    heartbeat_interval_hint_ms: millis,
    pulse_interval_ms: millis.max(60_000),
    poll_fallback_ms: millis,
    max_claim_wait_ms: millis,
    max_claim_batch: count,
    worker_liveness_seconds: seconds,
    priority_aging_ms: millis,
    max_start_delay_days: count,
  }),
  backoff: z.strictObject({
    default_base_ms: millis,
    multiplier: z.number().min(1),
    max_backoff_ms: millis,
    jitter_ratio: z.number().min(0).max(1),
  }),
  staleness: z.strictObject({
    enabled: z.boolean(),
    interval_ms: millis,
    batch_size: count,
    dry_run: z.boolean(),
    thresholds: z.strictObject({
      waiting_for_dependencies_minutes: count,
      waiting_for_retry_minutes: count,
      steps_in_process_minutes: count,
      task_max_lifetime_hours: count,
    }),
  }),
  dlq: z.strictObject({
    worker_unavailable: z.strictObject({
      enabled: z.boolean(),
      after_seconds: seconds,
      interval_ms: millis,
      batch_size: count,
      dry_run: z.boolean(),
    }),
  }),
  schedules: z.strictObject({
    enabled: z.boolean(),
    misfire_grace_ms: nonNegative,
  }),
  templates: z.strictObject({ dir: path.nullable(), cache_ttl_ms: nonNegative }),
  dynamic: z.strictObject({
    max_steps_per_decision: count.max(1000),
    max_workers_per_batch: count.max(100_000),
    max_expansion_depth: count.max(1000),
    checkpoint_max_bytes: count.max(16 * 1024 * 1024),
    checkpoint_history: count.max(1000),
  }),
  task_events: z.strictObject({ keepalive_ms: millis, replay_batch: count }),
  backpressure: z.strictObject({
    max_pending_steps: count,
    namespaces: z.record(z.string().regex(NAMESPACE, 'expected a namespace name (1-29 of A-Z a-z 0-9 _)'), count),
    retry_after_seconds: seconds,
  }),
  auth: z.strictObject({
    enabled: z.boolean(),
    strict_validation: z.boolean(),
    jwt,
    api_keys: z.strictObject({
      enabled: z.boolean(),
      header: z.string().regex(/^[a-z0-9-]+$/, 'expected a lowercase header name'),
      keys: z.array(apiKey),
    }),
    dev_key_file: path.nullable(),
  }),
  analytics: z.strictObject({ cache_ttl_ms: nonNegative }),
  logging: z.strictObject({ level: z.enum(LOG_LEVELS) }),
  shutdown: z.strictObject({ grace_ms: millis }),
  worker: z.strictObject({
    rest_address: address,
    grpc_address: address,
    concurrency: count,
    handler_timeout_ms: millis,
    drain_timeout_ms: millis,
    claim_wait_ms: millis,
    result_batch_max: count.max(1000),
    result_batch_window_ms: nonNegative.max(1000),
    orchestration: z.strictObject({
      transport: z.enum(['grpc', 'rest']),
      addresses: z.array(orchestrationAddress).min(1),
      api_key: z.string().min(1).nullable(),
    }),
  }),
});

export type ConfigInput = z.input<typeof ConfigInputSchema>;

/** The validated config: the file format with derived values filled in (`database.embedded.data_dir`). */
export const ConfigSchema = ConfigInputSchema.transform((c) => ({
  ...c,
  database: {
    ...c.database,
    embedded: { ...c.database.embedded, data_dir: c.database.embedded.data_dir ?? join(c.data_dir, 'pg') },
  },
}));

/** The process configuration, snake_case keys exactly as in the YAML files. Frozen by {@link loadConfig}. */
export type Config = z.infer<typeof ConfigSchema>;

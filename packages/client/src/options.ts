// Options of createClient, their defaults, and the normalised form the transports use.
import { TRANSPORT_BACKOFF } from '@tasker/shared/resilience';
import type { Transport } from './types.js';

/** Backoff of retried calls and of watch reconnects. */
export interface RetryOptions {
  /** Total attempts including the first (default 4; 1 = never retry). */
  maxAttempts: number;
  /** First delay in ms (default 100); doubles per attempt, ± 25 % jitter. */
  baseMs: number;
  /** Cap of one delay in ms (default 5000). A server's Retry-After is honoured even when larger. */
  maxMs: number;
}

/** TLS material as PEM text or bytes. `true` = TLS with the system trust store. */
export interface TlsOptions {
  /** Trusted CA certificate(s), for a private CA. */
  ca?: string | Uint8Array;
  /** Client certificate (mutual TLS), with `key`. */
  cert?: string | Uint8Array;
  /** Client private key (mutual TLS), with `cert`. */
  key?: string | Uint8Array;
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** `rest` (HTTP/JSON, default port 8080) or `grpc` (default port 9190). */
  transport: Transport;
  /**
   * Orchestration address(es): `host:port` or `http(s)://host:port`. With several, calls are spread
   * round-robin and a call that fails with UNAVAILABLE moves on to the next address.
   */
  address: string | string[];
  /** API key, sent as the `x-api-key` header / metadata (see `apiKeyHeader`). Undefined: none. */
  apiKey?: string | undefined;
  /** JWT, sent as `authorization: Bearer <token>`. Wins over `apiKey` on the server when both are sent. */
  token?: string | undefined;
  /** Header / metadata key carrying the API key (default `x-api-key`, the server's `auth.api_keys.header`). */
  apiKeyHeader?: string | undefined;
  /** TLS: `true` for the system trust store, or PEM material. Default: plaintext (`https://` addresses imply TLS). */
  tls?: TlsOptions | boolean;
  /** Deadline of one unary call attempt in ms (default 30000). Long polls add their wait to it. */
  timeoutMs?: number;
  /** Retries of idempotent calls on UNAVAILABLE / BACKPRESSURE. */
  retry?: Partial<RetryOptions>;
  /**
   * Reconnects of `tasks.watch` after a transport failure: consecutive failed attempts before the watch
   * gives up (default 30), and their backoff (defaults of `retry`, `maxMs` 2000). Progress resets the count.
   */
  watchReconnect?: Partial<RetryOptions>;
}

/** Defaults of {@link RetryOptions} for unary calls. */
export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 4,
  baseMs: TRANSPORT_BACKOFF.baseMs,
  maxMs: TRANSPORT_BACKOFF.maxMs,
});
/** Defaults of the watch reconnect policy. */
export const DEFAULT_WATCH_RECONNECT: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 30,
  baseMs: TRANSPORT_BACKOFF.baseMs,
  maxMs: 2000,
});
/** Default deadline of one call attempt. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default API-key header (the server's `auth.api_keys.header` default). */
export const DEFAULT_API_KEY_HEADER = 'x-api-key';

/** A parsed orchestration address. */
export interface Endpoint {
  host: string;
  port: number;
  secure: boolean;
  /** `http(s)://host:port` (IPv6 hosts in brackets). */
  origin: string;
  /** `host:port` as gRPC takes it. */
  authority: string;
}

/** The options after defaults and validation; what the transports read. */
export interface ResolvedOptions {
  transport: Transport;
  endpoints: Endpoint[];
  apiKey: string | undefined;
  token: string | undefined;
  apiKeyHeader: string;
  tls: TlsOptions | null;
  timeoutMs: number;
  retry: RetryOptions;
  watchReconnect: RetryOptions;
}

const DEFAULT_PORT: Record<Transport, number> = { rest: 8080, grpc: 9190 };

/** Parses `host`, `host:port`, `[v6]:port` or `http(s)://host[:port][/]`. */
export function parseEndpoint(address: string, transport: Transport, tlsWanted: boolean): Endpoint {
  const raw = address.trim();
  const match = /^(?:(https?):\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?\/?$/.exec(raw);
  if (match === null)
    throw new TypeError(`invalid orchestration address ${JSON.stringify(address)}: expected host:port`);
  const [, scheme, hostPart = '', portText] = match;
  const port = portText === undefined ? DEFAULT_PORT[transport] : Number(portText);
  if (port < 1 || port > 65535) throw new TypeError(`invalid port in address ${JSON.stringify(address)}`);
  const secure = scheme === 'https' || (scheme === undefined && tlsWanted);
  const host = hostPart.replace(/^\[(.*)\]$/, '$1');
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    secure,
    origin: `${secure ? 'https' : 'http'}://${hostForUrl}:${port}`,
    authority: `${hostForUrl}:${port}`,
  };
}

function positiveInt(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number`);
  return value;
}

function resolveRetry(name: string, given: Partial<RetryOptions> | undefined, defaults: RetryOptions): RetryOptions {
  const r = { ...defaults, ...given };
  if (!Number.isInteger(r.maxAttempts) || r.maxAttempts < 1)
    throw new TypeError(`${name}.maxAttempts must be an integer ≥ 1`);
  return {
    maxAttempts: r.maxAttempts,
    baseMs: positiveInt(`${name}.baseMs`, r.baseMs),
    maxMs: positiveInt(`${name}.maxMs`, r.maxMs),
  };
}

/** Applies defaults and validates; throws TypeError for unusable options. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (options.transport !== 'rest' && options.transport !== 'grpc') {
    throw new TypeError(`transport must be 'rest' or 'grpc' (got ${JSON.stringify(options.transport)})`);
  }
  const addresses = Array.isArray(options.address) ? options.address : [options.address];
  if (addresses.length === 0) throw new TypeError('at least one orchestration address is required');
  const tls = options.tls === true ? {} : options.tls === false || options.tls === undefined ? null : options.tls;
  const endpoints = addresses.map((a) => parseEndpoint(a, options.transport, tls !== null));
  return {
    transport: options.transport,
    endpoints,
    apiKey: options.apiKey,
    token: options.token,
    apiKeyHeader: (options.apiKeyHeader ?? DEFAULT_API_KEY_HEADER).toLowerCase(),
    tls: tls ?? (endpoints.some((e) => e.secure) ? {} : null),
    timeoutMs: positiveInt('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    retry: resolveRetry('retry', options.retry, DEFAULT_RETRY),
    watchReconnect: resolveRetry('watchReconnect', options.watchReconnect, {
      ...DEFAULT_WATCH_RECONNECT,
      ...pick(options.retry),
    }),
  };
}

/** Backoff shape of `retry` carried over to reconnects (attempt count and cap keep their own defaults). */
function pick(retry: Partial<RetryOptions> | undefined): Partial<RetryOptions> {
  return retry?.baseMs === undefined ? {} : { baseMs: retry.baseMs };
}

/** The credential headers / metadata entries every call carries. */
export function credentialHeaders(options: ResolvedOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.apiKey !== undefined) headers[options.apiKeyHeader] = options.apiKey;
  return headers;
}

// Cross-cutting HTTP concerns that are not errors or auth: request ids, CORS, and the abort signals that let
// long-lived requests (claim long-polls, SSE streams) end on client disconnect and on server shutdown.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '@tasker/shared/errors';
import { handleRestError } from './error-handler.js';

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses a caller's `x-request-id` when it is a sane token (it ends up in logs), else makes one. */
export function requestIdFor(raw: IncomingMessage): string {
  const incoming = raw.headers[REQUEST_ID_HEADER];
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  return value !== undefined && SAFE_REQUEST_ID.test(value) ? value : randomUUID();
}

export function installRequestIdHeader(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}

/**
 * Answers 504 TIMEOUT when a handler takes longer than `timeoutMs`. Routes marked `longLived` (SSE, the
 * claim long-poll, both bounded otherwise) are exempt. The handler's late result is dropped (Fastify logs
 * a warning for it).
 */
export function installRequestDeadline(app: FastifyInstance, timeoutMs: number): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.longLived === true) return;
    const timer = setTimeout(() => {
      if (!reply.sent) {
        handleRestError(new AppError('TIMEOUT', `Request did not complete within ${timeoutMs} ms`), request, reply);
      }
    }, timeoutMs);
    reply.raw.once('close', () => clearTimeout(timer));
  });
}

const EXPOSED_HEADERS = 'x-request-id, retry-after, location';
const DEFAULT_ALLOWED_HEADERS = 'content-type, authorization, x-api-key, x-request-id, last-event-id';

/**
 * CORS for the configured origins (`*` = any). Preflights are answered in onRequest, before routing
 * decides the OPTIONS request has no route, so every path supports them without OPTIONS routes.
 */
export function installCors(app: FastifyInstance, origins: readonly string[], apiKeyHeader: string): void {
  if (origins.length === 0) return;
  const any = origins.includes('*');
  const allowed = new Set(origins);
  const allowHeaders = DEFAULT_ALLOWED_HEADERS.replace('x-api-key', apiKeyHeader);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined || (!any && !allowed.has(origin))) return;
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply.header('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS');
      reply.header('access-control-allow-headers', allowHeaders);
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });
}

/** Retry-After of the 503 answered while shutting down: another replica (or this one restarted) takes it. */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 1;

/**
 * Aborts when the server starts closing (Fastify `preClose`, before it waits for open connections): long
 * polls return early and SSE streams end, so shutdown isn't held up by them. From then on a new request
 * (one that arrives on a kept-alive connection) is answered 503 UNAVAILABLE in the error table's shape with
 * `Retry-After`, before authentication; requests already running finish. Install before the auth hook.
 */
export function installShutdownSignal(app: FastifyInstance): AbortSignal {
  const closing = new AbortController();
  app.addHook('preClose', async () => {
    closing.abort(new Error('server shutting down'));
  });
  app.addHook('onRequest', async () => {
    if (closing.signal.aborted) {
      throw new AppError('UNAVAILABLE', 'server is shutting down', { retryAfterSeconds: SHUTDOWN_RETRY_AFTER_SECONDS });
    }
  });
  return closing.signal;
}

/** Query parameters whose values are credentials (compared case-insensitively, `-` and `_` alike). */
const CREDENTIAL_PARAMS = new Set([
  'api_key',
  'apikey',
  'x_api_key',
  'key',
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'jwt',
  'authorization',
  'auth',
  'password',
  'secret',
  'client_secret',
]);

function isCredentialParam(name: string, extra: ReadonlySet<string>): boolean {
  const normalised = name.toLowerCase().replaceAll('-', '_');
  return CREDENTIAL_PARAMS.has(normalised) || extra.has(normalised);
}

/**
 * `url` as it may be logged: the value of any query parameter that looks like a credential (`?api_key=…`,
 * `?token=…`, the configured API-key header's name) replaced by `[REDACTED]`. Credentials are only accepted
 * in headers, but a client that puts one in the URL must not get it written to the request log.
 */
export function redactUrl(url: string, apiKeyHeader = 'x-api-key'): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const extra = new Set([apiKeyHeader.toLowerCase().replaceAll('-', '_')]);
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      let name = eq === -1 ? pair : pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replaceAll('+', ' '));
      } catch {
        // A malformed escape: judged as written.
      }
      return eq !== -1 && isCredentialParam(name, extra) ? `${pair.slice(0, eq)}=[REDACTED]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

/**
 * A signal for one request that fires when the client goes away or the server closes. The response's
 * `close` event is the reliable disconnect signal: the request's `close` fires as soon as its body has been
 * read, which for a POST is before the handler even runs.
 */
export function requestSignal(reply: FastifyReply, closing: AbortSignal): AbortSignal {
  const disconnected = new AbortController();
  reply.raw.once('close', () => disconnected.abort(new Error('client disconnected')));
  return AbortSignal.any([disconnected.signal, closing]);
}

/**
 * Closes the app gracefully, but not forever: after `graceMs`, connections still open (a stuck client,
 * a socket a client opened but never used) are destroyed so shutdown completes.
 */
export async function closeApp(app: FastifyInstance, graceMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

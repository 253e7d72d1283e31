// HTTP/1.1 with keep-alive to each orchestration address, on node:http / node:https rather than fetch: the
// built-in fetch cannot take a private CA or a client certificate without the undici package, an Agent can.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { deadlineError, taskerErrorFromHttp, unreachableError, TaskerError } from '../errors.js';
import { credentialHeaders, type Endpoint, type ResolvedOptions } from '../options.js';

/** Query values; arrays repeat the key (`?state=a&state=b`). */
export type Query = Record<string, string | string[] | undefined>;

/** One REST request. */
export interface HttpCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Deadline of this attempt (default: the client's timeoutMs). */
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** Non-2xx statuses whose body is a normal answer (GET /health/ready answers 503 with a report). */
  acceptStatus?: readonly number[];
}

/** A successful (or accepted) REST answer with its parsed JSON body. */
export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** Without a byte for this long an event stream counts as dead (three keepalives at the server's default). */
export const STREAM_IDLE_MS = 45_000;

function pathWithQuery(path: string, query: Query | undefined): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** One HTTP endpoint set: agents per address, round-robin start, and the request primitives. */
export class HttpTransport {
  private readonly agents = new Map<string, HttpAgent>();
  private cursor = 0;

  constructor(private readonly options: ResolvedOptions) {}

  /** The endpoint for attempt `n` of a call that started at `start` (round-robin, then failover). */
  endpointFor(start: number, n: number): Endpoint {
    const list = this.options.endpoints;
    return list[(start + n) % list.length] as Endpoint;
  }

  /** A start index per call, spreading calls over the addresses. */
  nextStart(): number {
    const start = this.cursor;
    this.cursor = (this.cursor + 1) % this.options.endpoints.length;
    return start;
  }

  private agentFor(endpoint: Endpoint): HttpAgent {
    let agent = this.agents.get(endpoint.origin);
    if (agent === undefined) {
      const tls = this.options.tls ?? {};
      agent = endpoint.secure
        ? new HttpsAgent({
            keepAlive: true,
            ...(tls.ca ? { ca: Buffer.from(tls.ca) } : {}),
            ...(tls.cert ? { cert: Buffer.from(tls.cert) } : {}),
            ...(tls.key ? { key: Buffer.from(tls.key) } : {}),
          })
        : new HttpAgent({ keepAlive: true });
      this.agents.set(endpoint.origin, agent);
    }
    return agent;
  }

  /**
   * Sends one request and resolves with the response head. The deadline covers the head only (`idleMs`
   * guards the body). Rejects with TaskerError UNAVAILABLE (unreachable) or TIMEOUT.
   */
  private open(endpoint: Endpoint, call: HttpCall, accept: string, deadlineMs: number): Promise<IncomingMessage> {
    const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body), 'utf8');
    const headers: Record<string, string> = {
      accept,
      ...credentialHeaders(this.options),
      ...(payload === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
      ...call.headers,
    };
    const send = endpoint.secure ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send({
        host: endpoint.host,
        port: endpoint.port,
        method: call.method,
        path: pathWithQuery(call.path, call.query),
        headers,
        agent: this.agentFor(endpoint),
      });
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        cleanup();
        req.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(deadlineError('rest', endpoint.origin, deadlineMs)), deadlineMs);
      const onAbort = (): void => fail(call.signal?.reason ?? new Error('aborted'));
      const cleanup = (): void => {
        clearTimeout(timer);
        call.signal?.removeEventListener('abort', onAbort);
      };
      if (call.signal?.aborted) {
        onAbort();
        return;
      }
      call.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => fail(unreachableError('rest', endpoint.origin, error)));
      req.on('response', (res) => {
        if (settled) {
          res.destroy();
          return;
        }
        settled = true;
        cleanup();
        resolve(res);
      });
      req.end(payload);
    });
  }

  /** One JSON request/response attempt against `endpoint`. */
  async send(endpoint: Endpoint, call: HttpCall): Promise<HttpAnswer> {
    const deadlineMs = call.timeoutMs ?? this.options.timeoutMs;
    const started = Date.now();
    const res = await this.open(endpoint, call, 'application/json', deadlineMs);
    const remaining = Math.max(1, deadlineMs - (Date.now() - started));
    const text = await withIdleTimeout(
      res,
      remaining,
      call.signal,
      () => deadlineError('rest', endpoint.origin, deadlineMs),
      endpoint,
    );
    const status = res.statusCode ?? 0;
    if ((status >= 200 && status < 300) || call.acceptStatus?.includes(status)) {
      try {
        return { status, body: text === '' ? undefined : JSON.parse(text) };
      } catch (error) {
        throw new TaskerError({
          code: 'INTERNAL',
          message: `invalid JSON from ${endpoint.origin}${call.path}`,
          transport: 'rest',
          status,
          cause: error,
        });
      }
    }
    throw taskerErrorFromHttp(status, text, headerText(res.headers['retry-after']));
  }

  /**
   * Opens an event stream. Resolves with the byte stream once the server answered 2xx; an error status is
   * decoded and thrown. A stream silent for longer than {@link STREAM_IDLE_MS} fails with TIMEOUT.
   */
  async openStream(endpoint: Endpoint, call: HttpCall): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.open(endpoint, call, 'text/event-stream', call.timeoutMs ?? this.options.timeoutMs);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const text = await readBody(res).catch(() => '');
      throw taskerErrorFromHttp(status, text, headerText(res.headers['retry-after']));
    }
    return guardStream(res, Math.max(STREAM_IDLE_MS, this.options.timeoutMs), endpoint, call.signal);
  }

  /** Closes every kept-alive connection. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads the whole body; TIMEOUT when it takes longer than `ms`, the signal's reason on abort. */
async function withIdleTimeout(
  res: IncomingMessage,
  ms: number,
  signal: AbortSignal | undefined,
  timeout: () => TaskerError,
  endpoint: Endpoint,
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    res.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([
      readBody(res).catch((error: unknown) => {
        if (signal?.aborted) throw signal.reason;
        throw unreachableError('rest', endpoint.origin, error);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          res.destroy();
          reject(timeout());
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The response bytes, failing with TIMEOUT after `idleMs` of silence and UNAVAILABLE when the connection drops;
 * aborting `signal` closes the connection and rethrows its reason.
 */
async function* guardStream(
  res: IncomingMessage,
  idleMs: number,
  endpoint: Endpoint,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  let idle = false;
  let timer = setTimeout(onIdle, idleMs);
  function onIdle(): void {
    idle = true;
    res.destroy();
  }
  const onAbort = (): void => {
    res.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of res) {
      clearTimeout(timer);
      timer = setTimeout(onIdle, idleMs);
      yield chunk as Uint8Array;
    }
    if (idle) throw deadlineError('rest', endpoint.origin, idleMs);
    if (signal?.aborted) throw signal.reason;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (idle) throw deadlineError('rest', endpoint.origin, idleMs);
    if (error instanceof TaskerError) throw error;
    throw unreachableError('rest', endpoint.origin, error);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    res.destroy();
  }
}

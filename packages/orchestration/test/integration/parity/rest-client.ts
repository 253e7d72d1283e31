// The REST side of the parity suite: fetch against the app on 127.0.0.1:0, decoding bodies with the REST
// zod schemas and then the REST converters (`xFromRest`) into domain objects.
import { errorCodeFromHttpStatus } from '@tasker/shared/errors';
import type { z } from 'zod';
import type { Outcome } from './types.js';

export interface RestResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface RestClient {
  base: string;
  call(
    method: string,
    path: string,
    options?: {
      json?: unknown;
      query?: Record<string, string | string[] | undefined>;
      headers?: Record<string, string>;
    },
  ): Promise<RestResponse>;
  /** The raw streaming response (SSE). */
  stream(path: string, headers?: Record<string, string>): Promise<Response>;
}

export function createRestClient(base: string): RestClient {
  return {
    base,
    async call(method, path, options = {}) {
      const url = new URL(path, base);
      for (const [k, v] of Object.entries(options.query ?? {})) {
        for (const item of v === undefined ? [] : Array.isArray(v) ? v : [v]) url.searchParams.append(k, item);
      }
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      let body: string | undefined;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      const isJson = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
      return { status: res.status, headers: res.headers, body: isJson ? JSON.parse(text) : text };
    },
    stream(path, headers = {}) {
      return fetch(new URL(path, base), { headers: { accept: 'text/event-stream', ...headers } });
    },
  };
}

/** A 2xx body parsed by `schema` and converted by `decode`; an error body reduced to its code. */
export function restOutcome<S extends z.ZodType, T>(
  res: RestResponse,
  schema: S,
  decode: (body: z.infer<S>) => T,
): Outcome {
  if (res.status >= 400) {
    const error = (res.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    return {
      ok: false,
      code: errorCodeFromHttpStatus(res.status, error?.code),
      message: String(error?.message ?? JSON.stringify(res.body)),
    };
  }
  return { ok: true, value: decode(schema.parse(res.body)) };
}

/** Reads Server-Sent Events until the server ends the stream; returns the `data:` payloads parsed as JSON. */
export async function readSseData(res: Response): Promise<unknown[]> {
  if (res.body === null) throw new Error('SSE response has no body');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const data: unknown[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const line = block.split('\n').find((l) => l.startsWith('data: '));
      if (line !== undefined) data.push(JSON.parse(line.slice(6)));
    }
  }
  return data;
}

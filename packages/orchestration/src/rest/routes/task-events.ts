// GET /v1/tasks/{task_uuid}/events as Server-Sent Events over taskEvents.watch: `id:` = event_id (the
// resume cursor), `event:` = type, `data:` = the REST event; keepalives are SSE comments. The stream ends
// after the terminal task event, when the client hangs up, or when the server closes.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { taskEventToRest } from '@tasker/shared/convert/rest/index';
import { AppError, isAppError, toErrorBody } from '@tasker/shared/errors';
import {
  TaskEventSchema,
  TaskEventsHeadersSchema,
  TaskEventsQuerySchema,
  TaskUuidParamsSchema,
} from '@tasker/shared/schemas/rest/index';
import type { TaskStatusEvent } from '@tasker/shared';
import { requestSignal } from '../plumbing.js';
import { PROTECTED_ERRORS, errorResponses, type RouteDeps, type ZodApp } from './deps.js';

/** How long an EventSource waits before reconnecting (sent once, as the SSE `retry:` field). */
const RECONNECT_MS = 2000;

/** One SSE message; keepalives become comments so EventSource ignores them but proxies see traffic. */
export function formatSseEvent(event: TaskStatusEvent): string {
  if (event.type === 'keepalive') return ': keepalive\n\n';
  return `id: ${event.eventId}\nevent: ${event.type}\ndata: ${JSON.stringify(taskEventToRest(event))}\n\n`;
}

function formatSseError(error: AppError): string {
  return `event: error\ndata: ${JSON.stringify(toErrorBody(error))}\n\n`;
}

async function write(stream: PassThrough, chunk: string, signal: AbortSignal): Promise<void> {
  if (stream.writableEnded || stream.destroyed) return;
  if (!stream.write(chunk)) await once(stream, 'drain', { signal });
}

/** Copies events to the stream until the watch ends or `signal` fires; always ends the stream. */
async function pump(
  events: AsyncIterable<TaskStatusEvent>,
  stream: PassThrough,
  signal: AbortSignal,
  log: FastifyBaseLogger,
): Promise<void> {
  const iterator = events[Symbol.asyncIterator]();
  // Ending right away on abort: the watch honours the signal too, but the response must not wait for it.
  const onAbort = (): void => {
    stream.end();
    void iterator.return?.()?.catch(() => undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await write(stream, `retry: ${RECONNECT_MS}\n: stream opened\n\n`, signal);
    while (!signal.aborted) {
      const next = await iterator.next();
      if (next.done) break;
      await write(stream, formatSseEvent(next.value), signal);
    }
  } catch (err) {
    if (!signal.aborted) {
      if (!isAppError(err) || err.code === 'INTERNAL') log.error({ err }, 'task event stream failed');
      const error =
        isAppError(err) && err.code !== 'INTERNAL' ? err : new AppError('INTERNAL', 'Internal server error');
      if (!stream.writableEnded) stream.write(formatSseError(error));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.end();
  }
}

export function registerTaskEventRoutes(app: ZodApp, { services, closing }: RouteDeps): void {
  app.get('/v1/tasks/:task_uuid/events', {
    config: { longLived: true },
    schema: {
      tags: ['tasks'],
      summary: "Stream a task's state changes (Server-Sent Events)",
      description:
        'Replays transitions after the cursor (`Last-Event-ID` header, else `after_event_id`), then streams live ones. ' +
        'Each message: `id:` event_id, `event:` type, `data:` a TaskEvent. Keepalives are `: keepalive` comments. ' +
        'The stream ends after the terminal task event.',
      params: TaskUuidParamsSchema,
      querystring: TaskEventsQuerySchema,
      headers: TaskEventsHeadersSchema,
      response: {
        200: {
          description: 'An SSE stream of TaskEvent messages',
          content: { 'text/event-stream': { schema: TaskEventSchema } },
        },
        ...errorResponses(...PROTECTED_ERRORS, 404),
      },
    },
    handler: async (request, reply) => {
      const { principal } = request;
      const taskUuid = request.params.task_uuid;
      // Checked before the stream opens so an unknown task is a plain 404, not an error event.
      await services.tasks.get(principal, taskUuid);
      const afterEventId = request.headers['last-event-id'] ?? request.query.after_event_id;
      const signal = requestSignal(reply, closing);
      const events = services.taskEvents.watch(principal, taskUuid, {
        ...(afterEventId === undefined ? {} : { afterEventId }),
        includeSteps: request.query.include_steps ?? false,
        signal,
      });
      const stream = new PassThrough();
      void pump(events, stream, signal, request.log);
      return (
        reply
          .header('content-type', 'text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache, no-transform')
          .header('x-accel-buffering', 'no')
          // Fastify pipes a stream instead of serializing it; the typed reply only knows the JSON shapes.
          .send(stream as never)
      );
    },
  });
}

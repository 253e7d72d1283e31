// One SSE connection to GET /v1/tasks/{uuid}/events: `Last-Event-ID` carries the resume cursor, `data:` holds a
// REST TaskEvent, comments are keepalives, an `error` event carries the REST error body.
import type { TaskStatusEvent } from '@tasker/shared';
import { taskEventFromRest } from '@tasker/shared/convert/rest/index';
import { ERROR_TABLE, isErrorCode } from '@tasker/shared/errors';
import { TaskEventSchema } from '@tasker/shared/schemas/rest/index';
import { protocolError, taskerErrorFromHttp } from '../errors.js';
import { parseSse } from '../sse.js';
import type { WatchSource } from '../watch.js';
import type { HttpTransport } from './http.js';

/** The server's code of an SSE `error` event, so the decoded error gets the status REST would have used. */
function statusOfErrorEvent(data: string): number {
  try {
    const code: unknown = (JSON.parse(data) as { error?: { code?: unknown } }).error?.code;
    return isErrorCode(code) ? ERROR_TABLE[code].http : 500;
  } catch {
    return 500;
  }
}

function decodeEvent(data: string): TaskStatusEvent {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    throw protocolError('rest', 'task event is not JSON', error);
  }
  const parsed = TaskEventSchema.safeParse(json);
  if (!parsed.success)
    throw protocolError('rest', `unexpected task event: ${parsed.error.issues[0]?.message ?? 'invalid'}`, parsed.error);
  return taskEventFromRest(parsed.data);
}

/** What the SSE watch source needs from the client. */
export interface SseSourceDeps {
  isTerminal: WatchSource['isTerminal'];
}

/** A {@link WatchSource} over SSE; each connection starts at the next address (failover after a drop). */
export function createSseWatchSource(http: HttpTransport, deps: SseSourceDeps): WatchSource {
  return {
    transport: 'rest',
    isTerminal: deps.isTerminal,
    async *open(taskUuid, afterEventId, includeSteps, signal) {
      const endpoint = http.endpointFor(http.nextStart(), 0);
      const stream = await http.openStream(endpoint, {
        method: 'GET',
        path: `/v1/tasks/${encodeURIComponent(taskUuid)}/events`,
        query: includeSteps ? { include_steps: 'true' } : {},
        headers: afterEventId === undefined ? {} : { 'last-event-id': String(afterEventId) },
        signal,
      });
      for await (const item of parseSse(stream)) {
        if (item.kind === 'comment') {
          yield null;
        } else if (item.event === 'error') {
          throw taskerErrorFromHttp(statusOfErrorEvent(item.data), item.data, undefined);
        } else {
          yield decodeEvent(item.data);
        }
      }
    },
  };
}

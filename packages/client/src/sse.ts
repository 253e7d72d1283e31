// A Server-Sent Events parser (the WHATWG event-stream format) over a byte stream: `id:`, `event:`, `data:`
// (multi-line), `retry:`, comments, and CRLF / LF / CR line ends split anywhere across chunks.

/** One dispatched event. */
export interface SseEvent {
  kind: 'event';
  /** The last event id seen so far (the stream's cursor), as the spec's `lastEventId`. */
  id: string | undefined;
  /** `event:` field; `message` when absent. */
  event: string;
  /** `data:` lines joined with `\n`. */
  data: string;
}

/** A comment line (`: text`): servers use them as keepalives. */
export interface SseComment {
  kind: 'comment';
  text: string;
}

/** What the parser emits: events and comments, in stream order. */
export type SseItem = SseEvent | SseComment;

/** Incremental parser: feed decoded text, collect items. */
export class SseParser {
  private buffer = '';
  private skipLeadingLf = false;
  private started = false;
  private lastEventId: string | undefined;
  private eventType = '';
  private data: string[] = [];
  /** The server's `retry:` advice in ms (informational: reconnects follow the client's own backoff). */
  reconnectMs: number | undefined;

  /** Parses `text` (any split of the stream) and returns the items it completed. */
  push(text: string): SseItem[] {
    let chunk = text;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.skipLeadingLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLeadingLf = false;
    this.buffer += chunk;
    const items: SseItem[] = [];
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end < 0) break;
      const line = this.buffer.slice(0, end);
      let next = end + 1;
      if (this.buffer[end] === '\r') {
        if (end + 1 < this.buffer.length) {
          if (this.buffer[end + 1] === '\n') next = end + 2;
        } else {
          // A CR at the end of the chunk may be the first half of a CRLF.
          this.skipLeadingLf = true;
        }
      }
      this.buffer = this.buffer.slice(next);
      const item = this.line(line);
      if (item !== undefined) items.push(item);
    }
    return items;
  }

  private line(line: string): SseItem | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return { kind: 'comment', text: line.slice(1).replace(/^ /, '') };
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.reconnectMs = Number(value);
        break;
      default:
        // Unknown fields are ignored, as the spec requires.
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event: SseEvent | undefined =
      this.data.length === 0
        ? undefined
        : {
            kind: 'event',
            id: this.lastEventId,
            event: this.eventType === '' ? 'message' : this.eventType,
            data: this.data.join('\n'),
          };
    this.eventType = '';
    this.data = [];
    return event;
  }
}

/**
 * Parses an SSE byte (or text) stream into events and comments. An event not terminated by a blank line when
 * the stream ends is dropped, as the spec requires.
 */
export async function* parseSse(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseItem> {
  const parser = new SseParser();
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield* parser.push(text);
  }
  yield* parser.push(decoder.decode());
}

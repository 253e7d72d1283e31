import { describe, expect, it } from 'vitest';
import { SseParser, parseSse, type SseItem } from './sse.js';

async function collectAll(chunks: Array<string | Uint8Array>): Promise<SseItem[]> {
  async function* source() {
    yield* chunks;
  }
  const items: SseItem[] = [];
  for await (const item of parseSse(source())) items.push(item);
  return items;
}

describe('SSE parser', () => {
  it('parses id, event, multi-line data and comments', async () => {
    const items = await collectAll([
      'retry: 2000\n: stream opened\n\nid: 7\nevent: step_state_change\ndata: {"a":1,\ndata: "b":2}\n\n',
    ]);
    expect(items).toEqual([
      { kind: 'comment', text: 'stream opened' },
      { kind: 'event', id: '7', event: 'step_state_change', data: '{"a":1,\n"b":2}' },
    ]);
  });

  it('defaults the type to message and keeps the last id for later events', async () => {
    const items = await collectAll(['id: 3\ndata: x\n\ndata: y\n\n']);
    expect(items).toEqual([
      { kind: 'event', id: '3', event: 'message', data: 'x' },
      { kind: 'event', id: '3', event: 'message', data: 'y' },
    ]);
  });

  it('handles CRLF, CR and LF line ends split anywhere across chunks', async () => {
    const text = 'id: 1\r\nevent: a\r\ndata: one\r\n\r\nid: 2\rdata: two\r\rid: 3\ndata: three\n\n';
    const whole = await collectAll([text]);
    for (let cut = 1; cut < text.length; cut += 1) {
      expect(await collectAll([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
    expect(whole.map((e) => (e.kind === 'event' ? [e.id, e.data] : null))).toEqual([
      ['1', 'one'],
      ['2', 'two'],
      ['3', 'three'],
    ]);
  });

  it('decodes UTF-8 split inside a character, strips a BOM and one leading space only', async () => {
    const bytes = new TextEncoder().encode('\uFEFFdata:  é€\n\n');
    const items = await collectAll([bytes.slice(0, 8), bytes.slice(8)]);
    expect(items).toEqual([{ kind: 'event', id: undefined, event: 'message', data: ' é€' }]);
  });

  it('ignores unknown fields, ids with NUL, and an unterminated last event', async () => {
    const parser = new SseParser();
    expect(parser.push('foo: bar\nid: a\0b\ndata: z\n\ndata: dangling')).toEqual([
      { kind: 'event', id: undefined, event: 'message', data: 'z' },
    ]);
    expect(parser.reconnectMs).toBeUndefined();
    expect(parser.push('\nretry: 1500\n')).toEqual([]);
    expect(parser.reconnectMs).toBe(1500);
  });

  it('dispatches nothing for a blank line without data', () => {
    expect(new SseParser().push('event: x\n\n')).toEqual([]);
  });
});

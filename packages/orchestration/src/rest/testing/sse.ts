// A minimal SSE reader for tests of the event route (the SDK has the full parser in @tasker/client).

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads SSE messages until the server ends the stream (or `stopAfter` messages, then hangs up). */
export async function readSse(res: Response, stopAfter = Infinity): Promise<SseMessage[]> {
  if (res.body === null) throw new Error('SSE response has no body');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const messages: SseMessage[] = [];
  let buffer = '';
  while (messages.length < stopAfter) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0 && messages.length < stopAfter) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message: SseMessage = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('data: ')) message.data = line.slice(6);
      }
      messages.push(message);
    }
  }
  await reader.cancel().catch(() => undefined);
  return messages;
}

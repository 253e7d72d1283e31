// Ends the iteration of a stream as soon as the call's signal aborts, without waiting for the source's
// pending step (e.g. a replay query queued behind a busy pool): a draining server must not wait on it.
export async function* untilAborted<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal,
): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      pending = iterator.next();
      const result = await Promise.race([pending, aborted]);
      pending = undefined;
      if (result.done) return;
      yield result.value;
    }
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    // The source cleans up once its pending step settles; nobody waits for that here.
    pending?.catch(() => undefined);
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

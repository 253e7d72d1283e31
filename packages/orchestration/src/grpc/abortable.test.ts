import { describe, expect, it } from 'vitest';
import { untilAborted } from './abortable.js';

describe('untilAborted', () => {
  it('passes items through and ends with the source', async () => {
    const out: number[] = [];
    for await (const n of untilAborted(
      (async function* () {
        yield 1;
        yield 2;
      })(),
      new AbortController().signal,
    ))
      out.push(n);
    expect(out).toEqual([1, 2]);
  });

  it('throws the abort reason at once while the source is still busy, and returns the source later', async () => {
    let returned = false;
    let release: () => void = () => undefined;
    const source = (async function* () {
      try {
        yield 1;
        await new Promise<void>((r) => (release = r));
        yield 2;
      } finally {
        returned = true;
      }
    })();
    const abort = new AbortController();
    const iterator = untilAborted(source, abort.signal);
    expect((await iterator.next()).value).toBe(1);
    const next = iterator.next();
    abort.abort(new Error('draining'));
    await expect(next).rejects.toThrow('draining');
    expect(returned).toBe(false);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(returned).toBe(true);
  });
});

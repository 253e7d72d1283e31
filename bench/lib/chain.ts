// The shared shape of a 4-job chain latency measurement: warm-up chains first (connections, prepared
// statements, caches), then the measured ones, one chain at a time so each sample is an unloaded latency.
import type { BenchSizes } from './suite.js';

export const CHAIN_LENGTH = 4;

export async function collectChainSamples(
  sizes: BenchSizes,
  measureChain: (index: number) => Promise<number>,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < sizes.chainWarmup + sizes.chainSamples; i += 1) {
    const ms = await measureChain(i);
    if (i >= sizes.chainWarmup) samples.push(ms);
  }
  return samples;
}

/** Hand-off of a value from a job handler to the code waiting for it, in either order. */
export interface Mailbox<T> {
  deliver(key: string, value: T): void;
  receive(key: string, timeoutMs: number): Promise<T>;
}

export function createMailbox<T>(): Mailbox<T> {
  const delivered = new Map<string, T>();
  const waiting = new Map<string, (value: T) => void>();
  return {
    deliver(key, value) {
      const resolve = waiting.get(key);
      if (resolve === undefined) delivered.set(key, value);
      else {
        waiting.delete(key);
        resolve(value);
      }
    },
    receive(key, timeoutMs) {
      if (delivered.has(key)) {
        const value = delivered.get(key) as T;
        delivered.delete(key);
        return Promise.resolve(value);
      }
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(key);
          reject(new Error(`no completion of ${key} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(key, (value) => {
          clearTimeout(timer);
          resolve(value);
        });
      });
    },
  };
}

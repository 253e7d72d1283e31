// Unclaimed ready steps per namespace as the engine pulse last counted them (engine/background.ts), against
// each namespace's backpressure limit. Task creation and the health report read it; nothing here queries.
import type { NamespaceQueueDepth, QueueDepthReport } from '@tasker/shared';

export interface QueueDepthLimits {
  /** Limit of a namespace without its own (backpressure.max_pending_steps). */
  defaultLimit: number;
  /** backpressure.namespaces. */
  perNamespace: Readonly<Record<string, number>>;
}

export interface QueueDepths {
  /** Records a count (namespaces without ready steps are absent from `counts`). */
  update(counts: Readonly<Record<string, number>>, measuredAt: Date): void;
  /** The namespace's depth at the last count (0 when it had none); undefined before the first count. */
  depthOf(namespace: string): number | undefined;
  limitOf(namespace: string): number;
  /** Namespaces with ready steps and every namespace with its own limit; null before the first count. */
  report(): QueueDepthReport | null;
}

export function createQueueDepths(limits: QueueDepthLimits): QueueDepths {
  let last: { counts: Readonly<Record<string, number>>; measuredAt: Date } | undefined;
  const limitOf = (namespace: string): number => limits.perNamespace[namespace] ?? limits.defaultLimit;
  return {
    update(counts, measuredAt) {
      last = { counts, measuredAt };
    },
    depthOf(namespace) {
      return last === undefined ? undefined : (last.counts[namespace] ?? 0);
    },
    limitOf,
    report() {
      if (last === undefined) return null;
      const names = [...new Set([...Object.keys(limits.perNamespace), ...Object.keys(last.counts)])].sort();
      const namespaces: Record<string, NamespaceQueueDepth> = {};
      for (const name of names) {
        const depth = last.counts[name] ?? 0;
        const limit = limitOf(name);
        namespaces[name] = { depth, limit, throttled: depth >= limit };
      }
      return { measuredAt: last.measuredAt, namespaces };
    },
  };
}
